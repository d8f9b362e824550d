"""The demo company's rewards: rules, leads at every stage and three payout periods —
paid, calculated, open — consistent with each other, the same every time they are
seeded, and unchanged by a second run.

Seeding takes a few seconds, so each seeded test checks several properties in turn.
Expected amounts are worked out by hand in the comments next to them.
"""

from __future__ import annotations

import datetime
import io
import zoneinfo
from collections import defaultdict
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, Sum

from departments.demo import seed_organisation
from departments.management.commands.seed_demo import SEEDERS
from departments.models import StaffProfile
from rewards.demo import seed_rewards
from rewards.models import (
    Collection,
    CreditShare,
    Lead,
    PayoutPeriod,
    RewardLine,
    RewardRule,
    RewardTier,
    RoleModelCandidate,
    Statement,
)
from rewards.services.payouts import month_of
from tasks.demo import seed_assist_work
from tasks.models import AssistCategory, DayLedger, StateChange, TimeLog
from tasks.selectors import budgets_for_people_and_days, granted_extensions

TZ = zoneinfo.ZoneInfo(settings.TIME_ZONE)
DAYS = datetime.timedelta(days=1)
# Late in a month: last month lies wholly before the four weeks of assist-work history.
LATE_NOVEMBER = datetime.datetime(2026, 11, 27, 10, 0, tzinfo=TZ)
# A Monday early in a month after a short February: the history reaches back into it, and
# last month is not even closed yet by the calendar ("now" comes before the close).
EARLY_MARCH = datetime.datetime(2026, 3, 2, 8, 30, tzinfo=TZ)
# Across the turn of the year: November and December 2025.
NEW_YEAR = datetime.datetime(2026, 1, 6, 11, 0, tzinfo=TZ)
MOMENTS = [LATE_NOVEMBER, EARLY_MARCH, NEW_YEAR]
MOMENT_IDS = ["late-november", "early-march", "new-year"]

MODELS = [
    RewardRule,
    RewardTier,
    Lead,
    Collection,
    CreditShare,
    PayoutPeriod,
    Statement,
    RewardLine,
    RoleModelCandidate,
    TimeLog,
    DayLedger,
    StateChange,
]


def seed_at(moment: datetime.datetime) -> None:
    with time_machine.travel(moment, tick=False):
        seed_organisation()
        seed_assist_work()
        seed_rewards()


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def months(moment: datetime.datetime) -> tuple[datetime.date, datetime.date, datetime.date]:
    """First days of the paid month (two months ago), last month and this month."""
    this = moment.date().replace(day=1)
    last = (this - DAYS).replace(day=1)
    paid = (last - DAYS).replace(day=1)
    return paid, last, this


def line(period_start: datetime.date, username: str, source: str) -> RewardLine:
    return RewardLine.objects.get(
        statement__period__start_date=period_start,
        statement__staff__user__username=username,
        source=source,
    )


# --------------------------------------------------------------------------- checks


def check_rules() -> None:
    support = RewardRule.objects.get(kind=RewardRule.Kind.SUPPORT)
    assert support.amount_per_approved_hour == Decimal("20.00")
    assert support.amount_per_completed_task == Decimal("30.00")
    assert support.monthly_cap_per_person == Decimal("600.00")
    revenue = RewardRule.objects.get(kind=RewardRule.Kind.DIRECT_REVENUE)
    assert revenue.percent_of_collected == Decimal("3.00")
    assert revenue.cap_per_lead == Decimal("20000.00")
    assert revenue.holdback_days == 30
    assert list(revenue.tiers.values_list("threshold", "bonus")) == [
        (Decimal("50000.00"), Decimal("500.00")),
        (Decimal("200000.00"), Decimal("2000.00")),
    ]
    # In force a year before the oldest period, so that every period uses them.
    assert support.effective_from == revenue.effective_from
    assert support.effective_from < PayoutPeriod.objects.order_by("start_date")[0].start_date


