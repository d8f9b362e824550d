"""POST /api/v1/payout-periods/{id}/approve/: finance or admin approve a calculated period
whose statements are all approved; otherwise a 400 says what still waits."""

import datetime
from decimal import Decimal

from rest_framework.test import APIClient

from rewards.models import PayoutPeriod, RewardRule, Statement
from rewards.services import signoff
from tests.rewards.factories import RewardRuleFactory, TimeLogFactory, calculate, month


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _march(org) -> PayoutPeriod:
    RewardRuleFactory(kind=RewardRule.Kind.SUPPORT, amount_per_approved_hour=Decimal("30.00"))
    TimeLogFactory(staff=org.staff_profile, day=datetime.date(2026, 3, 2), minutes=60)
    return calculate(month(2026, 3))


def test_a_period_with_a_statement_waiting_is_not_approved(org):
    period = _march(org)
    response = _client(org.finance).post(f"/api/v1/payout-periods/{period.pk}/approve/")
    assert response.status_code == 400
    assert "1 statement still waits" in response.json()["non_field_errors"][0]
    period.refresh_from_db()
    assert period.status == PayoutPeriod.Status.CALCULATED


def test_finance_approves_a_period_once_its_statements_are_approved(org):
    period = _march(org)
    ids = list(Statement.objects.filter(period=period).values_list("pk", flat=True))
    signoff.statements_recommend(actor=org.lead, statement_ids=ids)
    # Approving the last statement approves the period by itself; undo that to see the
    # explicit call do it.
    signoff.statements_approve(actor=org.supervisor, statement_ids=ids)
    PayoutPeriod.objects.filter(pk=period.pk).update(status=PayoutPeriod.Status.CALCULATED)
    response = _client(org.finance).post(f"/api/v1/payout-periods/{period.pk}/approve/")
    assert response.status_code == 200
    assert response.json()["status"] == "approved"


def test_staff_may_not_approve_a_period(org):
    period = _march(org)
    response = _client(org.staff).post(f"/api/v1/payout-periods/{period.pk}/approve/")
    assert response.status_code == 403
