"""Reads for the assist-work pages. Each carries its joins so that a page's query count
does not grow with its rows."""

from __future__ import annotations

import calendar
import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from departments.models import Department, StaffProfile
from departments.selectors import (
    BudgetRuleRow,
    _resolve,
    approvable_sql,
    budget_rules,
    budgets_for_people_and_days,
    department_chain,
    department_parents,
    supervised_by,
)
from tasks.models import (
    AssistCategory,
    BudgetExtension,
    MarketingTask,
    TaskAssignment,
    TaskComment,
    TimeLog,
)


def active_categories() -> QuerySet[AssistCategory]:
    return AssistCategory.objects.filter(is_active=True).order_by("order", "name")


# ------------------------------------------------------------------ budgets over days


def budget_segments(
    *, people: Iterable[StaffProfile], start: datetime.date, end: datetime.date
) -> list[tuple[int, datetime.date, datetime.date, int]]:
    """The same budgets as ``budgets_for_people_and_days`` over ``start``..``end``, as
    ``(profile id, first day, last day, minutes)`` runs: a budget changes only on a
    rule's first day, so a person needs one resolution per such day instead of one per
    day. Two queries whatever the numbers."""
    people = list(people)
    if not people or end < start:
        return []
    parents = department_parents()
    rules = budget_rules(until=end)
    shared = [rule for rule in rules if rule.staff_id is None]
    own: dict[int, list[BudgetRuleRow]] = defaultdict(list)
    for rule in rules:
        if rule.staff_id is not None:
            own[rule.staff_id].append(rule)
    changes_of = defaultdict(set)  # the days a department's or a person's rules start
    for rule in rules:
        if rule.effective_from > start:
            changes_of[("p", rule.staff_id) if rule.staff_id else rule.department_id].add(
                rule.effective_from
            )
    chains: dict[int | None, tuple[list[int], list[BudgetRuleRow], set]] = {}
    segments = []
    for person in people:
        context = chains.get(person.department_id)
        if context is None:
            chain = department_chain(parents, person.department_id)
            in_chain = [r for r in shared if r.department_id is None or r.department_id in chain]
            days = set().union(changes_of[None], *(changes_of[d] for d in chain))
            context = chains[person.department_id] = (chain, in_chain, days)
        chain, in_chain, days = context
        candidates = in_chain + own[person.pk]
        runs: list[list] = []
        for day in sorted({start} | days | changes_of[("p", person.pk)]):
            minutes = _resolve(candidates, person.pk, chain, day)
            if runs and runs[-1][2] == minutes:
                continue
            if runs:
                runs[-1][1] = day - datetime.timedelta(days=1)
            runs.append([day, end, minutes])
        segments.extend((person.pk, first, last, minutes) for first, last, minutes in runs)
    return segments


def granted_extensions(
    *, people: Iterable[StaffProfile], start: datetime.date, end: datetime.date
) -> dict[tuple[int, datetime.date], int]:
    rows = (
        BudgetExtension.objects.filter(
            staff__in=list(people),
            day__gte=start,
            day__lte=end,
            status=BudgetExtension.Status.GRANTED,
        )
        .values("staff_id", "day")
        .annotate(total=Sum("minutes"))
    )
    return {(row["staff_id"], row["day"]): row["total"] for row in rows}


# ------------------------------------------------------------------ my day / week / month


@dataclass
class DaySummary:
    day: datetime.date
    budget: int = 0
    extension: int = 0
    logs: list = field(default_factory=list)

    @property
    def cap(self) -> int:
        return self.budget + self.extension

    @property
    def counted(self) -> int:
        return sum(log.minutes for log in self.logs if log.status != TimeLog.Status.REJECTED)

    @property
    def approved(self) -> int:
        return sum(log.minutes for log in self.logs if log.status == TimeLog.Status.APPROVED)

    @property
    def remaining(self) -> int:
        return max(self.cap - self.counted, 0)

    @property
    def percent(self) -> int:
        return min(round(100 * self.counted / self.cap), 100) if self.cap else 0

    @property
    def over(self) -> bool:
        return self.counted > self.cap


def _logs_between(staff: StaffProfile, start: datetime.date, end: datetime.date):
    return (
        TimeLog.objects.filter(staff=staff, day__gte=start, day__lte=end)
        .select_related("category", "task")
        .order_by("day", "pk")
    )


def days_summary(
    *, staff: StaffProfile, start: datetime.date, end: datetime.date
) -> list[DaySummary]:
    """One summary per day between ``start`` and ``end`` inclusive (four queries)."""
    days = [start + datetime.timedelta(days=n) for n in range((end - start).days + 1)]
    budgets = budgets_for_people_and_days(people=[staff], days=days)
    extensions = granted_extensions(people=[staff], start=start, end=end)
    summaries = {
        day: DaySummary(
            day=day, budget=budgets[(staff.pk, day)], extension=extensions.get((staff.pk, day), 0)
        )
        for day in days
    }
    for log in _logs_between(staff, start, end):
        summaries[log.day].logs.append(log)
    return list(summaries.values())


def local_midnight(day: datetime.date) -> datetime.datetime:
    """The moment ``day`` begins in the current time zone."""
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=timezone.get_current_timezone())


def week_bounds(day: datetime.date) -> tuple[datetime.date, datetime.date]:
    start = day - datetime.timedelta(days=day.weekday())
    return start, start + datetime.timedelta(days=6)