def check_leads(today: datetime.date) -> None:
    assert set(Lead.objects.values_list("status", flat=True)) == set(Lead.Status.values)
    introducers = set(Lead.objects.values_list("introducer__user__username", flat=True))
    assert {name.split(".")[0] for name in introducers} == {"eng", "ops"}
    assert not Lead.objects.exclude(marketing_lead__username="marketing").exists()

    pending = Lead.objects.get(claim_status=Lead.Claim.PENDING)
    first = pending.conflicting_lead
    assert first.client_key == pending.client_key
    assert first.introducer_id != pending.introducer_id
    assert first.created_at < pending.created_at
    assert first.protected_until >= today
    assert pending.status == Lead.Status.NEW

    split = Lead.objects.get(credit_shares__isnull=False, credit_shares__percent=Decimal("60"))
    assert split.status == Lead.Status.WON
    assert sorted(split.credit_shares.values_list("percent", flat=True)) == [
        Decimal("40.00"),
        Decimal("60.00"),
    ]

    paid = Lead.objects.get(status=Lead.Status.PAID)
    assert paid.collections.aggregate(total=Sum("amount"))["total"] == paid.contract_amount
    assert paid.key_role_confirmed
    for lead in Lead.objects.all():
        assert lead.protected_until == timezone_day(lead.created_at) + (
            settings.ALLHANDS_CLIENT_PROTECTION_DAYS * DAYS
        ), lead
        for collection in lead.collections.all():
            assert lead.won_on <= collection.received_on <= today, collection
    assert Lead.objects.get(status=Lead.Status.LOST).lost_reason


def timezone_day(moment: datetime.datetime) -> datetime.date:
    return moment.astimezone(TZ).date()


def check_periods(moment: datetime.datetime) -> None:
    paid_start, last_start, this_start = months(moment)
    periods = {period.start_date: period for period in PayoutPeriod.objects.all()}
    assert set(periods) == {paid_start, last_start, this_start}
    assert periods[paid_start].status == PayoutPeriod.Status.PAID
    assert periods[last_start].status == PayoutPeriod.Status.CALCULATED
    assert periods[this_start].status == PayoutPeriod.Status.OPEN
    for start, period in periods.items():
        assert period.end_date == month_of(start)[1]
    for period in (periods[paid_start], periods[last_start]):
        assert period.calculation_state == PayoutPeriod.CalculationState.DONE
        assert period.closed_by.username == "finance"
        assert period.closed_at <= period.calculated_at <= moment
    assert periods[paid_start].paid_by.username == "finance"
    assert periods[paid_start].calculated_at <= periods[paid_start].approved_at
    assert periods[paid_start].approved_at <= periods[paid_start].paid_at <= moment
    assert not periods[this_start].statements.exists()


def check_statements(moment: datetime.datetime) -> None:
    paid_start, last_start, _this = months(moment)
    per_person = Statement.objects.values("period", "staff").annotate(n=Count("pk"))
    assert {row["n"] for row in per_person} == {1}
    for statement in Statement.objects.prefetch_related("lines"):
        assert statement.total == sum(line.amount for line in statement.lines.all()), statement
        assert statement.lines.exists(), statement

    paid = Statement.objects.filter(period__start_date=paid_start)
    assert paid.count() >= 6
    assert set(paid.values_list("status", flat=True)) == {Statement.Status.PAID}
    assert not paid.filter(recommended_by__isnull=True).exists()
    assert not paid.filter(approved_by__isnull=True).exists()
    for statement in paid.select_related("staff", "approved_by"):
        assert statement.approved_by_id == statement.staff.line_supervisor_id, statement
    sources = set(paid.values_list("lines__source", flat=True))
    assert {RewardLine.Source.SUPPORT_TIME, RewardLine.Source.LEAD} <= sources
    # Jiahe Foods, 240,000.00 collected before the month and past the hold-back:
    # 3 % = 7,200.00, tiers 500.00 + 2,000.00 → 9,700.00, all of it ops.1's.
    jiahe = line(paid_start, "ops.1", RewardLine.Source.LEAD)
    assert jiahe.amount == Decimal("9700.00")
    assert jiahe.lead.client_name == "Jiahe Foods Co., Ltd."

    last = Statement.objects.filter(period__start_date=last_start)
    statuses = dict(last.values_list("staff__user__username", "status"))
    assert {statuses.get(name) for name in ("eng.1", "eng.2", "eng.3")} == {"recommended"}
    assert {statuses[name] for name in ("ops.1", "ops.2", "ops.3")} == {"draft"}
    # Xinda: 120,000.00 down payment past its hold-back → 3,600.00 + tier 500.00 =
    # 4,100.00, split 60/40 → 2,460.00 and 1,640.00; the second 80,000.00 is held back.
    ops3 = line(last_start, "ops.3", RewardLine.Source.LEAD)
    eng3 = line(last_start, "eng.3", RewardLine.Source.LEAD)
    assert (ops3.amount, eng3.amount) == (Decimal("2460.00"), Decimal("1640.00"))
    assert ops3.explanation["held_back"] == "80000.00"
    # Jiahe was paid out in full the month before: nothing more on it.
    assert not RewardLine.objects.filter(
        statement__period__start_date=last_start, lead__client_name__startswith="Jiahe"
    ).exists()


