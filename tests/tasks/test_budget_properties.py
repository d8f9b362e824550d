"""Rule 1 as a property: whatever sequence of writes people make, every day stays within its cap.

Hypothesis draws sequences of creates, edits (minutes and day), deletes, rejections and
approvals by the line supervisor, and granted or refused extensions, for two people with
different budgets. After every step, for every day: the non-rejected minutes stay within the
budget plus granted extensions, and the ``DayLedger`` holds exactly that sum. A write is refused
exactly when the plain rule says it must be.
"""

from __future__ import annotations

import datetime
import zoneinfo
from collections import defaultdict

import pytest
import time_machine
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tasks import services
from tasks.models import AssistCategory, BudgetExtension, DayLedger, TimeLog
from tests.factories import BudgetRuleFactory

DAY = datetime.timedelta(days=1)
MOMENT = datetime.datetime(2026, 3, 10, 10, 0, tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE))
TODAY = MOMENT.date()
WINDOW = settings.ALLHANDS_EDIT_WINDOW_DAYS
OPS_BUDGET = 90

# Offsets into the past: 0 … WINDOW are editable; -1 (tomorrow) and WINDOW + 1 are refused.
offsets = st.integers(min_value=-1, max_value=WINDOW + 1)
people = st.sampled_from(["staff", "other"])
picks = st.integers(min_value=0, max_value=1_000)

operations = st.one_of(
    st.tuples(st.just("create"), people, offsets, st.integers(min_value=1, max_value=200)),
    st.tuples(
        st.just("edit"),
        picks,
        st.one_of(st.none(), st.integers(min_value=1, max_value=200)),
        st.one_of(st.none(), offsets),
    ),
    st.tuples(st.just("delete"), picks),
    st.tuples(st.just("reject"), picks),
    st.tuples(st.just("approve"), picks),
    st.tuples(
        st.just("extension"),
        people,
        st.integers(min_value=0, max_value=WINDOW),
        st.integers(min_value=1, max_value=120),
        st.booleans(),
    ),
)


@pytest.fixture
def frozen_today():
    with time_machine.travel(MOMENT, tick=False):
        yield TODAY


@pytest.fixture
def world(org, frozen_today):
    BudgetRuleFactory(
        department=org.operations, daily_minutes=OPS_BUDGET, effective_from=TODAY - 60 * DAY
    )
    category = AssistCategory.objects.get_or_create(
        code="phone-marketing", defaults={"name": "Phone marketing", "order": 10}
    )[0]
    people = {
        "staff": (org.staff_profile, org.supervisor),
        "other": (org.other_staff.profile, org.other_supervisor),
    }
    return {
        "category": category,
        "people": people,
        "by_pk": {profile.pk: (name, supervisor) for name, (profile, supervisor) in people.items()},
    }


def base_budget(name: str) -> int:
    return OPS_BUDGET if name == "other" else settings.ALLHANDS_DEFAULT_DAILY_BUDGET_MINUTES


def counted(profile, day) -> int:
    return (
        TimeLog.objects.filter(staff=profile, day=day)
        .exclude(status=TimeLog.Status.REJECTED)
        .aggregate(total=Sum("minutes"))["total"]
        or 0
    )


def granted(profile, day) -> int:
    return (
        BudgetExtension.objects.filter(
            staff=profile, day=day, status=BudgetExtension.Status.GRANTED
        ).aggregate(total=Sum("minutes"))["total"]
        or 0
    )


def in_window(day: datetime.date) -> bool:
    return TODAY - WINDOW * DAY <= day <= TODAY


def assert_every_day_within_its_cap(world) -> None:
    """Three queries for the whole organisation, whatever the number of steps so far."""
    totals: dict[tuple[int, datetime.date], int] = defaultdict(int)
    for row in (
        TimeLog.objects.exclude(status=TimeLog.Status.REJECTED)
        .values("staff_id", "day")
        .annotate(total=Sum("minutes"))
    ):
        totals[(row["staff_id"], row["day"])] = row["total"]
    extensions: dict[tuple[int, datetime.date], int] = defaultdict(int)
    for row in (
        BudgetExtension.objects.filter(status=BudgetExtension.Status.GRANTED)
        .values("staff_id", "day")
        .annotate(total=Sum("minutes"))
    ):
        extensions[(row["staff_id"], row["day"])] = row["total"]
    ledgers = {
        (staff_id, day): minutes
        for staff_id, day, minutes in DayLedger.objects.values_list(
            "staff_id", "day", "logged_minutes"
        )
    }
    for name, (profile, _supervisor) in world["people"].items():
        for offset in range(-1, WINDOW + 2):
            key = (profile.pk, TODAY - offset * DAY)
            cap = base_budget(name) + extensions[key]
            assert totals[key] <= cap, f"{name} on {key[1]}: {totals[key]} > {cap}"
            assert ledgers.get(key, 0) == totals[key], f"ledger of {name} on {key[1]}"
    assert {key for key, total in totals.items() if total} <= set(ledgers), "a day has no ledger"


