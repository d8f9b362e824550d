"""Figures of the dashboards: the staff member's own, the line supervisor's team, the
marketing lead's, the organisation's and one department's.

Time comes from the summary tables the rollup job keeps (``PersonDaySummary``,
``DepartmentDaySummary``) — never from the raw logs; leads, collections, statements and
tasks from small aggregate queries. Each dashboard runs a fixed number of queries,
whatever the range or the amount of data (the tests assert it).

Every figure a page shows sits in a ``Table`` (or a ``Kpi``): the page draws its charts
from those tables, renders them as accessible tables, and the CSV download writes the
same values. Budgets count working days (Monday to Friday) up to the end of the range,
which never lies after today; granted extensions are not part of the budget.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate, TruncMonth
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from departments.models import Department, StaffProfile
from departments.roles import Role, roles_for
from departments.selectors import active_delegators_for
from rewards.models import Collection, Lead, Statement
from tasks.models import (
    AssistCategory,
    DepartmentDaySummary,
    MarketingTask,
    PersonDaySummary,
    PersonMonthSummary,
    PersonWeekSummary,
    StateChange,
    TaskAssignment,
    TimeLog,
)
from tasks.selectors import budgets_for_people_and_days, month_bounds, week_bounds

ZERO = Decimal("0.00")
MAX_RANGE_DAYS = 731
HINT_MIN_WORKING_DAYS = 10
REWARDED = (Statement.Status.APPROVED, Statement.Status.PAID)
OPEN_TASK = (MarketingTask.Status.OPEN, MarketingTask.Status.IN_PROGRESS)

PRESETS = [
    ("this_week", gettext_lazy("This week")),
    ("this_month", gettext_lazy("This month")),
    ("last_12_months", gettext_lazy("Last 12 months")),
]
DEFAULT_PRESET = "this_month"


# --------------------------------------------------------------------------- who sees what


def can_view_my_dashboard(user) -> bool:
    return Role.STAFF in roles_for(user)


def can_view_team_dashboard(user) -> bool:
    """Line supervisors and the active delegates of one."""
    return Role.LINE_SUPERVISOR in roles_for(user)


def can_view_marketing_dashboard(user) -> bool:
    roles = roles_for(user)
    return Role.MARKETING_LEAD in roles or Role.ADMIN in roles


def can_view_org_dashboard(user) -> bool:
    roles = roles_for(user)
    return Role.ADMIN in roles or Role.FINANCE in roles


def can_view_department_dashboard(user) -> bool:
    return Role.ADMIN in roles_for(user)


def can_run_jobs(user) -> bool:
    return Role.ADMIN in roles_for(user)


# --------------------------------------------------------------------------- numbers


def percent(part: int | Decimal, whole: int | Decimal) -> int | None:
    """Whole per cent, half up; None when there is nothing to compare with."""
    if not whole:
        return None
    return int((Decimal(100) * Decimal(part) / Decimal(whole)).quantize(1, ROUND_HALF_UP))


def hours(minutes: int) -> Decimal:
    return (Decimal(minutes or 0) / 60).quantize(Decimal("0.1"), ROUND_HALF_UP)


def ratio(numerator: int | Decimal, denominator: int | Decimal) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def _money(value: Decimal | None) -> Decimal:
    return (value or ZERO).quantize(Decimal("0.01"), ROUND_HALF_UP)


# --------------------------------------------------------------------------- date ranges


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The first day of the month ``months`` away from ``day``'s month."""
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class DateRange:
    start: datetime.date
    end: datetime.date

    def days(self) -> list[datetime.date]:
        return [
            self.start + datetime.timedelta(days=n) for n in range((self.end - self.start).days + 1)
        ]

    def working_days(self) -> list[datetime.date]:
        return [day for day in self.days() if day.weekday() < 5]

    def weeks(self) -> list[DateRange]:
        """Monday-to-Sunday weeks, the first and last cut to the range."""
        weeks, current = [], self.start
        while current <= self.end:
            last = min(week_bounds(current)[1], self.end)
            weeks.append(DateRange(current, last))
            current = last + datetime.timedelta(days=1)
        return weeks

    def months(self) -> list[DateRange]:
        months, current = [], self.start
        while current <= self.end:
            last = min(month_bounds(current)[1], self.end)
            months.append(DateRange(current, last))
            current = last + datetime.timedelta(days=1)
        return months

    def trend_months(self) -> DateRange:
        """The twelve months ending with the range's last month (up to its last day)."""
        return DateRange(add_months(self.end, -11), self.end)

    def start_at(self) -> datetime.datetime:
        return _local_midnight(self.start)

    def end_at(self) -> datetime.datetime:
        """Midnight after the last day (exclusive bound)."""
        return _local_midnight(self.end + datetime.timedelta(days=1))


def _local_midnight(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=timezone.get_current_timezone())


def preset_range(preset: str, today: datetime.date) -> DateRange:
    if preset == "this_week":
        return DateRange(week_bounds(today)[0], today)
    if preset == "last_12_months":
        return DateRange(add_months(today, -11), today)
    return DateRange(today.replace(day=1), today)


def preset_of(rng: DateRange, today: datetime.date) -> str:
    for key, _label in PRESETS:
        if preset_range(key, today) == rng:
            return key
    return ""


# --------------------------------------------------------------------------- tables


NUMERIC = {"int", "minutes", "hours", "percent", "money", "ratio"}


