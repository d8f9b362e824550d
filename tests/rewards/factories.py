"""Factories and helpers for the reward calculation tests.

Leads, collections and credit shares are made straight with the ORM (not through the
lead services), so the calculation is tested on exactly the rows it reads.
"""

from __future__ import annotations

import datetime
import zoneinfo
from decimal import Decimal

import factory
import time_machine
from django.conf import settings

from rewards.models import (
    Collection,
    CreditShare,
    Lead,
    PayoutPeriod,
    RewardLine,
    RewardRule,
    RewardTier,
    Statement,
)
from rewards.services import payouts, signoff
from tasks.models import AssistCategory, MarketingTask, TaskAssignment, TimeLog
from tests.factories import StaffProfileFactory, UserFactory

SUPPORT = "phone-marketing"
DIRECT = "business-introduction"


def local(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(
        year, month, day, hour, minute, tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE)
    )


class AssistCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AssistCategory
        django_get_or_create = ["code"]

    code = SUPPORT
    name = factory.LazyAttribute(lambda c: c.code.replace("-", " ").capitalize())
    reward_class = factory.LazyAttribute(
        lambda c: (
            AssistCategory.RewardClass.DIRECT_REVENUE
            if c.code == DIRECT
            else AssistCategory.RewardClass.SUPPORT
        )
    )


class TimeLogFactory(factory.django.DjangoModelFactory):
    """An approved support log unless told otherwise."""

    class Meta:
        model = TimeLog

    staff = factory.SubFactory(StaffProfileFactory)
    day = datetime.date(2026, 3, 2)
    minutes = 60
    category = factory.SubFactory(AssistCategoryFactory)
    description = "Called a client"
    duties_done = True
    status = TimeLog.Status.APPROVED
    rejection_reason = factory.LazyAttribute(
        lambda log: "Not marketing work" if log.status == TimeLog.Status.REJECTED else ""
    )


class MarketingTaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MarketingTask

    title = factory.Sequence(lambda n: f"Task {n}")
    category = factory.SubFactory(AssistCategoryFactory)
    created_by = factory.SubFactory(UserFactory)
    due_date = datetime.date(2026, 3, 31)
    estimated_minutes = 60
    status = MarketingTask.Status.IN_PROGRESS


class TaskAssignmentFactory(factory.django.DjangoModelFactory):
    """A completed assignment unless told otherwise."""

    class Meta:
        model = TaskAssignment

    task = factory.SubFactory(MarketingTaskFactory)
    assignee = factory.SubFactory(UserFactory)
    status = TaskAssignment.Status.COMPLETED
    responded_at = factory.LazyFunction(lambda: local(2026, 3, 12, 15))


class RewardRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RewardRule

    kind = RewardRule.Kind.SUPPORT
    effective_from = datetime.date(2026, 1, 1)


class RewardTierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RewardTier


class LeadFactory(factory.django.DjangoModelFactory):
    """A won lead."""

    class Meta:
        model = Lead

    introducer = factory.SubFactory(StaffProfileFactory)
    client_name = factory.Sequence(lambda n: f"Client {n} Ltd")
    client_key = factory.LazyAttribute(lambda lead: lead.client_name.lower())
    need = "A new production line"
    status = Lead.Status.WON
    contract_amount = Decimal("100000.00")
    won_on = datetime.date(2026, 3, 1)
    protected_until = datetime.date(2026, 6, 30)


class CollectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Collection

    lead = factory.SubFactory(LeadFactory)
    kind = Collection.Kind.COLLECTION
    received_on = datetime.date(2026, 3, 10)
    recorded_by = factory.SubFactory(UserFactory)


def collect(lead, amount: str, on: datetime.date, *, recorded_by, refund: bool = False):
    """Money received on ``lead`` (or, with ``refund``, paid back)."""
    return CollectionFactory(
        lead=lead,
        amount=Decimal(amount),
        received_on=on,
        recorded_by=recorded_by,
        kind="refund" if refund else "collection",
    )


class CreditShareFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CreditShare


# --------------------------------------------------------------------------- periods


def month(year: int, number: int) -> PayoutPeriod:
    start, end = payouts.month_of(datetime.date(year, number, 1))
    return PayoutPeriod.objects.get_or_create(start_date=start, defaults={"end_date": end})[0]


def close(period: PayoutPeriod) -> PayoutPeriod:
    """Close the period for logging, the clock set to the day after its last day."""
    with time_machine.travel(
        datetime.datetime.combine(
            period.end_date + datetime.timedelta(days=1),
            datetime.time(9),
            tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE),
        ),
        tick=False,
    ):
        return payouts.payout_period_close(actor=None, period=period)


def calculate(period: PayoutPeriod) -> PayoutPeriod:
    """Close the period if it is still open, then run the calculation inline."""
    period.refresh_from_db()
    if period.status == PayoutPeriod.Status.OPEN:
        close(period)
    payouts.payout_period_calculate(period_id=period.pk)
    period.refresh_from_db()
    return period


def pay(period: PayoutPeriod, *, finance) -> PayoutPeriod:
    """Recommend (marketing lead), approve (line supervisor) and mark paid (finance)."""
    statements = list(Statement.objects.filter(period=period).select_related("staff"))
    for statement in statements:
        if statement.staff.marketing_lead_id is not None:
            signoff.statements_recommend(
                actor=statement.staff.marketing_lead, statement_ids=[statement.pk]
            )
        signoff.statements_approve(
            actor=statement.staff.line_supervisor, statement_ids=[statement.pk]
        )
    period.refresh_from_db()
    assert period.status == PayoutPeriod.Status.APPROVED
    payouts.payout_period_mark_paid(actor=finance, period=period)
    period.refresh_from_db()
    return period


# --------------------------------------------------------------------------- reading back


def statement_of(period: PayoutPeriod, profile) -> Statement:
    return Statement.objects.get(period=period, staff=profile)


def amounts(period: PayoutPeriod, profile, source: str | None = None) -> list[Decimal]:
    lines = RewardLine.objects.filter(statement__period=period, statement__staff=profile)
    if source is not None:
        lines = lines.filter(source=source)
    return list(lines.order_by("pk").values_list("amount", flat=True))


def snapshot(period: PayoutPeriod) -> dict[int, tuple]:
    """Everything a person sees of the period: total, status and lines (in a stable order)."""
    result = {}
    for statement in Statement.objects.filter(period=period).prefetch_related("lines"):
        lines = sorted(
            (line.source, line.amount, line.lead_id, line.reason, repr(line.explanation))
            for line in statement.lines.all()
        )
        result[statement.staff_id] = (statement.total, statement.status, lines)
    return result
