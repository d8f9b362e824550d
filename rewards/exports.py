"""Payroll exports of a payout period: its approved (or paid) statements, one row per
person, and a totals row. Money stays ``Decimal`` end to end."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

import audit.services
from rewards import selectors
from rewards.models import PayoutPeriod
from rewards.money import ZERO, round_money

FORMATS = ("csv", "xlsx")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
MONEY_FORMAT = "0.00"
# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ExportRow:
    employee_number: str
    name: str
    department: str
    period: str
    total: Decimal
    currency: str
    status: str


def ensure_exportable(period: PayoutPeriod) -> None:
    if period.status not in selectors.EXPORTABLE_PERIODS:
        raise ValidationError(
            _("Only an approved or paid period can be exported; %(period)s is %(status)s.")
            % {"period": str(period), "status": period.get_status_display()}
        )


def export_rows(*, period: PayoutPeriod) -> tuple[list[ExportRow], Decimal]:
    """The rows of the export and their total."""
    ensure_exportable(period)
    currency = settings.ALLHANDS_CURRENCY
    rows = [
        ExportRow(
            employee_number=statement.staff.employee_number,
            name=statement.staff.display_name,
            department=statement.staff.department.name,
            period=str(period),
            total=round_money(statement.total),
            currency=currency,
            status=str(statement.get_status_display()),
        )
        for statement in selectors.exported_statements(period=period)
    ]
    return rows, round_money(sum((row.total for row in rows), ZERO))


def headers() -> list[str]:
    return [
        _("Employee number"),
        pgettext("payroll export", "Name"),
        _("Department"),
        _("Period"),
        _("Total"),
        _("Currency"),
        _("Status"),
    ]


def _text(value: str) -> str:
    """Text as text: a leading formula character is neutralised with an apostrophe."""
    value = str(value)
    return f"'{value}" if value.startswith(FORMULA_PREFIXES) else value


def _table(period: PayoutPeriod) -> tuple[list[list], Decimal]:
    rows, total = export_rows(period=period)
    body = [
        [
            _text(row.employee_number),
            _text(row.name),
            _text(row.department),
            row.period,
            row.total,
            row.currency,
            row.status,
        ]
        for row in rows
    ]
    footer = [_("Total"), "", "", str(period), total, settings.ALLHANDS_CURRENCY, ""]
    return [*body, footer], total


def period_csv(*, period: PayoutPeriod) -> bytes:
    """UTF-8 with a byte-order mark, so that Excel reads the Chinese names right."""
    table, _total = _table(period)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headers())
    for row in table:
        writer.writerow([f"{cell:.2f}" if isinstance(cell, Decimal) else cell for cell in row])
    return buffer.getvalue().encode("utf-8-sig")


def period_xlsx(*, period: PayoutPeriod) -> bytes:
    """One sheet; amounts are numeric cells shown with two decimals."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    table, _total = _table(period)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = str(period)
    sheet.append(headers())
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in table:
        sheet.append(row)
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, Decimal):
                cell.number_format = MONEY_FORMAT
            elif isinstance(cell.value, str):
                cell.data_type = "s"
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for column, width in zip("ABCDEFG", (16, 24, 20, 10, 14, 10, 12), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def export_filename(*, period: PayoutPeriod, fmt: str) -> str:
    return f"payout-{period}.{fmt}"


def period_export(*, period: PayoutPeriod, fmt: str, actor) -> bytes:
    """The payroll file of ``period`` in ``fmt``, recorded in the audit log as exported by
    ``actor`` (the page and the API both come here)."""
    if fmt not in FORMATS:
        raise ValueError(f"Unknown export format {fmt!r}")
    content = period_csv(period=period) if fmt == "csv" else period_xlsx(period=period)
    audit.services.record(action="payout_exported", obj=period, actor=actor, extra={"format": fmt})
    return content