def display(value: Any, kind: str) -> str:
    """How a page writes a value of ``kind`` (the CSV writes the raw value)."""
    if kind == "text" or isinstance(value, str):
        return "" if value is None else str(value)
    if value is None:
        return "—"
    if kind == "date":
        return date_format(value, "SHORT_DATE_FORMAT")
    if kind == "week":
        return date_format(value, "MONTH_DAY_FORMAT")
    if kind == "month":
        return date_format(value, "YEAR_MONTH_FORMAT")
    if kind == "percent":
        return f"{number_format(value, use_l10n=True, force_grouping=True)} %"
    places = {"hours": 1, "money": 2, "ratio": 2}.get(kind, 0)
    return number_format(value, decimal_pos=places, use_l10n=True, force_grouping=True)


@dataclass
class Column:
    label: str
    kind: str = "int"

    @property
    def numeric(self) -> bool:
        return self.kind in NUMERIC


@dataclass
class Cell:
    value: Any
    text: str
    numeric: bool


@dataclass
class Row:
    cells: list[Any]
    link: str = ""
    css: str = ""


@dataclass
class Table:
    key: str
    title: str
    columns: list[Column]
    rows: list[Row]
    caption: str = ""
    total: Row | None = None
    scroll: bool = False

    def _cells(self, row: Row) -> list[Cell]:
        return [
            Cell(value=value, text=display(value, column.kind), numeric=column.numeric)
            for value, column in zip(row.cells, self.columns, strict=True)
        ]

    @property
    def display_rows(self) -> list[dict]:
        return [{"row": row, "cells": self._cells(row)} for row in self.rows]

    @property
    def display_total(self) -> list[Cell]:
        return self._cells(self.total) if self.total else []

    def values(self) -> list[list[Any]]:
        """The raw cells of every row (tests and CSV)."""
        return [list(row.cells) for row in self.rows]

    def column(self, index: int) -> list[Any]:
        return [row.cells[index] for row in self.rows]


@dataclass
class Kpi:
    key: str
    label: str
    value: Any
    kind: str = "int"

    @property
    def text(self) -> str:
        return display(self.value, self.kind)


@dataclass
class Dashboard:
    kind: str
    title: str
    rng: DateRange
    kpis: list[Kpi] = field(default_factory=list)
    tables: dict[str, Table] = field(default_factory=dict)
    hints: list[dict] = field(default_factory=list)

    def kpi(self, key: str) -> Any:
        return next(k.value for k in self.kpis if k.key == key)

    def add(self, table: Table) -> Table:
        self.tables[table.key] = table
        return table


# --------------------------------------------------------------------------- shared reads


def category_labels() -> dict[str, str]:
    """{category id as text (the key in ``minutes_by_category``): label} — one query."""
    return {str(category.pk): category.label for category in AssistCategory.objects.all()}


def _category_table(
    totals: dict[str, int], labels: dict[str, str], *, in_hours: bool, caption: str
) -> Table:
    total = sum(totals.values())
    ordered = sorted(totals.items(), key=lambda item: (-item[1], labels.get(item[0], item[0])))
    rows = [
        Row(
            [
                labels.get(key, key),
                hours(minutes) if in_hours else minutes,
                percent(minutes, total),
            ]
        )
        for key, minutes in ordered
        if minutes
    ]
    return Table(
        key="categories",
        title=_("Category mix"),
        columns=[
            Column(_("Category"), "text"),
            Column(_("Hours") if in_hours else _("Minutes"), "hours" if in_hours else "minutes"),
            Column(_("Share"), "percent"),
        ],
        rows=rows,
        caption=caption,
        total=Row([_("Total"), hours(total) if in_hours else total, 100 if total else None]),
    )


def _add_categories(target: dict[str, int], minutes_by_category: dict) -> None:
    for key, minutes in (minutes_by_category or {}).items():
        target[str(key)] += int(minutes)


def _working_budget(
    budgets: dict[tuple[int, datetime.date], int], person_id: int, days: Iterable[datetime.date]
) -> int:
    return sum(budgets.get((person_id, day), 0) for day in days if day.weekday() < 5)


def _profile_link(profile_id: int) -> str:
    return reverse("departments:profile", args=[profile_id])


def _person_name(profile: StaffProfile) -> str:
    return profile.user.get_full_name() or profile.user.get_username()


def _by_name(profile: StaffProfile) -> tuple:
    return (_person_name(profile).lower(), profile.pk)


# --------------------------------------------------------------------------- my dashboard


