"""Reward lines, statements with their sign-off, and payout periods, as each standing user."""

from __future__ import annotations

import datetime
import io
import re
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from audit.models import AuditEntry
from rewards import permissions
from rewards.models import PayoutPeriod, Statement
from tasks.models import TimeLog

STATEMENTS = "/api/v1/statements/"
REWARDS = "/api/v1/rewards/"
PERIODS = "/api/v1/payout-periods/"
DECIMAL = re.compile(r"^-?\d+\.\d{2}$")
NAMES = [
    "staff",
    "supervisor",
    "delegate",
    "lead",
    "admin",
    "outsider",
    "other_supervisor",
    "other_staff",
    "finance",
    "anonymous",
]


def user_of(org, name):
    return None if name == "anonymous" else getattr(org, name)


def statement_of(period, profile) -> Statement:
    return Statement.objects.get(period=period, staff=profile)


class TestStatementsOfAPeriod:
    def test_the_contract_shape(self, org, api, calculated_period):
        response = api(org.supervisor).get(f"{PERIODS}{calculated_period.pk}/statements/")

        assert response.status_code == 200
        body = response.json()
        assert set(body) == {"count", "next", "previous", "results"}
        (item,) = body["results"]
        assert item["staff"] == org.staff_profile.pk
        assert item["period"] == calculated_period.pk
        assert isinstance(item["id"], int)
        assert DECIMAL.match(item["total"])
        assert item["total"] == "150.00"
        assert item["status"] == "draft"
        (line,) = item["lines"]
        assert line["amount"] == "150.00"
        assert line["source"] == "support_time"
        assert "approved hours of support work" in line["explanation"]
        assert "30.00" in line["explanation"]

    @pytest.mark.parametrize(
        ("name", "owners"),
        [
            ("staff", {"staff"}),
            ("other_staff", {"other_staff"}),
            ("supervisor", {"staff"}),
            ("delegate", {"staff"}),
            ("other_supervisor", {"other_staff"}),
            ("lead", {"staff", "other_staff"}),
            ("admin", {"staff", "other_staff"}),
            ("outsider", set()),
            ("finance", set()),
        ],
    )
    def test_each_user_sees_what_the_statement_pages_allow(
        self, org, api, calculated_period, name, owners
    ):
        user = getattr(org, name)

        response = api(user).get(f"{PERIODS}{calculated_period.pk}/statements/")

        seen = {item["staff"] for item in response.json()["results"]}
        profiles = {"staff": org.staff_profile.pk, "other_staff": org.other_staff.profile.pk}
        assert seen == {profiles[owner] for owner in owners}
        for statement in Statement.objects.select_related("staff", "period"):
            assert (statement.staff_id in seen) == permissions.can_view_statement(user, statement)

    def test_finance_sees_approved_periods(self, org, api, calculated_period):
        calculated_period.status = PayoutPeriod.Status.APPROVED
        calculated_period.save()

        response = api(org.finance).get(f"{PERIODS}{calculated_period.pk}/statements/")

        assert response.json()["count"] == 2

    def test_an_unknown_period_is_404(self, org, api):
        assert api(org.admin).get(f"{PERIODS}999999/statements/").status_code == 404

    def test_filters(self, org, api, calculated_period):
        client = api(org.admin)
        url = f"{PERIODS}{calculated_period.pk}/statements/"

        assert client.get(f"{url}?staff={org.staff_profile.pk}").json()["count"] == 1
        assert client.get(f"{url}?department={org.operations.pk}").json()["count"] == 1
        assert client.get(f"{url}?status=approved").json()["count"] == 0


# statement of org.staff in a calculated period:   view  recommend  approve(after recommend)
STATEMENT_MATRIX = {
    "staff": (200, 403, 403),
    "supervisor": (200, 403, 200),
    "delegate": (200, 403, 200),
    "lead": (200, 200, 403),
    "admin": (200, 403, 403),
    "outsider": (404, 404, 404),
    "other_supervisor": (404, 404, 404),
    "other_staff": (404, 404, 404),
    "finance": (404, 404, 404),
    "anonymous": (401, 401, 401),
}


