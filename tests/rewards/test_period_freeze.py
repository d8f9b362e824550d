"""A recalculation never writes into a period that was approved meanwhile, and the period
is not approved while a calculation could still add to it."""

import datetime
from decimal import Decimal

from rewards.models import PayoutPeriod, RewardRule, Statement
from rewards.services import payouts, signoff
from tests.rewards.factories import RewardRuleFactory, TimeLogFactory, calculate, month

MARCH_2 = datetime.date(2026, 3, 2)


def _approve_all(org, period):
    ids = list(Statement.objects.filter(period=period).values_list("pk", flat=True))
    signoff.statements_recommend(actor=org.lead, statement_ids=ids)
    mine = Statement.objects.filter(period=period, staff=org.staff_profile).values_list(
        "pk", flat=True
    )
    signoff.statements_approve(actor=org.supervisor, statement_ids=list(mine))
    return ids


def test_no_draft_is_written_into_an_approved_period(org):
    RewardRuleFactory(kind=RewardRule.Kind.SUPPORT, amount_per_approved_hour=Decimal("30.00"))
    TimeLogFactory(staff=org.staff_profile, day=MARCH_2, minutes=60)
    period = calculate(month(2026, 3))
    _approve_all(org, period)
    period.refresh_from_db()
    assert period.status == PayoutPeriod.Status.APPROVED

    late = payouts.LineDraft(source="support_time", amount=Decimal("15.00"), explanation={})
    written = payouts.statement_calculate(
        period=period, staff_id=org.other_staff.profile.pk, lines=[late], run=99
    )
    assert written is None
    assert not Statement.objects.filter(period=period, staff=org.other_staff.profile).exists()


def test_the_period_waits_for_a_running_calculation_before_it_is_approved(org):
    RewardRuleFactory(kind=RewardRule.Kind.SUPPORT, amount_per_approved_hour=Decimal("30.00"))
    TimeLogFactory(staff=org.staff_profile, day=MARCH_2, minutes=60)
    period = calculate(month(2026, 3))
    PayoutPeriod.objects.filter(pk=period.pk).update(
        calculation_state=PayoutPeriod.CalculationState.RUNNING
    )
    _approve_all(org, period)
    period.refresh_from_db()
    assert period.status == PayoutPeriod.Status.CALCULATED

    payouts.payout_period_calculate(period_id=period.pk, run=period.calculation_run)
    period.refresh_from_db()
    assert period.status == PayoutPeriod.Status.APPROVED
    assert period.approved_by is None
