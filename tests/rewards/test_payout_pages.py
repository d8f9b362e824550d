"""Finance's payout pages: the periods, one period with its calculation progress, the
state changes (close, calculate, mark paid) and the exports (only finance and admins; a
paid period never changes)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from rewards.models import PayoutPeriod, RewardRule, Statement
from rewards.services import payouts, signoff
from tasks.models import AssistCategory, StateChange, TimeLog
from tests.factories import StaffProfileFactory, UserFactory

ANONYMOUS = "anonymous"
EVERYONE = [
    "staff",
    "supervisor",
    "delegate",
    "lead",
    "other_supervisor",
    "other_staff",
    "outsider",
    "finance",
    "admin",
]
RATE = Decimal("20.00")
LAST_MONTH = datetime.date(2026, 2, 1)  # the month before the frozen ``today``


# --------------------------------------------------------------------------- shared data


def support_category() -> AssistCategory:
    return AssistCategory.objects.filter(reward_class=AssistCategory.RewardClass.SUPPORT).first()


def approved_log(profile, day: datetime.date, minutes: int) -> TimeLog:
    return TimeLog.objects.create(
        staff=profile,
        day=day,
        minutes=minutes,
        category=support_category(),
        description="Helped marketing",
        duties_done=True,
        status=TimeLog.Status.APPROVED,
    )


def support_rule() -> RewardRule:
    return RewardRule.objects.get_or_create(
        kind=RewardRule.Kind.SUPPORT,
        effective_from=datetime.date(2026, 1, 1),
        defaults={"amount_per_approved_hour": RATE},
    )[0]


def calculated_period(org, *, minutes: dict | None = None, day=LAST_MONTH) -> PayoutPeriod:
    """Last month, closed and calculated: the staff member earns 30.00 (90 minutes), the
    outsider 20.00 (60 minutes) and the other team's staff 40.00 (120 minutes)."""
    support_rule()
    if minutes is None:
        minutes = {org.staff: 90, org.outsider: 60, org.other_staff: 120}
    work_day = day.replace(day=10)
    for user, amount in minutes.items():
        approved_log(user.profile, work_day, amount)
    period = payouts.payout_period_for(day=day)
    payouts.payout_period_close(actor=org.finance, period=period)
    payouts.payout_period_calculate(period_id=period.pk)
    period.refresh_from_db()
    return period


def statement_of(period: PayoutPeriod, user) -> Statement:
    return Statement.objects.get(period=period, staff__user=user)


def approve_all(org, period: PayoutPeriod) -> PayoutPeriod:
    """Recommend and approve every statement: the period becomes approved."""
    statements = list(Statement.objects.filter(period=period).select_related("staff"))
    signoff.statements_recommend(actor=org.lead, statement_ids=[s.pk for s in statements])
    by_supervisor: dict = {}
    for statement in statements:
        by_supervisor.setdefault(statement.staff.line_supervisor, []).append(statement.pk)
    for supervisor, ids in by_supervisor.items():
        signoff.statements_approve(actor=supervisor, statement_ids=ids)
    period.refresh_from_db()
    assert period.status == PayoutPeriod.Status.APPROVED
    return period


def paid_period(org, **kwargs) -> PayoutPeriod:
    period = approve_all(org, calculated_period(org, **kwargs))
    return payouts.payout_period_mark_paid(actor=org.finance, period=period)


def extra_people(org, count: int, *, line_supervisor=None, marketing_lead=None) -> list:
    """``count`` more people in Engineering, each with approved time last month."""
    users = []
    for number in range(count):
        user = UserFactory(username=f"extra{number}")
        StaffProfileFactory(
            user=user,
            department=org.engineering,
            line_supervisor=line_supervisor or org.supervisor,
            marketing_lead=marketing_lead or org.lead,
        )
        users.append(user)
    return users


def client_for(client, org, name):
    if name != ANONYMOUS:
        client.force_login(getattr(org, name))
    return client


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def snapshot(period: PayoutPeriod) -> tuple:
    """What must not move when a change is refused."""
    period.refresh_from_db()
    return (
        period.status,
        period.calculation_run,
        period.calculation_state,
        sorted(Statement.objects.filter(period=period).values_list("pk", "status", "total")),
        StateChange.objects.count(),
    )


