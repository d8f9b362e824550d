"""The demo company's assist work: believable, complete, within every cap, and the same
every time it is seeded.

Seeding takes a few seconds, so each seeded test checks several properties in turn.
"""

from __future__ import annotations

import datetime
import io
import zoneinfo
from collections import defaultdict

import pytest
import time_machine
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db.models import Sum

from departments.demo import seed_organisation
from departments.management.commands.seed_demo import SEEDERS
from departments.models import StaffProfile
from tasks.demo import LEADS, STAFF, seed_assist_work
from tasks.models import (
    AssistCategory,
    BudgetExtension,
    DayLedger,
    MarketingTask,
    StateChange,
    TaskAssignment,
    TaskComment,
    TimeLog,
)
from tasks.selectors import budgets_for_people_and_days, granted_extensions

TZ = zoneinfo.ZoneInfo(settings.TIME_ZONE)
TUESDAY = datetime.datetime(2026, 3, 10, 10, 0, tzinfo=TZ)
# A Monday morning: the edit window reaches back over a weekend, and "today 17:00" is ahead.
MONDAY = datetime.datetime(2026, 3, 16, 8, 30, tzinfo=TZ)
DAYS = datetime.timedelta(days=1)
MODELS = [
    TimeLog,
    MarketingTask,
    TaskAssignment,
    TaskComment,
    BudgetExtension,
    DayLedger,
    StateChange,
]


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def seed_at(moment: datetime.datetime) -> None:
    with time_machine.travel(moment, tick=False):
        seed_organisation()
        seed_assist_work()


def states(queryset, field) -> set:
    return set(queryset.values_list(field, flat=True))


def check_every_state_is_present() -> None:
    assert states(TimeLog.objects, "status") == set(TimeLog.Status.values)
    assert {"confirmed", "needs_follow_up"} <= states(TimeLog.objects, "outcome_status")
    assert states(MarketingTask.objects, "status") == set(MarketingTask.Status.values)
    assert states(TaskAssignment.objects, "status") == set(TaskAssignment.Status.values)
    assert states(BudgetExtension.objects, "status") == set(BudgetExtension.Status.values)
    assert states(TimeLog.objects, "category__code") == states(AssistCategory.objects, "code")
    assert TaskComment.objects.count() >= 5
    assert TimeLog.objects.filter(task__isnull=False).count() >= 8


def check_decisions_say_who_and_why() -> None:
    rejected = TimeLog.objects.filter(status=TimeLog.Status.REJECTED)
    assert rejected.count() >= 3
    assert not rejected.filter(rejection_reason="").exists()
    decided = TimeLog.objects.exclude(status=TimeLog.Status.SUBMITTED)
    for log in decided.select_related("staff"):
        assert log.decided_by_id == log.staff.line_supervisor_id, log
        assert log.decided_at is not None, log
    leads = decided.filter(staff__user__username__in=LEADS)
    assert leads.exists()
    assert states(leads, "decided_by__username") == {"gm"}


def check_no_day_is_over_its_cap() -> None:
    people = list(
        StaffProfile.objects.select_related("user", "department").filter(
            user__username__in=STAFF + LEADS
        )
    )
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
    assert {key for key, total in totals.items() if total} <= set(ledgers)
    for key, minutes in ledgers.items():
        assert minutes == totals[key], key
    # Operations runs on 90 minutes, and the granted extension is actually used.
    ops = {p.pk for p in people if p.department.code == "OPS" and p.user.username in STAFF}
    assert max(total for (pk, _day), total in totals.items() if pk in ops) <= 90
    assert any(totals[key] > budgets[key] for key in extensions)


def check_four_weeks_by_every_person(today: datetime.date) -> None:
    assert not TimeLog.objects.filter(day__gt=today).exists()
    assert not TimeLog.objects.filter(day__lt=today - 27 * DAYS).exists()
    for username in STAFF:
        days = states(TimeLog.objects.filter(staff__user__username=username), "day")
        assert len(days) >= 8, username
        assert len({day.isocalendar()[1] for day in days}) >= 4, username
    for username in LEADS:
        assert TimeLog.objects.filter(staff__user__username=username).exists(), username
    submitted = TimeLog.objects.filter(status=TimeLog.Status.SUBMITTED)
    assert submitted.exists()
    assert not submitted.filter(day__lt=today - 7 * DAYS).exists()


def check_history_and_times(now: datetime.datetime) -> None:
    log_type = ContentType.objects.get_for_model(TimeLog)
    trail = defaultdict(list)
    for change in StateChange.objects.filter(content_type=log_type).order_by("at", "pk"):
        trail[change.object_id].append(change.to_state)
    for log in TimeLog.objects.all():
        assert trail[log.pk][0] == TimeLog.Status.SUBMITTED, log
        if log.status != TimeLog.Status.SUBMITTED:
            assert log.status in trail[log.pk], log
        assert log.created_at.astimezone(TZ).date() == log.day, log
    for model in (MarketingTask, BudgetExtension):
        content_type = ContentType.objects.get_for_model(model)
        recorded = states(StateChange.objects.filter(content_type=content_type), "object_id")
        assert recorded >= states(model.objects, "pk"), model
    answered = TaskAssignment.objects.exclude(status=TaskAssignment.Status.ASSIGNED)
    assignment_type = ContentType.objects.get_for_model(TaskAssignment)
    recorded = states(StateChange.objects.filter(content_type=assignment_type), "object_id")
    assert recorded >= states(answered, "pk")
    assert not StateChange.objects.filter(at__gt=now).exists()
    assert not TimeLog.objects.filter(created_at__gt=now).exists()
    assert not TaskComment.objects.filter(created_at__gt=now).exists()


def test_it_is_registered_after_the_organisation():
    assert SEEDERS.index("tasks.demo.seed_assist_work") > SEEDERS.index(
        "departments.demo.seed_organisation"
    )


@pytest.mark.parametrize("moment", [TUESDAY, MONDAY], ids=["tuesday", "monday"])
def test_the_demo_history_is_complete_believable_and_within_every_cap(db, moment):
    seed_at(moment)

    check_every_state_is_present()
    check_decisions_say_who_and_why()
    check_no_day_is_over_its_cap()
    check_four_weeks_by_every_person(moment.date())
    check_history_and_times(moment)


def test_seeding_again_changes_nothing(db):
    seed_at(TUESDAY)
    before = counts()
    assert before["TimeLog"] > 100

    seed_at(TUESDAY)
    assert counts() == before


def test_running_seed_demo_twice_changes_nothing(db):
    with time_machine.travel(TUESDAY, tick=False):
        call_command("seed_demo", stdout=io.StringIO())
    before = counts()
    with time_machine.travel(TUESDAY + 2 * DAYS, tick=False):
        call_command("seed_demo", stdout=io.StringIO())
    assert counts() == before


def test_seeding_is_deterministic(db):
    seed_at(TUESDAY)
    first = list(TimeLog.objects.order_by("pk").values_list("day", "minutes", "description"))
    TimeLog.objects.all().delete()
    MarketingTask.objects.all().delete()
    BudgetExtension.objects.all().delete()
    seed_at(TUESDAY)
    second = list(TimeLog.objects.order_by("pk").values_list("day", "minutes", "description"))
    assert first == second


def test_eng_1_reports_to_eng_lead_and_to_marketing(db):
    seed_organisation()
    profile = StaffProfile.objects.select_related("line_supervisor", "marketing_lead").get(
        user__username="eng.1"
    )
    assert profile.line_supervisor.username == "eng.lead"
    assert profile.marketing_lead.username == "marketing"