def check_support_time(moment: datetime.datetime) -> None:
    paid_start, last_start, _this = months(moment)
    support = AssistCategory.RewardClass.SUPPORT
    for start in (paid_start, last_start):
        end = month_of(start)[1]
        approved = TimeLog.objects.filter(
            day__gte=start,
            day__lte=end,
            status=TimeLog.Status.APPROVED,
            category__reward_class=support,
        )
        people = set(approved.values_list("staff__user__username", flat=True))
        assert {"eng.1", "eng.2", "eng.3", "ops.1", "ops.2", "ops.3"} <= people, start
        for username in people:
            minutes = approved.filter(staff__user__username=username).aggregate(
                total=Sum("minutes")
            )["total"]
            # 20.00 an hour, capped at 600.00 a month.
            expected = min(Decimal(minutes) * Decimal(20) / Decimal(60), Decimal("600"))
            statement = Statement.objects.get(
                period__start_date=start, staff__user__username=username
            )
            support_lines = statement.lines.filter(
                source__in=[RewardLine.Source.SUPPORT_TIME, RewardLine.Source.SUPPORT_CAP]
            )
            total = support_lines.aggregate(total=Sum("amount"))["total"]
            if statement.lines.filter(source=RewardLine.Source.TASK).exists():
                continue  # tasks share the cap; the calculation's own tests cover that
            assert abs(total - expected) < Decimal("0.01"), (start, username)


def check_no_day_is_over_its_cap() -> None:
    people = list(StaffProfile.objects.select_related("department"))
    totals: dict[tuple[int, datetime.date], int] = defaultdict(int)
    for row in (
        TimeLog.objects.exclude(status=TimeLog.Status.REJECTED)
        .values("staff_id", "day")
        .annotate(total=Sum("minutes"))
    ):
        totals[(row["staff_id"], row["day"])] = row["total"]
    days = sorted({day for _staff, day in totals})
    budgets = budgets_for_people_and_days(people=people, days=days)
    extensions = granted_extensions(people=people, start=days[0], end=days[-1])
    for key, total in totals.items():
        assert total <= budgets[key] + extensions.get(key, 0), key
    ledgers = {
        (staff_id, day): minutes
        for staff_id, day, minutes in DayLedger.objects.values_list(
            "staff_id", "day", "logged_minutes"
        )
    }
    for key, total in totals.items():
        assert ledgers[key] == total, key