PERIODS = reverse("rewards:periods")


def detail_url(period) -> str:
    return reverse("rewards:period_detail", args=[period.pk])


# --------------------------------------------------------------------------- access


MANAGERS = {"finance": 200, "admin": 200}


def expected_for(name: str) -> int:
    return MANAGERS.get(name, 403)


class TestAccess:
    @pytest.mark.parametrize("name", [*EVERYONE, ANONYMOUS])
    def test_the_period_list_is_for_finance_and_admins(self, client, org, today, name):
        calculated_period(org)
        response = client_for(client, org, name).get(PERIODS)
        assert response.status_code == (302 if name == ANONYMOUS else expected_for(name))

    @pytest.mark.parametrize("name", [*EVERYONE, ANONYMOUS])
    def test_the_period_page_is_for_finance_and_admins(self, client, org, today, name):
        period = calculated_period(org)
        response = client_for(client, org, name).get(detail_url(period))
        assert response.status_code == (302 if name == ANONYMOUS else expected_for(name))

    @pytest.mark.parametrize("name", [*EVERYONE, ANONYMOUS])
    def test_the_progress_partial_is_for_finance_and_admins(self, client, org, today, name):
        period = calculated_period(org)
        url = reverse("rewards:period_progress", args=[period.pk])
        response = client_for(client, org, name).get(url)
        assert response.status_code == (302 if name == ANONYMOUS else expected_for(name))

    @pytest.mark.parametrize("name", [*EVERYONE, ANONYMOUS])
    def test_the_export_is_for_finance_and_admins(self, client, org, today, name):
        period = approve_all(org, calculated_period(org))
        url = reverse("rewards:period_export", args=[period.pk, "csv"])
        response = client_for(client, org, name).get(url)
        assert response.status_code == (302 if name == ANONYMOUS else expected_for(name))

    @pytest.mark.parametrize(
        ("method", "url_name"),
        [
            ("get", "period_detail"),
            ("get", "period_progress"),
            ("post", "period_close"),
            ("post", "period_calculate"),
            ("post", "period_mark_paid"),
        ],
    )
    def test_an_unknown_period_is_404(self, login, org, today, method, url_name):
        client = login(org.finance)
        response = getattr(client, method)(reverse(f"rewards:{url_name}", args=[999999]))
        assert response.status_code == 404

    @pytest.mark.parametrize(
        ("name", "expected"),
        [(name, 403) for name in EVERYONE if name not in MANAGERS] + [(ANONYMOUS, 302)],
    )
    @pytest.mark.parametrize("url_name", ["period_close", "period_calculate", "period_mark_paid"])
    def test_changes_are_refused_to_everyone_else(
        self, client, org, today, name, expected, url_name
    ):
        period = approve_all(org, calculated_period(org))
        open_period = payouts.payout_period_for(day=datetime.date(2026, 1, 1))
        target = open_period if url_name == "period_close" else period
        before = snapshot(target)
        response = client_for(client, org, name).post(
            reverse(f"rewards:{url_name}", args=[target.pk])
        )
        assert response.status_code == expected
        assert snapshot(target) == before

    def test_changes_need_post(self, login, org, today):
        period = calculated_period(org)
        response = login(org.finance).get(reverse("rewards:period_calculate", args=[period.pk]))
        assert response.status_code == 405


# --------------------------------------------------------------------------- list


