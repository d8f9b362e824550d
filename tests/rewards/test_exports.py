"""Payroll exports of a payout period (CSV for Excel, XLSX with numeric cells): one row
per approved (or paid) statement and a totals row, money exact to the fen."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from openpyxl import load_workbook

from rewards import exports
from rewards.models import Statement
from rewards.services import payouts
from tests.rewards.test_payout_pages import approve_all, calculated_period, paid_period

HEADER = ["Employee number", "Name", "Department", "Period", "Total", "Currency", "Status"]


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def approved(org, today):
    return approve_all(org, calculated_period(org))


def read_csv(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs for UTF-8
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def read_xlsx(content: bytes):
    return load_workbook(io.BytesIO(content)).active


def expected_rows(period) -> list[list[str]]:
    return [
        [
            s.staff.employee_number,
            s.staff.display_name,
            s.staff.department.name,
            "2026-02",
            f"{s.total:.2f}",
            "CNY",
            s.get_status_display(),
        ]
        for s in Statement.objects.filter(period=period)
        .select_related("staff__user", "staff__department")
        .order_by("staff__employee_number")
    ]


class TestCsv:
    def test_it_has_one_row_per_person_and_a_totals_row(self, org, approved):
        rows = read_csv(exports.period_csv(period=approved))
        assert rows[0] == HEADER
        assert rows[1:-1] == expected_rows(approved)
        assert rows[-1] == ["Total", "", "", "2026-02", "90.00", "CNY", ""]
        assert sum(Decimal(row[4]) for row in rows[1:-1]) == Decimal(rows[-1][4])

    def test_a_paid_period_exports_its_paid_statements(self, org, today):
        period = paid_period(org)
        rows = read_csv(exports.period_csv(period=period))
        assert {row[6] for row in rows[1:-1]} == {"Paid"}
        assert rows[-1][4] == "90.00"

    def test_chinese_names_survive(self, org, approved):
        org.staff.first_name, org.staff.last_name = "小明", "王"
        org.staff.save()
        rows = read_csv(exports.period_csv(period=approved))
        assert "小明 王" in [row[1] for row in rows]

    def test_a_name_that_looks_like_a_formula_stays_text(self, org, approved):
        org.staff.first_name, org.staff.last_name = "=HYPERLINK(1)", ""
        org.staff.save()
        rows = read_csv(exports.period_csv(period=approved))
        assert "'=HYPERLINK(1)" in [row[1] for row in rows]

    def test_totals_are_exact_to_the_fen(self, org, approved):
        statement = Statement.objects.get(period=approved, staff__user=org.staff)
        Statement.objects.filter(pk=statement.pk).update(total=Decimal("0.10"))
        for user in (org.outsider, org.other_staff):
            Statement.objects.filter(period=approved, staff__user=user).update(
                total=Decimal("0.20")
            )
        rows = read_csv(exports.period_csv(period=approved))
        assert rows[-1][4] == "0.50"


class TestXlsx:
    def test_it_has_numeric_money_cells_and_a_totals_row(self, org, approved):
        sheet = read_xlsx(exports.period_xlsx(period=approved))
        rows = [list(row) for row in sheet.iter_rows(values_only=True)]
        assert rows[0] == HEADER
        assert len(rows) == 5
        body, footer = rows[1:-1], rows[-1]
        expected = expected_rows(approved)
        assert [[*row[:4], row[5], row[6]] for row in body] == [
            [*row[:4], row[5], row[6]] for row in expected
        ]
        for row, want in zip(body, expected, strict=True):
            assert isinstance(row[4], int | float)
            assert Decimal(str(row[4])).quantize(Decimal("0.01")) == Decimal(want[4])
        assert footer[0] == "Total"
        total = Decimal(str(footer[4])).quantize(Decimal("0.01"))
        assert total == Decimal("90.00")
        assert total == sum(Decimal(str(row[4])).quantize(Decimal("0.01")) for row in body)
        for cell in sheet["E"][1:]:
            assert cell.number_format == "0.00"
            assert cell.data_type == "n"

    def test_a_name_that_looks_like_a_formula_is_not_a_formula(self, org, approved):
        org.staff.first_name, org.staff.last_name = "=1+1", ""
        org.staff.save()
        sheet = read_xlsx(exports.period_xlsx(period=approved))
        names = [cell for cell in sheet["B"][1:] if cell.value is not None]
        assert all(cell.data_type == "s" for cell in names)
        assert "'=1+1" in [cell.value for cell in names]


class TestOnlyApprovedPeriods:
    @pytest.mark.parametrize("export", [exports.period_csv, exports.period_xlsx])
    def test_an_open_or_calculated_period_is_refused(self, org, today, export):
        calculated = calculated_period(org)
        open_period = payouts.payout_period_for(day=today)
        for period in (calculated, open_period):
            with pytest.raises(ValidationError, match="Only an approved or paid period"):
                export(period=period)