def me_dashboard(*, profile: StaffProfile, rng: DateRange) -> Dashboard:
    """A staff member's own figures (seven queries)."""
    dashboard = Dashboard(kind="me", title=_("My dashboard"), rng=rng)
    days = rng.days()
    budgets = budgets_for_people_and_days(people=[profile], days=days)
    summaries = {
        day: (submitted, approved, categories)
        for day, submitted, approved, categories in PersonDaySummary.objects.filter(
            staff=profile, day__gte=rng.start, day__lte=rng.end
        ).values_list("day", "submitted_minutes", "approved_minutes", "minutes_by_category")
    }
    categories: dict[str, int] = defaultdict(int)
    day_rows = []
    total_budget = total_logged = total_approved = days_with_time = 0
    for day in days:
        submitted, approved, by_category = summaries.get(day, (0, 0, {}))
        budget = budgets.get((profile.pk, day), 0) if day.weekday() < 5 else 0
        logged = submitted + approved
        _add_categories(categories, by_category)
        total_budget += budget
        total_logged += logged
        total_approved += approved
        days_with_time += 1 if logged else 0
        day_rows.append(
            Row(
                [day, budget, logged, approved, percent(logged, budget)],
                css="table-danger" if budget and logged > budget else "",
            )
        )
    dashboard.add(
        Table(
            key="days",
            title=_("Minutes per day against budget"),
            columns=[
                Column(_("Day"), "date"),
                Column(_("Budget"), "minutes"),
                Column(_("Logged"), "minutes"),
                Column(_("Approved"), "minutes"),
                Column(_("Of budget"), "percent"),
            ],
            rows=day_rows,
            caption=_(
                "Logged counts submitted and approved minutes (not rejected ones). The "
                "budget counts working days; granted extensions are not included."
            ),
            total=Row(
                [
                    _("Total"),
                    total_budget,
                    total_logged,
                    total_approved,
                    percent(total_logged, total_budget),
                ]
            ),
            scroll=True,
        )
    )
    dashboard.add(
        _category_table(
            categories,
            category_labels(),
            in_hours=False,
            caption=_("Minutes logged (not rejected) by category."),
        )
    )

    tasks = TaskAssignment.objects.filter(assignee_id=profile.user_id).aggregate(
        open=Count(
            "pk",
            filter=Q(
                status__in=[TaskAssignment.Status.ASSIGNED, TaskAssignment.Status.STARTED],
                task__status__in=OPEN_TASK,
            ),
        ),
        done=Count(
            "pk",
            filter=Q(
                status=TaskAssignment.Status.COMPLETED,
                responded_at__gte=rng.start_at(),
                responded_at__lt=rng.end_at(),
            ),
        ),
    )
    dashboard.add(
        Table(
            key="tasks",
            title=_("My tasks"),
            columns=[Column(_("Tasks"), "text"), Column(_("Count"))],
            rows=[
                Row([_("Open now"), tasks["open"]], link=_url_or_blank("tasks:my_tasks")),
                Row([_("Completed in the range"), tasks["done"]]),
            ],
            caption=_("Assignments still open today, and those you completed in the range."),
        )
    )

    lead_counts = dict(
        Lead.objects.filter(
            introducer=profile, created_at__gte=rng.start_at(), created_at__lt=rng.end_at()
        )
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    lead_rows = [Row([status.label, lead_counts.get(status.value, 0)]) for status in Lead.Status]
    dashboard.add(
        Table(
            key="leads",
            title=_("My leads by status"),
            columns=[Column(_("Status"), "text"), Column(_("Leads"))],
            rows=lead_rows,
            caption=_("Leads you introduced in the range, by where they stand today."),
            total=Row([_("Total"), sum(lead_counts.values())]),
        )
    )

    rewards = Statement.objects.filter(staff=profile, status__in=REWARDED).aggregate(
        in_range=Sum(
            "total", filter=Q(period__start_date__lte=rng.end, period__end_date__gte=rng.start)
        ),
        all_time=Sum("total"),
    )
    in_range, all_time = _money(rewards["in_range"]), _money(rewards["all_time"])
    dashboard.add(
        Table(
            key="rewards",
            title=_("My rewards"),
            columns=[
                Column(_("Statements approved or paid"), "text"),
                Column(_("Amount"), "money"),
            ],
            rows=[
                Row([_("Periods overlapping the range"), in_range]),
                Row(
                    [_("So far (all periods)"), all_time],
                    link=_url_or_blank("rewards:my_statements"),
                ),
            ],
        )
    )
    dashboard.kpis = [
        Kpi("logged", _("Minutes logged"), total_logged, "minutes"),
        Kpi("budget", _("Budget (working days)"), total_budget, "minutes"),
        Kpi("used", _("Of budget"), percent(total_logged, total_budget), "percent"),
        Kpi("approved", _("Minutes approved"), total_approved, "minutes"),
        Kpi("days_with_time", _("Days with time"), days_with_time),
        Kpi("open_tasks", _("Open tasks"), tasks["open"]),
        Kpi("tasks_done", _("Tasks completed"), tasks["done"]),
        Kpi("leads", _("Leads introduced"), sum(lead_counts.values())),
        Kpi("rewards_range", _("Rewards in the range"), in_range, "money"),
        Kpi("rewards_all", _("Rewards so far"), all_time, "money"),
    ]
    return dashboard


def _url_or_blank(name: str) -> str:
    try:
        return reverse(name)
    except NoReverseMatch:
        return ""


# --------------------------------------------------------------------------- team dashboard


@dataclass
class TeamScope:
    """Whose figures a line supervisor sees: their own reports and those of the
    supervisors who delegated their approvals to them today."""

    user: Any
    supervisors: list[int]
    people: list[StaffProfile]


def team_scope(*, user, today: datetime.date) -> TeamScope:
    """Two queries."""
    supervisors = [user.pk, *active_delegators_for(user=user, day=today)]
    people = list(
        StaffProfile.objects.filter(line_supervisor_id__in=supervisors, is_active=True)
        .exclude(user=user)
        .select_related("user", "department")
    )
    return TeamScope(user=user, supervisors=supervisors, people=sorted(people, key=_by_name))


def department_choices(people: Sequence[StaffProfile]) -> list[tuple[int, str]]:
    seen = {p.department_id: p.department.name for p in people}
    return sorted(seen.items(), key=lambda item: (item[1].lower(), item[0]))


def team_dashboard(
    *,
    scope: TeamScope,
    rng: DateRange,
    today: datetime.date,
    department_id: int | None = None,
) -> Dashboard:
    """Usage against budget per person and week, the category mix, the approvals waiting
    and hints to adjust budgets (five queries beyond ``team_scope``)."""
    dashboard = Dashboard(kind="team", title=_("Team dashboard"), rng=rng)
    people = scope.people
    if department_id:
        people = [p for p in people if p.department_id == department_id]
    ids = [p.pk for p in people]
    days = rng.days()
    weeks = rng.weeks()
    budgets = budgets_for_people_and_days(people=people, days=days)
    logged: dict[tuple[int, datetime.date], int] = defaultdict(int)
    approved: dict[int, int] = defaultdict(int)
    categories: dict[str, int] = defaultdict(int)
    for staff_id, day, submitted, approved_minutes, by_category in PersonDaySummary.objects.filter(
        staff_id__in=ids, day__gte=rng.start, day__lte=rng.end
    ).values_list(
        "staff_id", "day", "submitted_minutes", "approved_minutes", "minutes_by_category"
    ):
        logged[(staff_id, day)] += submitted + approved_minutes
        approved[staff_id] += approved_minutes
        _add_categories(categories, by_category)

    working = rng.working_days()
    usage_rows, week_rows = [], []
    week_budget = [0] * len(weeks)
    week_logged = [0] * len(weeks)
    team_budget = team_logged = 0
    for person in people:
        budget = _working_budget(budgets, person.pk, days)
        total = sum(logged[(person.pk, day)] for day in days)
        team_budget += budget
        team_logged += total
        hint = ""
        budgeted_days = [day for day in working if budgets.get((person.pk, day), 0) > 0]
        if budgeted_days and all(
            logged[(person.pk, day)] >= budgets[(person.pk, day)] for day in budgeted_days
        ):
            hint = "over"
        elif len(working) >= HINT_MIN_WORKING_DAYS and total == 0:
            hint = "unused"
        if hint:
            dashboard.hints.append(
                {
                    "profile": person,
                    "kind": hint,
                    "text": HINT_TEXT[hint](),
                    "link": _profile_link(person.pk),
                }
            )
        usage_rows.append(
            Row(
                [
                    _person_name(person),
                    person.department.name,
                    budget,
                    total,
                    approved[person.pk],
                    percent(total, budget),
                    HINT_LABEL[hint]() if hint else "",
                ],
                link=_profile_link(person.pk),
                css={"over": "table-warning", "unused": "table-secondary"}.get(hint, ""),
            )
        )
        cells: list[Any] = [_person_name(person)]
        for index, week in enumerate(weeks):
            week_days = week.days()
            w_budget = _working_budget(budgets, person.pk, week_days)
            w_logged = sum(logged[(person.pk, day)] for day in week_days)
            week_budget[index] += w_budget
            week_logged[index] += w_logged
            cells.append(percent(w_logged, w_budget))
        cells.append(percent(total, budget))
        week_rows.append(Row(cells, link=_profile_link(person.pk)))

    dashboard.add(
        Table(
            key="usage",
            title=_("Usage against budget per person"),
            columns=[
                Column(_("Person"), "text"),
                Column(_("Department"), "text"),
                Column(_("Budget"), "minutes"),
                Column(_("Logged"), "minutes"),
                Column(_("Approved"), "minutes"),
                Column(_("Of budget"), "percent"),
                Column(_("Hint"), "text"),
            ],
            rows=usage_rows,
            caption=_(
                "Minutes logged (submitted and approved) against the budget of the working "
                "days in the range. Choose a person to open their profile."
            ),
            total=Row(
                [
                    _("Team"),
                    "",
                    team_budget,
                    team_logged,
                    sum(approved.values()),
                    percent(team_logged, team_budget),
                    "",
                ]
            ),
        )
    )
    dashboard.add(
        Table(
            key="weeks",
            title=_("Usage per person and week"),
            columns=[
                Column(_("Person"), "text"),
                *[Column(display(week.start, "week"), "percent") for week in weeks],
                Column(_("Range"), "percent"),
            ],
            rows=week_rows,
            caption=_("Share of the week's budget used; weeks start on Monday."),
            total=Row(
                [
                    _("Team"),
                    *[percent(week_logged[i], week_budget[i]) for i in range(len(weeks))],
                    percent(team_logged, team_budget),
                ]
            ),
        )
    )
    dashboard.add(
        _category_table(
            categories,
            category_labels(),
            in_hours=False,
            caption=_("The team's minutes logged (not rejected) by category."),
        )
    )

    waiting = TimeLog.objects.filter(
        status=TimeLog.Status.SUBMITTED, staff__line_supervisor_id__in=scope.supervisors
    ).exclude(staff__user_id=scope.user.pk)
    if department_id:
        waiting = waiting.filter(staff__department_id=department_id)
    recent = _local_midnight(today - datetime.timedelta(days=2))
    week_ago = _local_midnight(today - datetime.timedelta(days=7))
    buckets = [
        ("fresh", _("0–2 days"), Q(created_at__gte=recent)),
        ("week", _("3–7 days"), Q(created_at__gte=week_ago, created_at__lt=recent)),
        ("old", _("More than 7 days"), Q(created_at__lt=week_ago)),
    ]
    pending = waiting.aggregate(
        **{f"{key}_n": Count("pk", filter=condition) for key, _label, condition in buckets},
        **{f"{key}_m": Sum("minutes", filter=condition) for key, _label, condition in buckets},
    )
    pending_rows = [
        Row([label, pending[f"{key}_n"], pending[f"{key}_m"] or 0])
        for key, label, _condition in buckets
    ]
    pending_total = sum(row.cells[1] for row in pending_rows)
    dashboard.add(
        Table(
            key="pending",
            title=_("Approvals waiting, by age"),
            columns=[
                Column(_("Waiting"), "text"),
                Column(_("Entries")),
                Column(_("Minutes"), "minutes"),
            ],
            rows=pending_rows,
            caption=_("Time entries submitted and not yet decided, today, by how long ago."),
            total=Row([_("Total"), pending_total, sum(row.cells[2] for row in pending_rows)]),
        )
    )
    dashboard.kpis = [
        Kpi("people", _("People"), len(people)),
        Kpi("budget", _("Team budget"), team_budget, "minutes"),
        Kpi("logged", _("Minutes logged"), team_logged, "minutes"),
        Kpi("used", _("Of budget"), percent(team_logged, team_budget), "percent"),
        Kpi("pending", _("Approvals waiting"), pending_total),
        Kpi("hints", _("Budgets to review"), len(dashboard.hints)),
    ]
    return dashboard


HINT_LABEL = {
    "over": lambda: _("Always at budget"),
    "unused": lambda: _("Nothing logged"),
}
HINT_TEXT = {
    "over": lambda: _("At or over budget every working day: consider a larger budget."),
    "unused": lambda: _("Nothing logged in the range: check the budget is still right."),
}


# --------------------------------------------------------------------------- marketing dashboard


def marketing_departments() -> list[tuple[int, str]]:
    """Departments whose people introduce leads (one query)."""
    return list(
        Department.objects.filter(kind=Department.Kind.NON_MARKETING)
        .order_by("name", "pk")
        .values_list("pk", "name")
    )


def marketing_dashboard(
    *,
    user,
    rng: DateRange,
    today: datetime.date,
    department_id: int | None = None,
    everyone: bool = False,
) -> Dashboard:
    """Throughput, overdue tasks, outcomes per approved hour and the lead funnel of the
    marketing lead's own tasks, people and leads (``everyone``: the whole organisation,
    for admins). Four queries."""
    dashboard = Dashboard(kind="marketing", title=_("Marketing dashboard"), rng=rng)
    tasks = (
        MarketingTask.objects.all() if everyone else MarketingTask.objects.filter(created_by=user)
    )
    done_by_day = dict(
        StateChange.objects.filter(
            content_type__app_label="tasks",
            content_type__model="marketingtask",
            to_state=MarketingTask.Status.DONE,
            at__gte=rng.start_at(),
            at__lt=rng.end_at(),
            object_id__in=tasks.values("pk"),
        )
        .annotate(day=TruncDate("at"))
        .values("day")
        .annotate(n=Count("object_id", distinct=True))
        .values_list("day", "n")
    )
    task_counts = tasks.aggregate(
        open=Count("pk", filter=Q(status__in=OPEN_TASK)),
        overdue=Count("pk", filter=Q(status__in=OPEN_TASK, due_date__lt=today)),
    )
    people_days = PersonDaySummary.objects.filter(day__gte=rng.start, day__lte=rng.end)
    if not everyone:
        people_days = people_days.filter(staff__marketing_lead=user)
    if department_id:
        people_days = people_days.filter(staff__department_id=department_id)
    by_day = {
        row["day"]: row
        for row in people_days.values("day").annotate(
            approved=Sum("approved_minutes"), outcomes=Sum("outcomes_confirmed")
        )
    }
    week_rows = []
    total_done = total_approved = total_outcomes = 0
    for week in rng.weeks():
        done = sum(done_by_day.get(day, 0) for day in week.days())
        approved_minutes = sum((by_day.get(day) or {}).get("approved") or 0 for day in week.days())
        outcomes = sum((by_day.get(day) or {}).get("outcomes") or 0 for day in week.days())
        total_done += done
        total_approved += approved_minutes
        total_outcomes += outcomes
        week_rows.append(
            Row(
                [
                    week.start,
                    done,
                    hours(approved_minutes),
                    outcomes,
                    ratio(outcomes * 60, approved_minutes),
                ]
            )
        )
    dashboard.add(
        Table(
            key="weeks",
            title=_("Throughput per week"),
            columns=[
                Column(_("Week of"), "week"),
                Column(_("Tasks done")),
                Column(_("Approved hours"), "hours"),
                Column(_("Outcomes confirmed")),
                Column(_("Outcomes per approved hour"), "ratio"),
            ],
            rows=week_rows,
            caption=_(
                "Tasks marked done in each week, and the approved time and confirmed "
                "outcomes of the people you lead."
            ),
            total=Row(
                [
                    _("Range"),
                    total_done,
                    hours(total_approved),
                    total_outcomes,
                    ratio(total_outcomes * 60, total_approved),
                ]
            ),
            scroll=True,
        )
    )

    leads = Lead.objects.filter(created_at__gte=rng.start_at(), created_at__lt=rng.end_at())
    if not everyone:
        leads = leads.filter(marketing_lead=user)
    if department_id:
        leads = leads.filter(introducer__department_id=department_id)
    by_department: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    names: dict[int, str] = {}
    by_status: dict[str, int] = defaultdict(int)
    for row in leads.values(
        "introducer__department_id", "introducer__department__name", "status"
    ).annotate(n=Count("pk")):
        department = row["introducer__department_id"]
        names[department] = row["introducer__department__name"]
        by_department[department][row["status"]] += row["n"]
        by_status[row["status"]] += row["n"]
    introduced = sum(by_status.values())
    stages = [
        (_("Introduced"), introduced),
        (
            _("Qualified or further"),
            sum(by_status[s] for s in (Lead.Status.QUALIFIED, Lead.Status.WON, Lead.Status.PAID)),
        ),
        (_("Won or further"), sum(by_status[s] for s in (Lead.Status.WON, Lead.Status.PAID))),
        (Lead.Status.PAID.label, by_status[Lead.Status.PAID]),
    ]
    dashboard.add(
        Table(
            key="funnel",
            title=_("Lead funnel"),
            columns=[
                Column(_("Stage"), "text"),
                Column(_("Leads")),
                Column(_("Of introduced"), "percent"),
            ],
            rows=[Row([label, count, percent(count, introduced)]) for label, count in stages],
            caption=_(
                "Leads introduced in the range by the stage they reached and still hold "
                "(lost leads count only as introduced)."
            ),
        )
    )
    dashboard.add(
        Table(
            key="stages",
            title=_("Leads by status"),
            columns=[Column(_("Status"), "text"), Column(_("Leads"))],
            rows=[Row([status.label, by_status[status.value]]) for status in Lead.Status],
            total=Row([_("Total"), introduced]),
        )
    )
    department_rows = []
    for department in sorted(by_department, key=lambda pk: (names[pk].lower(), pk)):
        counts = by_department[department]
        department_rows.append(
            Row(
                [
                    names[department],
                    *[counts[status.value] for status in Lead.Status],
                    sum(counts.values()),
                ]
            )
        )
    dashboard.add(
        Table(
            key="departments",
            title=_("Leads by introducer's department"),
            columns=[
                Column(_("Department"), "text"),
                *[Column(str(status.label)) for status in Lead.Status],
                Column(_("Total")),
            ],
            rows=department_rows,
            total=Row(
                [_("Total"), *[by_status[status.value] for status in Lead.Status], introduced]
            ),
        )
    )
    dashboard.kpis = [
        Kpi("tasks_done", _("Tasks done"), total_done),
        Kpi("open_tasks", _("Open tasks"), task_counts["open"]),
        Kpi("overdue", _("Overdue tasks"), task_counts["overdue"]),
        Kpi("approved_hours", _("Approved hours"), hours(total_approved), "hours"),
        Kpi("outcomes", _("Outcomes confirmed"), total_outcomes),
        Kpi(
            "outcomes_per_hour",
            _("Outcomes per approved hour"),
            ratio(total_outcomes * 60, total_approved),
            "ratio",
        ),
        Kpi("leads", _("Leads introduced"), introduced),
        Kpi("leads_won", _("Leads won"), stages[2][1]),
    ]
    return dashboard


# --------------------------------------------------------------------------- organisation


def _logged() -> Q:
    return Q(submitted_minutes__gt=0) | Q(approved_minutes__gt=0)


def _eligible_staff() -> Q:
    return Q(staff__is_active=True, staff__department__kind=Department.Kind.NON_MARKETING)


def _revenue(collections) -> Decimal:
    totals = collections.aggregate(
        collected=Sum("amount", filter=Q(kind=Collection.Kind.COLLECTION)),
        refunded=Sum("amount", filter=Q(kind=Collection.Kind.REFUND)),
    )
    return _money((totals["collected"] or ZERO) - (totals["refunded"] or ZERO))


def _reward_cost(statements, rng: DateRange) -> Decimal:
    return _money(
        statements.filter(
            status__in=REWARDED, period__start_date__lte=rng.end, period__end_date__gte=rng.start
        ).aggregate(total=Sum("total"))["total"]
    )


def _whole_months(rng: DateRange) -> bool:
    """Whether the range's days with logs are whole calendar months: it starts on a
    first and ends on a last day — or today or later, as no log is for a future day."""
    return rng.start.day == 1 and (
        rng.end == month_bounds(rng.end)[1] or rng.end >= timezone.localdate()
    )


def _people_by_month(trend: DateRange, people_days) -> dict[datetime.date, int]:
    """Eligible people who logged, per month of ``trend``, from the person-month
    summaries (a year of person-days would be millions of rows). A last month cut short
    by the range is counted from its days, unless it ends today or later: no log is
    ever for a future day, so then the whole month is the same."""
    last = trend.months()[-1]
    whole_last = _whole_months(last)
    people = dict(
        PersonMonthSummary.objects.filter(
            _eligible_staff(),
            days_logged__gt=0,
            month__gte=trend.start,
            month__lte=trend.end if whole_last else last.start - datetime.timedelta(days=1),
        )
        .values("month")
        .annotate(n=Count("pk"))
        .values_list("month", "n")
    )
    if not whole_last:
        people[last.start] = (
            people_days.filter(day__gte=last.start, day__lte=last.end)
            .values("staff_id")
            .distinct()
            .count()
        )
    return people


def org_dashboard(*, rng: DateRange, drill_down: bool = False) -> Dashboard:
    """Participation, hours by department and category, revenue from staff-introduced
    leads, reward cost and its return, and twelve-month trends (ten queries)."""
    dashboard = Dashboard(kind="org", title=_("Organisation dashboard"), rng=rng)
    departments = dict(
        Department.objects.filter(kind=Department.Kind.NON_MARKETING).values_list("pk", "name")
    )
    eligible = dict(
        StaffProfile.objects.filter(is_active=True, department__kind=Department.Kind.NON_MARKETING)
        .values("department_id")
        .annotate(n=Count("pk"))
        .values_list("department_id", "n")
    )
    people_days = PersonDaySummary.objects.filter(_logged(), _eligible_staff())
    if _whole_months(rng):
        took_part = PersonMonthSummary.objects.filter(
            _eligible_staff(), days_logged__gt=0, month__gte=rng.start, month__lte=rng.end
        )
    else:
        took_part = people_days.filter(day__gte=rng.start, day__lte=rng.end)
    participants = dict(
        took_part.values("staff__department_id")
        .annotate(n=Count("staff_id", distinct=True))
        .values_list("staff__department_id", "n")
    )
    submitted: dict[int, int] = defaultdict(int)
    approved: dict[int, int] = defaultdict(int)
    categories: dict[str, int] = defaultdict(int)
    for department_id, sub, app, by_category in DepartmentDaySummary.objects.filter(
        day__gte=rng.start, day__lte=rng.end
    ).values_list("department_id", "submitted_minutes", "approved_minutes", "minutes_by_category"):
        submitted[department_id] += sub
        approved[department_id] += app
        _add_categories(categories, by_category)
    eligible_total = sum(eligible.values())
    participants_total = sum(participants.values())
    shown = [
        pk
        for pk in departments
        if eligible.get(pk) or participants.get(pk) or submitted[pk] or approved[pk]
    ]
    shown.sort(key=lambda pk: (departments[pk].lower(), pk))
    department_rows = []
    for pk in shown:
        department_rows.append(
            Row(
                [
                    departments[pk],
                    eligible.get(pk, 0),
                    participants.get(pk, 0),
                    percent(participants.get(pk, 0), eligible.get(pk, 0)),
                    hours(submitted[pk] + approved[pk]),
                    hours(approved[pk]),
                ],
                link=reverse("tasks:dashboard_department", args=[pk]) if drill_down else "",
            )
        )
    logged_total = sum(submitted.values()) + sum(approved.values())
    approved_total = sum(approved.values())
    dashboard.add(
        Table(
            key="departments",
            title=_("Participation and hours by department"),
            columns=[
                Column(_("Department"), "text"),
                Column(_("Eligible people")),
                Column(_("Took part")),
                Column(_("Participation"), "percent"),
                Column(_("Hours logged"), "hours"),
                Column(_("Hours approved"), "hours"),
            ],
            rows=department_rows,
            caption=_(
                "Eligible: active people of non-marketing departments today. Took part: "
                "logged time in the range. Hours count submitted and approved time."
            ),
            total=Row(
                [
                    _("Organisation"),
                    eligible_total,
                    participants_total,
                    percent(participants_total, eligible_total),
                    hours(logged_total),
                    hours(approved_total),
                ]
            ),
        )
    )
    dashboard.add(
        _category_table(
            categories,
            category_labels(),
            in_hours=True,
            caption=_("Hours logged (not rejected) by category."),
        )
    )

    mondays = [week_bounds(week.start)[0] for week in rng.weeks()]
    by_week = dict(
        PersonWeekSummary.objects.filter(
            _eligible_staff(), days_logged__gt=0, week__gte=mondays[0], week__lte=mondays[-1]
        )
        .values("week")
        .annotate(n=Count("pk"))
        .values_list("week", "n")
    )
    week_rows = [
        Row([monday, by_week.get(monday, 0), percent(by_week.get(monday, 0), eligible_total)])
        for monday in mondays
    ]
    dashboard.add(
        Table(
            key="participation",
            title=_("Participation by week"),
            columns=[
                Column(_("Week of"), "week"),
                Column(_("Took part")),
                Column(_("Participation"), "percent"),
            ],
            rows=week_rows,
            caption=_(
                "Share of today's eligible people who logged time in each week, Monday to "
                "Sunday (the first and last week may reach outside the range)."
            ),
            scroll=True,
        )
    )

    trend = rng.trend_months()
    trend_people = _people_by_month(trend, people_days)
    trend_minutes = {
        _as_date(row["month"]): row
        for row in DepartmentDaySummary.objects.filter(day__gte=trend.start, day__lte=trend.end)
        .annotate(month=TruncMonth("day"))
        .values("month")
        .annotate(submitted=Sum("submitted_minutes"), approved=Sum("approved_minutes"))
    }
    trend_rows = []
    for month in trend.months():
        people = trend_people.get(month.start, 0)
        minutes = trend_minutes.get(month.start) or {}
        trend_rows.append(
            Row(
                [
                    month.start,
                    people,
                    percent(people, eligible_total),
                    hours((minutes.get("submitted") or 0) + (minutes.get("approved") or 0)),
                    hours(minutes.get("approved") or 0),
                ]
            )
        )
    dashboard.add(
        Table(
            key="trend",
            title=_("Twelve-month trend"),
            columns=[
                Column(_("Month"), "month"),
                Column(_("Took part")),
                Column(_("Participation"), "percent"),
                Column(_("Hours logged"), "hours"),
                Column(_("Hours approved"), "hours"),
            ],
            rows=trend_rows,
            caption=_("The twelve months up to the end of the range."),
        )
    )

    revenue = _revenue(
        Collection.objects.filter(
            received_on__gte=rng.start,
            received_on__lte=rng.end,
            lead__introducer__department__kind=Department.Kind.NON_MARKETING,
        )
    )
    cost = _reward_cost(Statement.objects.all(), rng)
    yield_per_yuan = ratio(revenue, cost)
    dashboard.add(
        Table(
            key="money",
            title=_("Revenue and reward cost"),
            columns=[Column(_("Figure"), "text"), Column(_("Amount"), "money")],
            rows=[
                Row([_("Revenue collected from staff-introduced leads"), revenue]),
                Row([_("Reward cost (approved and paid statements)"), cost]),
                Row([_("Return per reward yuan"), yield_per_yuan]),
            ],
            caption=_(
                "Collections less refunds received in the range; statements of payout "
                "periods overlapping the range."
            ),
        )
    )
    dashboard.kpis = [
        Kpi("eligible", _("Eligible people"), eligible_total),
        Kpi(
            "participation",
            _("Participation"),
            percent(participants_total, eligible_total),
            "percent",
        ),
        Kpi("hours", _("Hours logged"), hours(logged_total), "hours"),
        Kpi("approved_hours", _("Hours approved"), hours(approved_total), "hours"),
        Kpi("revenue", _("Revenue collected"), revenue, "money"),
        Kpi("cost", _("Reward cost"), cost, "money"),
        Kpi("return", _("Return per reward yuan"), yield_per_yuan, "ratio"),
    ]
    return dashboard


def _as_date(value) -> datetime.date:
    return value.date() if isinstance(value, datetime.datetime) else value


# --------------------------------------------------------------------------- one department


def department_dashboard(*, department: Department, rng: DateRange) -> Dashboard:
    """The organisation's figures for each active person of one department (seven
    queries)."""
    dashboard = Dashboard(
        kind="department",
        title=_("Department dashboard: %(name)s") % {"name": department.name},
        rng=rng,
    )
    people = sorted(
        StaffProfile.objects.filter(department=department, is_active=True).select_related("user"),
        key=_by_name,
    )
    ids = [p.pk for p in people]
    days = rng.days()
    budgets = budgets_for_people_and_days(people=people, days=days)
    logged: dict[int, int] = defaultdict(int)
    approved: dict[int, int] = defaultdict(int)
    outcomes: dict[int, int] = defaultdict(int)
    categories: dict[str, int] = defaultdict(int)
    for staff_id, sub, app, confirmed, by_category in PersonDaySummary.objects.filter(
        staff_id__in=ids, day__gte=rng.start, day__lte=rng.end
    ).values_list(
        "staff_id",
        "submitted_minutes",
        "approved_minutes",
        "outcomes_confirmed",
        "minutes_by_category",
    ):
        logged[staff_id] += sub + app
        approved[staff_id] += app
        outcomes[staff_id] += confirmed
        _add_categories(categories, by_category)
    revenue: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for row in (
        Collection.objects.filter(
            received_on__gte=rng.start, received_on__lte=rng.end, lead__introducer_id__in=ids
        )
        .values("lead__introducer_id")
        .annotate(
            collected=Sum("amount", filter=Q(kind=Collection.Kind.COLLECTION)),
            refunded=Sum("amount", filter=Q(kind=Collection.Kind.REFUND)),
        )
    ):
        revenue[row["lead__introducer_id"]] = _money(
            (row["collected"] or ZERO) - (row["refunded"] or ZERO)
        )
    rewards = dict(
        Statement.objects.filter(
            staff_id__in=ids,
            status__in=REWARDED,
            period__start_date__lte=rng.end,
            period__end_date__gte=rng.start,
        )
        .values("staff_id")
        .annotate(total=Sum("total"))
        .values_list("staff_id", "total")
    )
    rows = []
    totals = {"budget": 0, "logged": 0, "approved": 0, "outcomes": 0}
    total_revenue = total_cost = ZERO
    for person in people:
        budget = _working_budget(budgets, person.pk, days)
        reward = _money(rewards.get(person.pk))
        totals["budget"] += budget
        totals["logged"] += logged[person.pk]
        totals["approved"] += approved[person.pk]
        totals["outcomes"] += outcomes[person.pk]
        total_revenue += revenue[person.pk]
        total_cost += reward
        rows.append(
            Row(
                [
                    _person_name(person),
                    hours(budget),
                    hours(logged[person.pk]),
                    hours(approved[person.pk]),
                    percent(logged[person.pk], budget),
                    outcomes[person.pk],
                    revenue[person.pk],
                    reward,
                    ratio(revenue[person.pk], reward),
                ],
                link=_profile_link(person.pk),
            )
        )
    dashboard.add(
        Table(
            key="people",
            title=_("Figures per person"),
            columns=[
                Column(_("Person"), "text"),
                Column(_("Budget hours"), "hours"),
                Column(_("Hours logged"), "hours"),
                Column(_("Hours approved"), "hours"),
                Column(_("Of budget"), "percent"),
                Column(_("Outcomes confirmed")),
                Column(_("Revenue from their leads"), "money"),
                Column(_("Rewards"), "money"),
                Column(_("Return per reward yuan"), "ratio"),
            ],
            rows=rows,
            caption=_(
                "Active members of the department. Revenue: collections less refunds on "
                "leads they introduced; rewards: approved and paid statements of periods "
                "overlapping the range."
            ),
            total=Row(
                [
                    _("Department"),
                    hours(totals["budget"]),
                    hours(totals["logged"]),
                    hours(totals["approved"]),
                    percent(totals["logged"], totals["budget"]),
                    totals["outcomes"],
                    _money(total_revenue),
                    _money(total_cost),
                    ratio(total_revenue, total_cost),
                ]
            ),
        )
    )
    dashboard.add(
        _category_table(
            categories,
            category_labels(),
            in_hours=True,
            caption=_("Hours logged (not rejected) by category."),
        )
    )
    took_part = sum(1 for person in people if logged[person.pk])
    dashboard.kpis = [
        Kpi("people", _("People"), len(people)),
        Kpi("participation", _("Participation"), percent(took_part, len(people)), "percent"),
        Kpi("hours", _("Hours logged"), hours(totals["logged"]), "hours"),
        Kpi("approved_hours", _("Hours approved"), hours(totals["approved"]), "hours"),
        Kpi("revenue", _("Revenue collected"), _money(total_revenue), "money"),
        Kpi("cost", _("Reward cost"), _money(total_cost), "money"),
        Kpi("return", _("Return per reward yuan"), ratio(total_revenue, total_cost), "ratio"),
    ]
    return dashboard