class TestPeriodList:
    def test_it_shows_status_calculation_and_totals(self, login, org, today):
        period = calculated_period(org)
        signoff.statements_recommend(
            actor=org.lead, statement_ids=[statement_of(period, org.staff).pk]
        )
        response = login(org.finance).get(PERIODS)
        content = response.content.decode()
        row = response.context["periods"][0]
        assert row.pk == period.pk
        assert row.statements_total == Decimal("90.00")
        assert row.statements_count == 3
        assert (row.count_draft, row.count_recommended, row.count_approved) == (2, 1, 0)
        assert "90.00" in content
        assert "2 draft · 0 returned · 1 recommended · 0 approved · 0 paid" in content
        assert "Calculated" in content
        assert "Finished" in content
        assert "Recalculate" in content
        # What a recalculation does to the sign-off is said before it runs.
        assert "Statements not yet approved whose lines change go back to draft" in content
        assert "Approved statements are not recalculated" in content

    def test_it_offers_the_action_each_status_allows(self, login, org, today):
        january = payouts.payout_period_for(day=datetime.date(2026, 1, 5))
        march = payouts.payout_period_for(day=today)
        approved = approve_all(org, calculated_period(org))
        content = login(org.finance).get(PERIODS).content.decode()
        assert reverse("rewards:period_close", args=[january.pk]) in content
        assert reverse("rewards:period_close", args=[march.pk]) in content  # shown disabled
        assert reverse("rewards:period_mark_paid", args=[approved.pk]) in content
        assert reverse("rewards:period_export", args=[approved.pk, "csv"]) in content
        assert reverse("rewards:period_export", args=[approved.pk, "xlsx"]) in content
        assert reverse("rewards:period_export", args=[january.pk, "csv"]) not in content

    def test_its_query_count_does_not_grow_with_periods(self, login, org, today):
        calculated_period(org)
        client = login(org.finance)
        client.get(PERIODS)
        with CaptureQueriesContext(connection) as few:
            client.get(PERIODS)
        for month in range(1, 13):
            payouts.payout_period_for(day=datetime.date(2025, month, 1))
        with CaptureQueriesContext(connection) as many:
            response = client.get(PERIODS)
        assert len(response.context["periods"]) == 13
        assert len(many) == len(few) == 4


# --------------------------------------------------------------------------- one period


class TestPeriodDetail:
    def test_it_lists_the_statements_with_their_figures(self, login, org, today):
        period = calculated_period(org)
        response = login(org.finance).get(detail_url(period))
        content = response.content.decode()
        assert response.status_code == 200
        statements = {s.staff.user: s for s in response.context["statements"]}
        assert statements[org.staff].total == Decimal("30.00")
        assert statements[org.staff].lines_count == 1
        assert org.staff.profile.employee_number in content
        assert "Engineering" in content
        assert "Operations" in content
        assert "90.00" in content

    def test_it_shows_the_history_of_the_period(self, login, org, today):
        period = calculated_period(org)
        content = login(org.finance).get(detail_url(period)).content.decode()
        assert "Closed for logging" in content
        assert "Calculated" in content
        assert org.finance.get_full_name() in content

    def test_finance_sees_statement_links_once_the_period_is_approved(self, login, org, today):
        period = calculated_period(org)
        link = reverse("rewards:statement_detail", args=[statement_of(period, org.staff).pk])
        assert link not in login(org.finance).get(detail_url(period)).content.decode()
        assert link in login(org.admin).get(detail_url(period)).content.decode()
        approve_all(org, period)
        assert link in login(org.finance).get(detail_url(period)).content.decode()

    def test_its_query_count_does_not_grow_with_statements(self, login, org, today):
        period = calculated_period(org, minutes={org.staff: 60})
        client = login(org.finance)
        client.get(detail_url(period))  # the first request after logging in does more
        with CaptureQueriesContext(connection) as one:
            client.get(detail_url(period))
        for user in extra_people(org, 29):
            approved_log(user.profile, datetime.date(2026, 2, 12), 30)
        payouts.payout_period_request_calculation(actor=org.finance, period=period)
        payouts.payout_period_calculate(period_id=period.pk)
        with CaptureQueriesContext(connection) as thirty:
            response = client.get(detail_url(period))
        assert len(response.context["statements"]) == 30
        assert len(thirty) == len(one) == 6


