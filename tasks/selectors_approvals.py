"""Reads of the line supervisor's queues: pending time grouped by person and day, each day
with its total against the person's cap. A fixed number of queries whatever the rows."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, Sum

from departments.models import StaffProfile
from tasks.models import AssistCategory, TimeLog
from tasks.selectors import (
    approvable_logs,
    budgets_for_people_and_days,
    granted_extensions,
    group_by_person_and_day,
)

QUEUE_LIMIT = 100  # entries on one page: a screenful to decide, and a fast page


@dataclass(frozen=True)
class DayFigures:
    """A person's day: budget plus granted extensions, and the non-rejected minutes."""

    cap: int = 0
    counted: int = 0

    @property
    def over(self) -> bool:
        return self.counted > self.cap


def day_figures(
    *, pairs: Iterable[tuple[StaffProfile, datetime.date]]
) -> dict[tuple[int, datetime.date], DayFigures]:
    """Figures of each (person, day) pair in four queries, or none without pairs."""
    pairs = list(pairs)
    if not pairs:
        return {}
    people = list({person.pk: person for person, _day in pairs}.values())
    days = sorted({day for _person, day in pairs})
    budgets = budgets_for_people_and_days(people=people, days=days)
    extensions = granted_extensions(people=people, start=days[0], end=days[-1])
    counted = {
        (row["staff_id"], row["day"]): row["total"]
        for row in TimeLog.objects.filter(staff__in=people, day__gte=days[0], day__lte=days[-1])
        .exclude(status=TimeLog.Status.REJECTED)
        .values("staff_id", "day")
        .annotate(total=Sum("minutes"))
        .order_by()
    }
    return {
        (person.pk, day): DayFigures(
            cap=budgets[(person.pk, day)] + extensions.get((person.pk, day), 0),
            counted=counted.get((person.pk, day), 0),
        )
        for person, day in pairs
    }


@dataclass
class QueueDay:
    staff: StaffProfile
    day: datetime.date
    logs: list[TimeLog]
    figures: DayFigures = field(default_factory=DayFigures)
    checked: bool = False

    @property
    def pending_minutes(self) -> int:
        return sum(log.minutes for log in self.logs)

    @property
    def ids(self) -> str:
        """The entries' ids, comma-separated: one checkbox value selects the whole day."""
        return ",".join(str(log.pk) for log in self.logs)


@dataclass
class ApprovalQueue:
    days: list[QueueDay]
    entries: int
    minutes: int
    people: int
    limit: int

    @property
    def truncated(self) -> bool:
        return self.entries > sum(len(day.logs) for day in self.days)

    @property
    def ids(self) -> str:
        return ",".join(day.ids for day in self.days)


def approval_queue(
    *,
    user,
    day: datetime.date,
    person: StaffProfile | None = None,
    category: AssistCategory | None = None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    limit: int = QUEUE_LIMIT,
) -> ApprovalQueue:
    """Submitted entries ``user`` may decide on ``day``, filtered, at most ``limit`` of them,
    grouped by person and day."""
    logs = approvable_logs(user=user, day=day)
    if person is not None:
        logs = logs.filter(staff=person)
    if category is not None:
        logs = logs.filter(category=category)
    if date_from is not None:
        logs = logs.filter(day__gte=date_from)
    if date_to is not None:
        logs = logs.filter(day__lte=date_to)
    summary = logs.order_by().aggregate(
        entries=Count("pk"), minutes=Sum("minutes"), people=Count("staff", distinct=True)
    )
    groups = group_by_person_and_day(logs[:limit])
    figures = day_figures(pairs=[(group.staff, group.day) for group in groups])
    return ApprovalQueue(
        days=[
            QueueDay(
                staff=group.staff,
                day=group.day,
                logs=group.logs,
                figures=figures[(group.staff.pk, group.day)],
            )
            for group in groups
        ],
        entries=summary["entries"] or 0,
        minutes=summary["minutes"] or 0,
        people=summary["people"] or 0,
        limit=limit,
    )