def refusal(write) -> set[str] | None:
    """The fields a refused write complains about, or None when it went through."""
    try:
        write()
    except ValidationError as refused:
        return set(refused.message_dict)
    return None


def pick(queryset, index):
    rows = list(queryset.order_by("pk"))
    return rows[index % len(rows)] if rows else None


def step(world, operation) -> None:
    kind, *args = operation
    category = world["category"]
    logs = TimeLog.objects.select_related("staff")
    submitted = logs.filter(status=TimeLog.Status.SUBMITTED)

    if kind == "create":
        name, offset, minutes = args
        profile, _supervisor = world["people"][name]
        day = TODAY - offset * DAY
        cap = base_budget(name) + granted(profile, day)
        must_refuse_day = not in_window(day)
        must_refuse_minutes = counted(profile, day) + minutes > cap
        refused = refusal(
            lambda: services.time_log_create(
                staff=profile,
                day=day,
                minutes=minutes,
                category=category,
                description="Prepared material for the spring campaign",
                duties_done=True,
            )
        )
        if must_refuse_day:
            assert refused == {"day"}
        elif must_refuse_minutes:
            assert refused == {"minutes"}
        else:
            assert refused is None

    elif kind == "edit":
        index, minutes, offset = args
        log = pick(submitted, index)
        if log is None:
            return
        fields = {}
        if minutes is not None:
            fields["minutes"] = minutes
        if offset is not None:
            fields["day"] = TODAY - offset * DAY
        new_day = fields.get("day", log.day)
        new_minutes = fields.get("minutes", log.minutes)
        name, _supervisor = world["by_pk"][log.staff_id]
        others = counted(log.staff, new_day) - (log.minutes if new_day == log.day else 0)
        must_refuse_day = not in_window(new_day)
        must_refuse_minutes = others + new_minutes > base_budget(name) + granted(log.staff, new_day)
        refused = refusal(lambda: services.time_log_update(actor=log.staff.user, log=log, **fields))
        if must_refuse_day:
            assert refused == {"day"}
        elif must_refuse_minutes:
            assert refused == {"minutes"}
        else:
            assert refused is None

    elif kind == "delete":
        log = pick(submitted, args[0])
        if log is not None:
            services.time_log_delete(actor=log.staff.user, log=log)
            assert not TimeLog.objects.filter(pk=log.pk).exists()

    elif kind in ("reject", "approve"):
        log = pick(submitted, args[0])
        if log is None:
            return
        _name, supervisor = world["by_pk"][log.staff_id]
        if kind == "reject":
            services.time_logs_reject(actor=supervisor, log_ids=[log.pk], reason="Not assist work")
            expected = TimeLog.Status.REJECTED
        else:
            services.time_logs_approve(actor=supervisor, log_ids=[log.pk])
            expected = TimeLog.Status.APPROVED
        log.refresh_from_db()
        assert log.status == expected

    elif kind == "extension":
        name, offset, minutes, grant = args
        profile, supervisor = world["people"][name]
        day = TODAY - offset * DAY
        extension = services.extension_request(
            staff=profile, day=day, minutes=minutes, reason="Client deadline"
        )
        services.extension_decide(
            actor=supervisor, extension=extension, grant=grant, note="" if grant else "Not now"
        )


@hypothesis_settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sequence=st.lists(operations, min_size=1, max_size=25))
def test_no_sequence_of_writes_pushes_a_day_over_its_cap(world, sequence):
    with transaction.atomic():
        for operation in sequence:
            step(world, operation)
            assert_every_day_within_its_cap(world)
        # Each example starts from the same organisation: undo its writes.
        transaction.set_rollback(True)
    assert not TimeLog.objects.exists(), "the example leaked into the next one"