class TestProgress:
    def progress(self, client, period, **headers):
        return client.get(reverse("rewards:period_progress", args=[period.pk]), **headers)

    def test_it_polls_while_the_calculation_is_queued_or_running(self, login, org, today):
        period = calculated_period(org)
        client = login(org.finance)
        for state in (PayoutPeriod.CalculationState.QUEUED, PayoutPeriod.CalculationState.RUNNING):
            PayoutPeriod.objects.filter(pk=period.pk).update(
                calculation_state=state, calculation_done=1, calculation_total=4
            )
            content = self.progress(client, period).content.decode()
            assert 'hx-trigger="every 2s"' in content
            assert f'hx-get="{reverse("rewards:period_progress", args=[period.pk])}"' in content
            assert 'value="25"' in content
            page = client.get(detail_url(period)).content.decode()
            assert 'hx-trigger="every 2s"' in page

    def test_it_stops_polling_when_done_and_links_to_the_results(self, login, org, today):
        period = calculated_period(org)
        client = login(org.finance)
        content = self.progress(client, period, HTTP_HX_REQUEST="true").content.decode()
        assert "hx-trigger" not in content
        assert 'value="100"' in content
        assert "show the statements" in content
        assert "hx-trigger" not in client.get(detail_url(period)).content.decode()

    def test_it_shows_the_error_of_a_failed_calculation(self, login, org, today):
        period = calculated_period(org)
        PayoutPeriod.objects.filter(pk=period.pk).update(
            calculation_state=PayoutPeriod.CalculationState.FAILED,
            calculation_error="OperationalError: database is locked",
        )
        client = login(org.finance)
        for content in (
            self.progress(client, period).content.decode(),
            client.get(detail_url(period)).content.decode(),
        ):
            assert "hx-trigger" not in content
            assert "The calculation failed." in content
            assert "OperationalError: database is locked" in content

    def test_it_reports_a_calculation_that_fails_for_real(
        self, login, org, today, monkeypatch, django_capture_on_commit_callbacks
    ):
        period = calculated_period(org)

        def broken(period):
            raise RuntimeError("figures unavailable")

        monkeypatch.setattr(payouts, "_gather", broken)
        client = login(org.finance)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("rewards:period_calculate", args=[period.pk]))
        assert response.status_code == 302
        content = self.progress(client, period).content.decode()
        assert "RuntimeError: figures unavailable" in content
        assert "hx-trigger" not in content


# --------------------------------------------------------------------------- changes


class TestClose:
    def test_finance_closes_a_finished_month(self, login, org, today):
        period = payouts.payout_period_for(day=LAST_MONTH)
        response = login(org.finance).post(
            reverse("rewards:period_close", args=[period.pk]), {"next": PERIODS}
        )
        assert response.status_code == 302
        assert response.url == PERIODS
        period.refresh_from_db()
        assert period.status == PayoutPeriod.Status.CLOSED
        assert period.closed_by == org.finance
        assert messages_of(response) == ["Period 2026-02 closed for logging."]

    def test_it_will_not_close_a_month_before_its_last_day(self, login, org, today):
        period = payouts.payout_period_for(day=today)
        before = snapshot(period)
        response = login(org.admin).post(reverse("rewards:period_close", args=[period.pk]))
        assert response.status_code == 302
        assert response.url == detail_url(period)
        assert messages_of(response) == ["A period can be closed only after its last day."]
        assert snapshot(period) == before

    def test_it_ignores_a_next_address_on_another_site(self, login, org, today):
        period = payouts.payout_period_for(day=LAST_MONTH)
        response = login(org.finance).post(
            reverse("rewards:period_close", args=[period.pk]), {"next": "https://evil.example/"}
        )
        assert response.url == detail_url(period)