@pytest.mark.parametrize("name", NAMES)
class TestOneStatementAsEachRole:
    def test_retrieve(self, org, api, calculated_period, name):
        statement = statement_of(calculated_period, org.staff_profile)

        response = api(user_of(org, name)).get(f"{STATEMENTS}{statement.pk}/")

        assert response.status_code == STATEMENT_MATRIX[name][0]

    def test_recommend(self, org, api, calculated_period, name):
        statement = statement_of(calculated_period, org.staff_profile)

        response = api(user_of(org, name)).post(f"{STATEMENTS}{statement.pk}/recommend/")

        assert response.status_code == STATEMENT_MATRIX[name][1]
        statement.refresh_from_db()
        expected = "recommended" if response.status_code == 200 else "draft"
        assert statement.status == expected

    def test_approve(self, org, api, calculated_period, name):
        statement = statement_of(calculated_period, org.staff_profile)
        api(org.lead).post(f"{STATEMENTS}{statement.pk}/recommend/")

        response = api(user_of(org, name)).post(f"{STATEMENTS}{statement.pk}/approve/")

        assert response.status_code == STATEMENT_MATRIX[name][2]
        statement.refresh_from_db()
        assert statement.status == ("approved" if response.status_code == 200 else "recommended")


class TestSignOff:
    def test_approving_before_the_recommendation_is_refused(self, org, api, calculated_period):
        statement = statement_of(calculated_period, org.staff_profile)

        response = api(org.supervisor).post(f"{STATEMENTS}{statement.pk}/approve/")

        assert response.status_code == 400
        assert list(response.json()) == ["non_field_errors"]

    def test_returning_needs_a_note(self, org, api, calculated_period):
        statement = statement_of(calculated_period, org.staff_profile)
        url = f"{STATEMENTS}{statement.pk}/return/"

        missing = api(org.lead).post(url, {"note": ""}, format="json")
        returned = api(org.lead).post(url, {"note": "A task is missing"}, format="json")

        assert missing.status_code == 400
        assert list(missing.json()) == ["note"]
        assert returned.json()["status"] == "returned"
        assert returned.json()["returned_note"] == "A task is missing"

    def test_bulk_sign_off_approves_the_period_when_every_statement_is_approved(
        self, org, api, calculated_period
    ):
        ids = list(Statement.objects.values_list("pk", flat=True))

        recommended = api(org.lead).post(f"{REWARDS}recommend/", {"statements": ids}, format="json")
        first = api(org.supervisor).post(
            f"{REWARDS}approve/",
            {"statements": [statement_of(calculated_period, org.staff_profile).pk]},
            format="json",
        )
        period_between = api(org.finance).get(f"{PERIODS}{calculated_period.pk}/").json()
        second = api(org.other_supervisor).post(
            f"{REWARDS}approve/",
            {"statements": [statement_of(calculated_period, org.other_staff.profile).pk]},
            format="json",
        )
        period_after = api(org.finance).get(f"{PERIODS}{calculated_period.pk}/").json()

        assert recommended.json() == {"count": 2}
        assert first.json() == second.json() == {"count": 1}
        assert period_between["status"] == "calculated"
        assert period_between["statements_by_status"]["approved"] == 1
        assert period_after["status"] == "approved"
        assert period_after["approved_at"] is not None

    def test_bulk_approval_is_all_or_nothing(self, org, api, calculated_period):
        ids = list(Statement.objects.values_list("pk", flat=True))
        api(org.lead).post(f"{REWARDS}recommend/", {"statements": ids}, format="json")

        response = api(org.supervisor).post(
            f"{REWARDS}approve/", {"statements": ids}, format="json"
        )

        assert response.status_code == 403
        assert set(Statement.objects.values_list("status", flat=True)) == {"recommended"}


class TestRewardLines:
    def test_lines_carry_their_statement_and_explanation(self, org, api, calculated_period):
        response = api(org.staff).get(REWARDS)

        (line,) = response.json()["results"]
        statement = statement_of(calculated_period, org.staff_profile)
        assert (line["statement"], line["staff"], line["period"], line["status"]) == (
            statement.pk,
            org.staff_profile.pk,
            calculated_period.pk,
            "draft",
        )
        assert line["explanation"].startswith("5.00 approved hours")

    def test_someone_elses_line_is_404(self, org, api, calculated_period):
        line = statement_of(calculated_period, org.other_staff.profile).lines.get()

        assert api(org.staff).get(f"{REWARDS}{line.pk}/").status_code == 404
        assert api(org.other_staff).get(f"{REWARDS}{line.pk}/").status_code == 200

    def test_filters(self, org, api, calculated_period):
        client = api(org.admin)

        assert client.get(f"{REWARDS}?source=support_time").json()["count"] == 2
        assert client.get(f"{REWARDS}?source=lead").json()["count"] == 0
        assert client.get(f"{REWARDS}?staff={org.staff_profile.pk}").json()["count"] == 1
        assert client.get(f"{REWARDS}?period={calculated_period.pk}").json()["count"] == 2