def check_history(moment: datetime.datetime) -> None:
    def trail(model) -> dict[int, list[str]]:
        content_type = ContentType.objects.get_for_model(model)
        found = defaultdict(list)
        for object_id, to_state in (
            StateChange.objects.filter(content_type=content_type)
            .order_by("at", "pk")
            .values_list("object_id", "to_state")
        ):
            found[object_id].append(to_state)
        return found

    leads = trail(Lead)
    for lead in Lead.objects.all():
        assert leads[lead.pk][0] == Lead.Status.NEW, lead
        assert lead.status in leads[lead.pk], lead
    paid = Lead.objects.get(status=Lead.Status.PAID)
    assert leads[paid.pk][-1] == Lead.Status.PAID
    assert [state for state in leads[paid.pk] if ":" not in state] == [
        "new",
        "qualified",
        "won",
        "paid",
    ]
    statements = trail(Statement)
    for statement in Statement.objects.filter(status=Statement.Status.PAID):
        assert statements[statement.pk] == ["recommended", "approved", "paid"], statement
    periods = trail(PayoutPeriod)
    paid_period = PayoutPeriod.objects.get(status=PayoutPeriod.Status.PAID)
    assert periods[paid_period.pk] == ["closed", "calculated", "approved", "paid"]
    logs = trail(TimeLog)
    for log in TimeLog.objects.exclude(status=TimeLog.Status.SUBMITTED):
        assert logs[log.pk][:2] == ["submitted", log.status], log
        assert timezone_day(log.created_at) == log.day, log

    assert not StateChange.objects.filter(at__gt=moment).exists()
    for model, stamp in (
        (Lead, "created_at"),
        (Lead, "updated_at"),
        (Collection, "created_at"),
        (RewardLine, "created_at"),
        (Statement, "updated_at"),
        (TimeLog, "created_at"),
    ):
        assert not model.objects.filter(**{f"{stamp}__gt": moment}).exists(), (model, stamp)
    for collection in Collection.objects.all():
        assert timezone_day(collection.created_at) == collection.received_on, collection


def check_role_model(moment: datetime.datetime) -> None:
    paid_start, _last, _this = months(moment)
    nominated = RoleModelCandidate.objects.get(nominated=True)
    assert nominated.period.start_date == paid_start
    assert nominated.staff.user.username == "ops.3"
    assert nominated.nominated_by.username == "ops.lead"
    assert "Xinda" in nominated.citation
    assert nominated.nominated_at <= moment


# --------------------------------------------------------------------------- tests


def test_it_is_registered_after_the_assist_work():
    assert SEEDERS.index("rewards.demo.seed_rewards") > SEEDERS.index("tasks.demo.seed_assist_work")


@pytest.mark.parametrize("moment", MOMENTS, ids=MOMENT_IDS)
def test_the_demo_rewards_are_complete_and_consistent(db, moment):
    seed_at(moment)

    check_rules()
    check_leads(moment.date())
    check_periods(moment)
    check_statements(moment)
    check_support_time(moment)
    check_no_day_is_over_its_cap()
    check_history(moment)
    check_role_model(moment)


def test_seeding_again_changes_nothing(db):
    seed_at(LATE_NOVEMBER)
    before = counts()
    assert before["Lead"] >= 9
    assert before["Statement"] >= 12

    seed_at(LATE_NOVEMBER)
    assert counts() == before
    with time_machine.travel(LATE_NOVEMBER + 2 * DAYS, tick=False):
        call_command("seed_demo", stdout=io.StringIO())
    assert counts() == before


def fingerprint() -> dict[str, list]:
    return {
        "leads": list(
            Lead.objects.order_by("created_at", "client_name").values_list(
                "client_name",
                "introducer__user__username",
                "status",
                "contract_amount",
                "won_on",
                "claim_status",
                "created_at",
            )
        ),
        "collections": list(
            Collection.objects.order_by("received_on", "amount").values_list(
                "lead__client_name", "received_on", "amount", "created_at"
            )
        ),
        "lines": sorted(
            (
                str(start),
                username,
                source,
                amount,
                str(sorted(explanation.items())),
            )
            for start, username, source, amount, explanation in RewardLine.objects.values_list(
                "statement__period__start_date",
                "statement__staff__user__username",
                "source",
                "amount",
                "explanation",
            )
        ),
        "statements": sorted(
            Statement.objects.values_list(
                "period__start_date", "staff__user__username", "status", "total"
            )
        ),
        "logs": sorted(
            TimeLog.objects.values_list(
                "day", "staff__user__username", "minutes", "status", "description"
            )
        ),
    }


def test_seeding_is_deterministic(db):
    savepoint = transaction.savepoint()
    seed_at(LATE_NOVEMBER)
    first = fingerprint()
    transaction.savepoint_rollback(savepoint)
    assert not Lead.objects.exists()

    seed_at(LATE_NOVEMBER)
    assert fingerprint() == first
