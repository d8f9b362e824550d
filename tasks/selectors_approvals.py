"""Reads of the line supervisor's queues: pending time grouped by person and day, each day
with its total against the person's cap. A fixed number of queries whatever the rows."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from departments.models import StaffProfile
from departments.selectors import supervised_by
from tasks.models import AssistCategory, BudgetExtension, TimeLog
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
    all_entries: int = 0  # waiting whatever the filters: the navigation badge's count

    @property
    def truncated(self) -> bool:
        return self.entries > sum(len(day.logs) for day in self.days)

    @property
    def ids(self) -> str:
        return ",".join(day.ids for day in self.days)


@dataclass(frozen=True)
class QueueChoices:
    """What the queue is filtered by, read once. The same people and categories name and
    label the entries shown, so the entries' query joins neither (PostgreSQL took longer
    to plan that six-table join than to run it)."""

    people: list[StaffProfile]  # whose time the user approves, active or not, by name
    categories: list[AssistCategory]

    @property
    def active_people(self) -> list[StaffProfile]:
        return [person for person in self.people if person.is_active]


def queue_choices(*, user, day: datetime.date) -> QueueChoices:
    """The people whose time ``user`` approves on ``day`` and every category: two queries.
    People who left stay in the list: entries they submitted before may still wait."""
    people = (
        StaffProfile.objects.filter(supervised_by(user=user, day=day))
        .exclude(user=user)
        .select_related("user", "department")
        .order_by("user__first_name", "user__last_name", "user__username", "pk")
    )
    return QueueChoices(
        people=list(people), categories=list(AssistCategory.objects.order_by("order", "name"))
    )


def _with_day_totals(logs: QuerySet[TimeLog]) -> QuerySet[TimeLog]:
    """Each entry with its day's non-rejected minutes and granted extension minutes, read
    by index inside the entries' query (after its LIMIT) rather than by queries of their
    own."""

    def day_sum(queryset):
        return Coalesce(
            Subquery(
                queryset.filter(staff=OuterRef("staff"), day=OuterRef("day"))
                .order_by()
                .values("staff")
                .annotate(total=Sum("minutes"))
                .values("total")
            ),
            0,
        )

    return logs.annotate(
        day_counted=day_sum(TimeLog.objects.exclude(status=TimeLog.Status.REJECTED)),
        day_extended=day_sum(BudgetExtension.objects.filter(status=BudgetExtension.Status.GRANTED)),
    )


def _attach(logs: list[TimeLog], choices: QueueChoices) -> None:
    """Give each entry its person and category from the choices; a person or category
    that appeared between the two reads is fetched (a rare race, one query more)."""
    people = {person.pk: person for person in choices.people}
    categories = {category.pk: category for category in choices.categories}
    missing = {log.staff_id for log in logs} - people.keys()
    if missing:
        people.update(StaffProfile.objects.select_related("user", "department").in_bulk(missing))
    missing = {log.category_id for log in logs} - categories.keys()
    if missing:
        categories.update(AssistCategory.objects.in_bulk(missing))
    for log in logs:
        log.staff = people[log.staff_id]
        log.category = categories[log.category_id]


def approval_queue(
    *,
    user,
    day: datetime.date,
    choices: QueueChoices | None = None,
    person: StaffProfile | None = None,
    category: AssistCategory | None = None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    limit: int = QUEUE_LIMIT,
) -> ApprovalQueue:
    """Submitted entries ``user`` may decide on ``day``, filtered, at most ``limit`` of them,
    grouped by person and day. Four queries besides the choices (read here when not
    given): the counts, the entries with their days' totals, and the budget rules."""
    if choices is None:
        choices = queue_choices(user=user, day=day)
    waiting = approvable_logs(user=user, day=day)
    match = Q()
    if person is not None:
        match &= Q(staff=person)
    if category is not None:
        match &= Q(category=category)
    if date_from is not None:
        match &= Q(day__gte=date_from)
    if date_to is not None:
        match &= Q(day__lte=date_to)
    # One pass over everything waiting counts both the filtered entries and, for the
    # navigation badge, all of them.
    only = {"filter": match} if match else {}
    summary = waiting.order_by().aggregate(
        all_entries=Count("pk"),
        entries=Count("pk", **only),
        minutes=Sum("minutes", **only),
        people=Count("staff", distinct=True, **only),
    )
    logs = list(_with_day_totals(waiting.filter(match).select_related("task"))[:limit])
    _attach(logs, choices)
    groups = group_by_person_and_day(logs)
    budgets = budgets_for_people_and_days(
        people={group.staff.pk: group.staff for group in groups}.values(),
        days=[group.day for group in groups],
    )
    return ApprovalQueue(
        days=[
            QueueDay(
                staff=group.staff,
                day=group.day,
                logs=group.logs,
                figures=DayFigures(
                    cap=budgets[(group.staff.pk, group.day)] + group.logs[0].day_extended,
                    counted=group.logs[0].day_counted,
                ),
            )
            for group in groups
        ],
        entries=summary["entries"] or 0,
        minutes=summary["minutes"] or 0,
        people=summary["people"] or 0,
        limit=limit,
        all_entries=summary["all_entries"] or 0,
    )