class TestCalculate:
    def test_finance_calculates_a_closed_period(
        self, login, org, today, django_capture_on_commit_callbacks
    ):
        support_rule()
        approved_log(org.staff.profile, datetime.date(2026, 2, 3), 120)
        period = payouts.payout_period_for(day=LAST_MONTH)
        payouts.payout_period_close(actor=org.finance, period=period)
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            response = login(org.finance).post(
                reverse("rewards:period_calculate", args=[period.pk])
            )
        assert len(callbacks) == 2  # the calculation, then telling the approvers
        assert response.status_code == 302
        assert response.url == detail_url(period)
        period.refresh_from_db()
        assert period.status == PayoutPeriod.Status.CALCULATED
        assert period.calculation_state == PayoutPeriod.CalculationState.DONE
        assert statement_of(period, org.staff).total == Decimal("40.00")
        assert "started" in messages_of(response)[0]

    def test_recalculating_twice_keeps_one_statement_per_person(
        self, login, org, today, django_capture_on_commit_callbacks
    ):
        period = calculated_period(org)
        client = login(org.admin)
        for _ in range(2):
            with django_capture_on_commit_callbacks(execute=True):
                client.post(reverse("rewards:period_calculate", args=[period.pk]))
        assert Statement.objects.filter(period=period).count() == 3
        assert statement_of(period, org.staff).total == Decimal("30.00")
        period.refresh_from_db()
        assert period.calculation_run == 2

    def test_an_open_period_cannot_be_calculated(self, login, org, today):
        period = payouts.payout_period_for(day=LAST_MONTH)
        before = snapshot(period)
        response = login(org.finance).post(reverse("rewards:period_calculate", args=[period.pk]))
        assert "Only a period closed for logging can be calculated" in messages_of(response)[0]
        assert snapshot(period) == before


class TestMarkPaid:
    def test_finance_marks_an_approved_period_paid(self, login, org, today):
        period = approve_all(org, calculated_period(org))
        response = login(org.finance).post(reverse("rewards:period_mark_paid", args=[period.pk]))
        period.refresh_from_db()
        assert period.status == PayoutPeriod.Status.PAID
        assert period.paid_by == org.finance
        assert set(Statement.objects.filter(period=period).values_list("status", flat=True)) == {
            Statement.Status.PAID
        }
        assert messages_of(response) == ["Period 2026-02 marked paid."]

    def test_a_period_not_yet_approved_cannot_be_paid(self, login, org, today):
        period = calculated_period(org)
        before = snapshot(period)
        response = login(org.finance).post(reverse("rewards:period_mark_paid", args=[period.pk]))
        assert messages_of(response) == ["Only an approved period can be marked paid."]
        assert snapshot(period) == before


class TestPaidPeriodIsImmutable:
    @pytest.mark.parametrize("url_name", ["period_close", "period_calculate", "period_mark_paid"])
    def test_every_change_is_refused_with_a_message(self, login, org, today, url_name):
        period = paid_period(org)
        before = snapshot(period)
        response = login(org.admin).post(reverse(f"rewards:{url_name}", args=[period.pk]))
        assert response.status_code == 302
        assert len(messages_of(response)) == 1
        assert snapshot(period) == before

    def test_its_page_offers_exports_only(self, login, org, today):
        period = paid_period(org)
        content = login(org.finance).get(detail_url(period)).content.decode()
        assert reverse("rewards:period_export", args=[period.pk, "csv"]) in content
        for url_name in ("period_close", "period_calculate", "period_mark_paid"):
            assert reverse(f"rewards:{url_name}", args=[period.pk]) not in content


# --------------------------------------------------------------------------- export


class TestExportPage:
    @pytest.mark.parametrize("fmt", ["csv", "xlsx"])
    def test_it_downloads_an_approved_period(self, login, org, today, fmt):
        period = approve_all(org, calculated_period(org))
        response = login(org.finance).get(reverse("rewards:period_export", args=[period.pk, fmt]))
        assert response.status_code == 200
        assert response["Content-Disposition"] == f'attachment; filename="payout-2026-02.{fmt}"'
        if fmt == "csv":
            assert response["Content-Type"] == "text/csv; charset=utf-8"
            assert response.content.startswith(b"\xef\xbb\xbf")
        else:
            assert response.content.startswith(b"PK")

    def test_a_period_not_yet_approved_is_refused_with_a_message(self, login, org, today):
        period = calculated_period(org)
        response = login(org.finance).get(reverse("rewards:period_export", args=[period.pk, "csv"]))
        assert response.status_code == 302
        assert response.url == detail_url(period)
        assert messages_of(response) == [
            "Only an approved or paid period can be exported; 2026-02 is Calculated."
        ]

    def test_an_unknown_format_is_404(self, login, org, today):
        period = approve_all(org, calculated_period(org))
        response = login(org.finance).get(f"/payouts/{period.pk}/export.pdf")
        assert response.status_code == 404
