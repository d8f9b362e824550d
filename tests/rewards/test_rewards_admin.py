"""The rewards admin: configuration (rules with tiers, periods) and a read-only view on
the records. States change only through the services; a paid period is immutable."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from rewards.models import (
    Inquiry,
    Lead,
    PayoutPeriod,
    RewardLine,
    RewardRule,
    RoleModelCandidate,
    Statement,
)
from rewards.services import payouts
from rewards.services import statements as statement_services
from tasks.history import history_of
from tests.rewards.test_payout_pages import (
    approve_all,
    approved_log,
    calculated_period,
    paid_period,
    statement_of,
    support_rule,
)

MODELS = [
    "rewardrule",
    "payoutperiod",
    "statement",
    "rewardline",
    "lead",
    "inquiry",
    "rolemodelcandidate",
]


def change_url(obj) -> str:
    return reverse(f"admin:rewards_{obj._meta.model_name}_change", args=[obj.pk])


def delete_url(obj) -> str:
    return reverse(f"admin:rewards_{obj._meta.model_name}_delete", args=[obj.pk])


@pytest.fixture
def admin_client(org, login):
    return login(org.admin)


@pytest.fixture
def records(org, today):
    """A calculated period with a lead, an inquiry and proposed candidates."""
    period = calculated_period(org)
    statement = statement_of(period, org.staff)
    Lead.objects.create(
        introducer=org.staff.profile,
        marketing_lead=org.lead,
        client_name="Acme Ltd",
        need="Servers",
        protected_until=datetime.date(2026, 6, 1),
    )
    statement_services.inquiry_raise(actor=org.staff, line=statement.lines.get(), question="Why?")
    return period


class TestPages:
    @pytest.mark.parametrize("model", MODELS)
    def test_every_list_and_record_opens(self, admin_client, records, model):
        response = admin_client.get(reverse(f"admin:rewards_{model}_changelist"))
        assert response.status_code == 200
        obj = response.context["cl"].result_list[0]
        assert admin_client.get(change_url(obj)).status_code == 200

    @pytest.mark.parametrize("name", ["staff", "supervisor", "finance"])
    def test_it_is_for_admins_only(self, client, org, records, name):
        client.force_login(getattr(org, name))
        response = client.get(reverse("admin:rewards_statement_changelist"))
        assert response.status_code == 302
        assert "/admin/login/" in response.url

    @pytest.mark.parametrize("model", ["statement", "rewardline", "lead", "inquiry"])
    def test_records_are_not_added_here(self, admin_client, records, model):
        response = admin_client.get(reverse(f"admin:rewards_{model}_add"))
        assert response.status_code == 403


class TestRewardRules:
    def test_a_rule_is_added_with_its_tiers(self, admin_client, org, today):
        data = {
            "kind": "direct_revenue",
            "effective_from": "2026-04-01",
            "amount_per_approved_hour": "0",
            "amount_per_completed_task": "0",
            "monthly_cap_per_person": "",
            "percent_of_collected": "5",
            "cap_per_lead": "10000",
            "holdback_days": "30",
            "note": "",
            "tiers-TOTAL_FORMS": "2",
            "tiers-INITIAL_FORMS": "0",
            "tiers-MIN_NUM_FORMS": "0",
            "tiers-MAX_NUM_FORMS": "1000",
            "tiers-0-threshold": "100000",
            "tiers-0-bonus": "500",
            "tiers-1-threshold": "500000",
            "tiers-1-bonus": "3000",
        }
        response = admin_client.post(reverse("admin:rewards_rewardrule_add"), data)
        assert response.status_code == 302
        rule = RewardRule.objects.get(kind="direct_revenue")
        assert rule.percent_of_collected == Decimal("5.00")
        assert [(t.threshold, t.bonus) for t in rule.tiers.all()] == [
            (Decimal("100000.00"), Decimal("500.00")),
            (Decimal("500000.00"), Decimal("3000.00")),
        ]

    def test_the_list_shows_kind_and_start(self, admin_client, org, today):
        support_rule()
        content = admin_client.get(reverse("admin:rewards_rewardrule_changelist")).content
        assert b"Support" in content
        assert b"Jan. 1, 2026" in content


class TestPeriods:
    def test_a_new_period_is_open_whatever_is_posted(self, admin_client, org, today):
        response = admin_client.post(
            reverse("admin:rewards_payoutperiod_add"),
            {"start_date": "2026-05-01", "end_date": "2026-05-31", "status": "paid"},
        )
        assert response.status_code == 302
        period = PayoutPeriod.objects.get(start_date=datetime.date(2026, 5, 1))
        assert period.status == PayoutPeriod.Status.OPEN

    def test_states_are_read_only(self, admin_client, org, records):
        response = admin_client.post(
            change_url(records),
            {"start_date": "2020-01-01", "end_date": "2020-01-31", "status": "paid"},
        )
        assert response.status_code == 302
        period = PayoutPeriod.objects.get(pk=records.pk)
        assert period.status == PayoutPeriod.Status.CALCULATED
        assert period.start_date == datetime.date(2026, 2, 1)

    def test_the_close_action_goes_through_the_service(self, admin_client, org, today):
        period = payouts.payout_period_for(day=datetime.date(2026, 2, 1))
        current = payouts.payout_period_for(day=today)
        response = admin_client.post(
            reverse("admin:rewards_payoutperiod_changelist"),
            {"action": "close_periods", "_selected_action": [period.pk, current.pk]},
            follow=True,
        )
        period.refresh_from_db()
        current.refresh_from_db()
        assert period.status == PayoutPeriod.Status.CLOSED
        assert period.closed_by == org.admin
        assert [c.to_state for c in history_of(period)] == ["closed"]
        assert current.status == PayoutPeriod.Status.OPEN
        content = response.content.decode()
        assert "1 period closed." in content
        assert "A period can be closed only after its last day." in content

    def test_the_calculate_action_queues_the_calculation(
        self, admin_client, org, today, django_capture_on_commit_callbacks
    ):
        support_rule()
        approved_log(org.staff.profile, datetime.date(2026, 2, 4), 60)
        period = payouts.payout_period_for(day=datetime.date(2026, 2, 1))
        payouts.payout_period_close(actor=org.finance, period=period)
        with django_capture_on_commit_callbacks(execute=True):
            admin_client.post(
                reverse("admin:rewards_payoutperiod_changelist"),
                {"action": "calculate_periods", "_selected_action": [period.pk]},
            )
        assert statement_of(period, org.staff).total == Decimal("20.00")

    def test_only_an_open_period_may_be_deleted(self, admin_client, org, records):
        assert admin_client.get(delete_url(records)).status_code == 403
        open_period = payouts.payout_period_for(day=datetime.date(2026, 3, 1))
        assert admin_client.get(delete_url(open_period)).status_code == 200


class TestPaidPeriodIsImmutable:
    @pytest.fixture
    def paid(self, org, today):
        return paid_period(org)

    def test_the_period_page_is_read_only(self, admin_client, org, paid):
        response = admin_client.get(change_url(paid))
        assert response.status_code == 200
        assert b'name="_save"' not in response.content
        response = admin_client.post(change_url(paid), {"start_date": "2020-01-01"})
        assert response.status_code == 403
        assert admin_client.post(delete_url(paid), {"post": "yes"}).status_code == 403
        assert PayoutPeriod.objects.get(pk=paid.pk).status == PayoutPeriod.Status.PAID

    def test_its_statements_are_read_only(self, admin_client, org, paid):
        statement = statement_of(paid, org.staff)
        response = admin_client.get(change_url(statement))
        assert response.status_code == 200
        assert b'name="_save"' not in response.content
        assert admin_client.post(change_url(statement), {}).status_code == 403
        assert admin_client.post(delete_url(statement), {"post": "yes"}).status_code == 403
        statement.refresh_from_db()
        assert (statement.status, statement.total) == ("paid", Decimal("30.00"))

    def test_its_lines_are_read_only(self, admin_client, org, paid):
        line = RewardLine.objects.filter(statement__period=paid).first()
        assert admin_client.post(change_url(line), {"amount": "1"}).status_code == 403
        assert admin_client.post(delete_url(line), {"post": "yes"}).status_code == 403
        assert RewardLine.objects.get(pk=line.pk).amount == line.amount

    def test_the_mark_paid_action_refuses_again(self, admin_client, org, paid):
        response = admin_client.post(
            reverse("admin:rewards_payoutperiod_changelist"),
            {"action": "mark_periods_paid", "_selected_action": [paid.pk]},
            follow=True,
        )
        assert "Only an approved period can be marked paid." in response.content.decode()


class TestStatements:
    def test_an_approved_statement_cannot_be_deleted(self, admin_client, org, today):
        period = approve_all(org, calculated_period(org))
        statement = statement_of(period, org.staff)
        assert admin_client.post(delete_url(statement), {"post": "yes"}).status_code == 403
        assert Statement.objects.filter(pk=statement.pk).exists()

    def test_status_and_total_are_read_only(self, admin_client, org, records):
        statement = statement_of(records, org.staff)
        admin_client.post(
            change_url(statement),
            {
                "status": "approved",
                "total": "9999",
                "lines-TOTAL_FORMS": "1",
                "lines-INITIAL_FORMS": "1",
                "lines-MIN_NUM_FORMS": "0",
                "lines-MAX_NUM_FORMS": "1000",
            },
        )
        statement.refresh_from_db()
        assert (statement.status, statement.total) == ("draft", Decimal("30.00"))

    def test_inquiries_and_candidates_are_shown_read_only(self, admin_client, org, records):
        inquiry = Inquiry.objects.get()
        admin_client.post(change_url(inquiry), {"status": "answered", "answer": "No"})
        inquiry.refresh_from_db()
        assert (inquiry.status, inquiry.answer) == ("open", "")
        candidate = RoleModelCandidate.objects.filter(period=records).first()
        admin_client.post(change_url(candidate), {"nominated": "on", "citation": "Hero"})
        candidate.refresh_from_db()
        assert not candidate.nominated