def month_bounds(day: datetime.date) -> tuple[datetime.date, datetime.date]:
    last = calendar.monthrange(day.year, day.month)[1]
    return day.replace(day=1), day.replace(day=last)


def category_totals(logs: Iterable[TimeLog]) -> list[tuple[AssistCategory, int]]:
    totals: dict[int, list] = {}
    for log in logs:
        if log.status == TimeLog.Status.REJECTED:
            continue
        entry = totals.setdefault(log.category_id, [log.category, 0])
        entry[1] += log.minutes
    return sorted(((c, m) for c, m in totals.values()), key=lambda item: -item[1])


# ------------------------------------------------------------------ remaining week budget


def remaining_week_minutes(
    *, people: Iterable[StaffProfile], today: datetime.date
) -> dict[int, int]:
    """Budget left from today to the end of the week (working days Monday–Friday),
    less what each person already logged on those days. Four queries in all."""
    people = list(people)
    _start, end = week_bounds(today)
    days = [
        today + datetime.timedelta(days=n)
        for n in range((end - today).days + 1)
        if (today + datetime.timedelta(days=n)).weekday() < 5
    ]
    if not people:
        return {}
    budgets = budgets_for_people_and_days(people=people, days=days) if days else {}
    extensions = granted_extensions(people=people, start=today, end=end)
    logged = defaultdict(int)
    for row in (
        TimeLog.objects.filter(staff__in=people, day__gte=today, day__lte=end)
        .exclude(status=TimeLog.Status.REJECTED)
        .values("staff_id")
        .annotate(total=Sum("minutes"))
    ):
        logged[row["staff_id"]] = row["total"]
    result = {}
    for person in people:
        cap = sum(budgets[(person.pk, day)] for day in days) + sum(
            minutes for (pid, _day), minutes in extensions.items() if pid == person.pk
        )
        result[person.pk] = max(cap - logged[person.pk], 0)
    return result


def assignable_people() -> QuerySet[StaffProfile]:
    return (
        StaffProfile.objects.filter(
            is_active=True, user__is_active=True, department__kind=Department.Kind.NON_MARKETING
        )
        .select_related("user", "department")
        .order_by("department__name", "user__first_name", "user__username")
    )


# ------------------------------------------------------------------ approvals


def pending_approval_count(*, user, day: datetime.date) -> int:
    """How many submitted logs ``user`` may approve on ``day``: their reports' and those
    of supervisors who delegated to them, never their own (the approval queue reads the
    same people's entries, ``selectors_approvals``). For the navigation's badge on every
    page a supervisor opens, so written as SQL: the ORM took longer to build the statement
    than PostgreSQL to run it."""
    approvable, params = approvable_sql("p", user=user, day=day)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT COUNT(*)
            FROM {TimeLog._meta.db_table} w
            JOIN {StaffProfile._meta.db_table} p ON p.id = w.staff_id
            WHERE {approvable} AND w.status = %s
            """,  # noqa: S608 - names from the models, values bound
            [*params, TimeLog.Status.SUBMITTED],
        )
        return cursor.fetchone()[0]


def pending_extensions(*, user, day: datetime.date) -> QuerySet[BudgetExtension]:
    return (
        BudgetExtension.objects.filter(
            supervised_by(user=user, day=day, field="staff__line_supervisor"),
            status=BudgetExtension.Status.REQUESTED,
        )
        .exclude(staff__user_id=user.pk)
        .select_related("staff", "staff__user")
        .order_by("day", "pk")
    )


# ------------------------------------------------------------------ tasks


def task_board(*, user, all_tasks: bool = False) -> QuerySet[MarketingTask]:
    """Tasks the marketing lead created (every task with ``all_tasks``, for admins), with
    their assignments (two queries)."""
    tasks = (
        MarketingTask.objects.all() if all_tasks else MarketingTask.objects.filter(created_by=user)
    )
    return (
        tasks.select_related("category", "created_by")
        .annotate(logged_minutes=Sum("time_logs__minutes", filter=~Q(time_logs__status="rejected")))
        .prefetch_related(
            Prefetch(
                "assignments",
                queryset=TaskAssignment.objects.select_related("assignee").order_by("pk"),
            )
        )
        .order_by("due_date", "pk")
    )


def my_assignments(*, user) -> QuerySet[TaskAssignment]:
    return (
        TaskAssignment.objects.filter(assignee=user)
        .select_related("task", "task__category", "task__created_by")
        .order_by("task__due_date", "pk")
    )


def open_tasks_for(*, user) -> QuerySet[MarketingTask]:
    """Tasks the user may log time on."""
    return (
        MarketingTask.objects.filter(
            assignments__assignee=user,
            status__in=[MarketingTask.Status.OPEN, MarketingTask.Status.IN_PROGRESS],
        )
        .exclude(assignments__assignee=user, assignments__status=TaskAssignment.Status.DECLINED)
        .order_by("due_date", "pk")
        .distinct()
    )


def task_detail(*, task: MarketingTask) -> dict:
    assignments = list(
        task.assignments.select_related("assignee", "assignee__profile").order_by("pk")
    )
    comments = list(TaskComment.objects.filter(task=task).select_related("author"))
    logs = list(
        task.time_logs.select_related("staff", "staff__user", "category", "outcome_by").order_by(
            "-day", "-pk"
        )
    )
    return {
        "assignments": assignments,
        "comments": comments,
        "logs": logs,
        "logged_minutes": sum(log.minutes for log in logs if log.status != TimeLog.Status.REJECTED),
    }