# --------------------------------------------------------------------------- periods


@pytest.fixture
def closed_period(org, today, category):
    """February 2026 closed for logging, with an hour of approved time of ``org.staff``."""
    TimeLog.objects.create(
        staff=org.staff_profile,
        day=datetime.date(2026, 2, 10),
        minutes=60,
        category=category,
        description="Called",
        duties_done=True,
        status=TimeLog.Status.APPROVED,
    )
    return PayoutPeriod.objects.create(
        start_date=datetime.date(2026, 2, 1),
        end_date=datetime.date(2026, 2, 28),
        status=PayoutPeriod.Status.CLOSED,
    )


MANAGERS = {"finance": True, "admin": True}


class TestPeriods:
    @pytest.mark.parametrize("name", NAMES)
    def test_everybody_signed_in_reads_the_periods(self, org, api, calculated_period, name):
        response = api(user_of(org, name)).get(f"{PERIODS}{calculated_period.pk}/")

        assert response.status_code == (401 if name == "anonymous" else 200)

    @pytest.mark.parametrize("name", NAMES)
    def test_calculate_is_for_finance_and_admins(
        self, org, api, closed_period, name, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            response = api(user_of(org, name)).post(f"{PERIODS}{closed_period.pk}/calculate/")

        expected = 202 if name in MANAGERS else (401 if name == "anonymous" else 403)
        assert response.status_code == expected
        closed_period.refresh_from_db()
        if expected == 202:
            body = response.json()
            assert body["calculation_state"] == "queued"
            assert body["calculation_run"] == 1
            assert {"calculation_progress", "calculation_done", "calculation_total"} <= set(body)
            # The job ran (eagerly, after the commit): the period shows its progress.
            assert closed_period.status == "calculated"
            assert closed_period.calculation_state == "done"
            after = api(org.finance).get(f"{PERIODS}{closed_period.pk}/").json()
            assert after["calculation_progress"] == 100
        else:
            assert closed_period.calculation_run == 0

    def test_an_open_period_cannot_be_calculated(self, org, api, calculated_period):
        calculated_period.status = PayoutPeriod.Status.OPEN
        calculated_period.save()

        response = api(org.finance).post(f"{PERIODS}{calculated_period.pk}/calculate/")

        assert response.status_code == 400
        assert list(response.json()) == ["non_field_errors"]

    def test_close_after_the_last_day(self, org, api, today):
        january = PayoutPeriod.objects.create(
            start_date=datetime.date(2026, 1, 1), end_date=datetime.date(2026, 1, 31)
        )

        refused = api(org.staff).post(f"{PERIODS}{january.pk}/close/")
        closed = api(org.finance).post(f"{PERIODS}{january.pk}/close/")

        assert refused.status_code == 403
        assert closed.status_code == 200
        assert closed.json()["status"] == "closed"

    @pytest.mark.parametrize("name", NAMES)
    def test_mark_paid(self, org, api, calculated_period, name):
        calculated_period.status = PayoutPeriod.Status.APPROVED
        calculated_period.save()
        Statement.objects.update(status=Statement.Status.APPROVED)

        response = api(user_of(org, name)).post(f"{PERIODS}{calculated_period.pk}/mark-paid/")

        expected = 200 if name in MANAGERS else (401 if name == "anonymous" else 403)
        assert response.status_code == expected
        calculated_period.refresh_from_db()
        assert calculated_period.status == ("paid" if expected == 200 else "approved")
        if expected == 200:
            assert set(Statement.objects.values_list("status", flat=True)) == {"paid"}

    def test_only_an_approved_period_is_marked_paid(self, org, api, calculated_period):
        response = api(org.finance).post(f"{PERIODS}{calculated_period.pk}/mark-paid/")

        assert response.status_code == 400

    def test_filters(self, org, api, calculated_period):
        client = api(org.staff)

        assert client.get(f"{PERIODS}?status=calculated").json()["count"] == 1
        assert client.get(f"{PERIODS}?status=paid").json()["count"] == 0
        assert client.get(f"{PERIODS}?start_date_after=2026-03-01").json()["count"] == 0


class TestExport:
    @pytest.fixture
    def approved_period(self, calculated_period):
        calculated_period.status = PayoutPeriod.Status.APPROVED
        calculated_period.save()
        Statement.objects.update(status=Statement.Status.APPROVED)
        return calculated_period

    @pytest.mark.parametrize("name", NAMES)
    def test_it_is_for_finance_and_admins(self, org, api, approved_period, name):
        response = api(user_of(org, name)).get(f"{PERIODS}{approved_period.pk}/export/")

        expected = 200 if name in MANAGERS else (401 if name == "anonymous" else 403)
        assert response.status_code == expected

    def test_csv(self, org, api, approved_period):
        response = api(org.finance).get(f"{PERIODS}{approved_period.pk}/export/?format=csv")

        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        assert "attachment" in response["Content-Disposition"]
        text = response.content.decode("utf-8-sig")
        assert org.staff_profile.employee_number in text
        assert "300.00" in text  # the totals row

    def test_xlsx(self, org, api, approved_period):
        response = api(org.finance).get(f"{PERIODS}{approved_period.pk}/export/?format=xlsx")

        assert response.status_code == 200
        sheet = load_workbook(io.BytesIO(response.content)).active
        totals = [row[4] for row in sheet.iter_rows(min_row=2, values_only=True)]
        assert sum(Decimal(str(value)) for value in totals[:-1]) == Decimal("300.00")

    def test_an_unknown_format_is_a_format_error(self, org, api, approved_period):
        response = api(org.finance).get(f"{PERIODS}{approved_period.pk}/export/?format=pdf")

        assert response.status_code == 400
        assert list(response.json()) == ["format"]

    def test_a_period_not_yet_approved_is_refused(self, org, api, calculated_period):
        response = api(org.finance).get(f"{PERIODS}{calculated_period.pk}/export/")

        assert response.status_code == 400
        assert list(response.json()) == ["non_field_errors"]
        assert not AuditEntry.objects.filter(action=AuditEntry.Action.PAYOUT_EXPORTED).exists()

    @pytest.mark.parametrize("fmt", ["csv", "xlsx"])
    def test_an_export_is_audited_like_the_pages(self, org, api, approved_period, fmt):
        response = api(org.finance).get(
            f"{PERIODS}{approved_period.pk}/export/?format={fmt}",
            REMOTE_ADDR="192.0.2.44",
            HTTP_USER_AGENT="Payroll/2.0",
        )

        assert response.status_code == 200
        [entry] = AuditEntry.objects.filter(action=AuditEntry.Action.PAYOUT_EXPORTED)
        assert (entry.actor, entry.ip_address, entry.user_agent) == (
            org.finance,
            "192.0.2.44",
            "Payroll/2.0",
        )
        assert (entry.object_id, entry.extra) == (str(approved_period.pk), {"format": fmt})
        assert entry.content_type.model == "payoutperiod"

    def test_a_refused_caller_leaves_no_export_entry(self, org, api, approved_period):
        response = api(org.staff).get(f"{PERIODS}{approved_period.pk}/export/")

        assert response.status_code == 403
        assert not AuditEntry.objects.filter(action=AuditEntry.Action.PAYOUT_EXPORTED).exists()


def test_the_statement_list_query_count_does_not_grow(org, api, calculated_period):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from departments.models import StaffProfile
    from rewards.models import RewardLine
    from tests.factories import StaffProfileFactory

    client = api(org.admin)
    url = f"{PERIODS}{calculated_period.pk}/statements/"

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    few = queries()
    for _ in range(10):
        profile = StaffProfileFactory(department=org.engineering, line_supervisor=org.supervisor)
        statement = Statement.objects.create(period=calculated_period, staff=profile)
        for amount in ("10.00", "20.00"):
            RewardLine.objects.create(
                statement=statement,
                source=RewardLine.Source.ADJUSTMENT,
                amount=amount,
                reason="Correction",
                created_by=org.admin,
            )
    assert StaffProfile.objects.count() > 10
    assert queries() == few
