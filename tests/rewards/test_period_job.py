"""The monthly chain of the period job: a finished month is closed after its grace days,
calculated, and its approvers are told — once."""

import datetime
from decimal import Decimal

import time_machine
from django.core import mail
from django.utils import timezone

from rewards.models import PayoutPeriod, RewardRule, Statement
from rewards.services import payouts
from tests.rewards.factories import RewardRuleFactory, TimeLogFactory


def _at(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(
        day, datetime.time(2, 0), tzinfo=timezone.get_current_timezone()
    )


def test_the_period_job_closes_calculates_and_notifies_once(
    org, django_capture_on_commit_callbacks
):
    RewardRuleFactory(kind=RewardRule.Kind.SUPPORT, amount_per_approved_hour=Decimal("20.00"))
    TimeLogFactory(staff=org.staff_profile, day=datetime.date(2026, 3, 10), minutes=90)

    with time_machine.travel(_at(datetime.date(2026, 4, 2)), tick=False):
        assert payouts.payout_periods_close_due(grace_days=3) == []
    march = PayoutPeriod.objects.get(start_date=datetime.date(2026, 3, 1))
    assert march.status == PayoutPeriod.Status.OPEN
    assert PayoutPeriod.objects.filter(start_date=datetime.date(2026, 4, 1)).exists()

    with (
        time_machine.travel(_at(datetime.date(2026, 4, 4)), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        closed = payouts.payout_periods_close_due(grace_days=3)
    assert closed == [march.pk]
    march.refresh_from_db()
    assert march.status == PayoutPeriod.Status.CALCULATED
    statement = Statement.objects.get(period=march, staff=org.staff_profile)
    assert statement.total == Decimal("30.00")

    to_lead = [m for m in mail.outbox if m.to == [org.lead.email]]
    assert len(to_lead) == 1
    assert "1 statement waits for your sign-off" in to_lead[0].body
    assert "/rewards/recommend/" in to_lead[0].body

    with django_capture_on_commit_callbacks(execute=True):
        payouts.payout_period_request_calculation(actor=org.finance, period=march)
    assert len([m for m in mail.outbox if m.to == [org.lead.email]]) == 1


def test_a_notice_the_broker_outage_held_back_goes_out_with_the_next_period_job(
    org, monkeypatch, settings, django_capture_on_commit_callbacks
):
    from rewards import jobs

    RewardRuleFactory(kind=RewardRule.Kind.SUPPORT, amount_per_approved_hour=Decimal("20.00"))
    TimeLogFactory(staff=org.staff_profile, day=datetime.date(2026, 3, 10), minutes=90)

    def broker_down(*args, **kwargs):
        raise OSError("broker unavailable")

    monkeypatch.setattr(jobs.notify_statements_ready, "delay", broker_down)
    settings.ALLHANDS_LOGGING_GRACE_DAYS = 3
    with time_machine.travel(_at(datetime.date(2026, 4, 4)), tick=False):
        payouts.payout_periods_close_due(grace_days=3)  # closes and calculates March
        march = PayoutPeriod.objects.get(start_date=datetime.date(2026, 3, 1))
        with django_capture_on_commit_callbacks(execute=True) as queued:
            payouts.payout_period_calculate(period_id=march.pk)
    assert queued  # the notice was due, and its queuing failed
    march.refresh_from_db()
    assert march.status == PayoutPeriod.Status.CALCULATED
    assert not [m for m in mail.outbox if m.to == [org.lead.email]]

    with time_machine.travel(_at(datetime.date(2026, 4, 5)), tick=False):
        jobs.close_due_periods()
        jobs.close_due_periods()
    to_lead = [m for m in mail.outbox if m.to == [org.lead.email]]
    assert len(to_lead) == 1
    assert "1 statement waits for your sign-off" in to_lead[0].body
