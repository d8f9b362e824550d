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
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import connection
from django.db.models import (
    Count,
    OuterRef,
    Q,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce, TruncDate
from django.urls import NoReverseMatch, reverse
from django.utils import dateformat, numberformat, timezone
from django.utils.formats import get_format
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from departments.models import Department, StaffProfile
from rewards.models import Collection, Lead, Statement
from tasks.models import (
    AssistCategory,
    DepartmentDaySummary,
    DepartmentSpanSummary,
    MarketingTask,
    PersonDaySummary,
    PersonMonthSummary,
    StateChange,
    TaskAssignment,
)
from tasks.selectors import (
    budget_segments,
    budgets_for_people_and_days,
    local_midnight,
    month_bounds,
    week_bounds,
)
from tasks.selectors_approvals import WAITING_AGES, QueuePerson, approvable_people

ZERO = Decimal("0.00")
MAX_RANGE_DAYS = 731
HINT_MIN_WORKING_DAYS = 10
LINK_SAMPLE_PK = 987654321
REWARDED = Statement.SIGNED_OFF
OPEN_TASK = (MarketingTask.Status.OPEN, MarketingTask.Status.IN_PROGRESS)

PRESETS = [
    ("this_week", gettext_lazy("This week")),
    ("this_month", gettext_lazy("This month")),
    ("last_12_months", gettext_lazy("Last 12 months")),
]
DEFAULT_PRESET = "this_month"


# --------------------------------------------------------------------------- numbers


def percent(part: int | Decimal, whole: int | Decimal) -> int | None:
    """Whole per cent, half up; None when there is nothing to compare with."""
    if not whole:
        return None
    if type(part) is int and type(whole) is int and part >= 0 and whole > 0:
        return (200 * part + whole) // (2 * whole)  # the same, in integers
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

    @property
    def length(self) -> int:
        return (self.end - self.start).days + 1

    def working_mask(self) -> list[bool]:
        """For each day of the range, whether it is a working day (Monday to Friday)."""
        first = self.start.weekday()
        return [(first + n) % 7 < 5 for n in range(self.length)]

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
        return local_midnight(self.start)

    def end_at(self) -> datetime.datetime:
        """Midnight after the last day (exclusive bound)."""
        return local_midnight(self.end + datetime.timedelta(days=1))


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
PLACES = {"hours": 1, "money": 2, "ratio": 2}
# Below these a decimal is written as zero, as ``numberformat.format`` does.
CUTOFFS = {places: Decimal("0." + "1".rjust(places, "0")) for places in (0, 1, 2)}
DATE_FORMATS = {
    "date": "SHORT_DATE_FORMAT",
    "week": "MONTH_DAY_FORMAT",
    "month": "YEAR_MONTH_FORMAT",
}


class Formatter:
    """How a page writes values (the CSV writes the raw ones). It reads the active
    language's formats once, so that a table of a thousand cells writes each one as
    ``number_format``/``date_format`` would without looking the formats up again."""

    def __init__(self) -> None:
        lang = get_language()
        self.decimal = get_format("DECIMAL_SEPARATOR", lang, use_l10n=True)
        self.grouping = get_format("NUMBER_GROUPING", lang, use_l10n=True)
        self.thousands = get_format("THOUSAND_SEPARATOR", lang, use_l10n=True)
        self.dates: dict[str, str] = {}

    def number(self, value: Any, places: int = 0) -> str:
        """``numberformat.format`` with grouping forced, the same text for integers and
        decimals (which it writes truncated to ``places``, as Django does) in a fraction
        of its time; anything else goes to it."""
        if type(value) is int and isinstance(self.grouping, int):
            text = str(value)
            if not places and len(text) <= self.grouping:
                return text  # most cells: a small count or share
        elif type(value) is Decimal and isinstance(self.grouping, int):
            cutoff = CUTOFFS.get(places) or Decimal("0." + "1".rjust(places, "0"))
            if abs(value) < cutoff:
                value = Decimal(0)
            text = f"{value:f}"
        else:
            return numberformat.format(
                value,
                self.decimal,
                places,
                self.grouping,
                self.thousands,
                force_grouping=True,
                use_l10n=True,
            )
        sign = ""
        if text[0] == "-":
            sign, text = "-", text[1:]
        whole, _point, fraction = text.partition(".")
        fraction = fraction[:places].ljust(places, "0")
        size = self.grouping
        if size > 0 and len(whole) > size:
            head = len(whole) % size or size
            whole = self.thousands.join(
                [whole[:head], *(whole[i : i + size] for i in range(head, len(whole), size))]
            )
        return sign + whole + (self.decimal + fraction if fraction else "")

    def __call__(self, value: Any, kind: str) -> str:
        if kind == "text" or isinstance(value, str):
            return "" if value is None else str(value)
        if value is None:
            return "—"
        if kind in DATE_FORMATS:
            if kind not in self.dates:
                self.dates[kind] = get_format(DATE_FORMATS[kind])
            return dateformat.format(value, self.dates[kind])
        if kind == "percent":  # written without decimal places of its own
            if type(value) is not int:
                value = numberformat.format(
                    value,
                    self.decimal,
                    None,
                    self.grouping,
                    self.thousands,
                    force_grouping=True,
                    use_l10n=True,
                )
            return f"{self.number(value) if type(value) is int else value} %"
        return self.number(value, PLACES.get(kind, 0))


def display(value: Any, kind: str) -> str:
    """How a page writes a value of ``kind`` (the CSV writes the raw value)."""
    return Formatter()(value, kind)


@dataclass
class Column:
    label: str
    kind: str = "int"

    @property
    def numeric(self) -> bool:
        return self.kind in NUMERIC


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
    # Entries the viewer may decide today, where a dashboard counted them anyway (the
    # navigation's badge then needs no query of its own).
    approvals_waiting: int | None = None

    def kpi(self, key: str) -> Any:
        return next(k.value for k in self.kpis if k.key == key)

    def add(self, table: Table) -> Table:
        self.tables[table.key] = table
        return table


# --------------------------------------------------------------------------- shared reads


def category_labels() -> dict[str, str]:
    """{category id as text (the key in ``minutes_by_category``): label} — one query, as
    SQL: the ORM took three times as long as the database for these few rows."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, name, name_zh_hans FROM {AssistCategory._meta.db_table}"  # noqa: S608
        )
        return {
            str(pk): AssistCategory.label_of(name, name_zh_hans)
            for pk, name, name_zh_hans in cursor.fetchall()
        }


def categories_of_days(
    staff_ids: Sequence[int], rng: DateRange
) -> tuple[dict[str, str], dict[str, int]]:
    """The label of every category ({id as text: label}) and the minutes these people's
    days of the range hold of each, which the database sums out of the summaries'
    ``minutes_by_category`` — one query, and no JSON for the page to decode."""
    each = "jsonb_each_text" if connection.vendor == "postgresql" else "json_each"
    marks = ", ".join(["%s"] * len(staff_ids)) or "NULL"  # IN (NULL) matches nobody
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT c.id, c.name, c.name_zh_hans, COALESCE(t.minutes, 0)
            FROM {AssistCategory._meta.db_table} c
            LEFT JOIN (
                SELECT kv.key AS category, SUM(CAST(kv.value AS INTEGER)) AS minutes
                FROM {PersonDaySummary._meta.db_table} s, {each}(s.minutes_by_category) kv
                WHERE s.staff_id IN ({marks}) AND s.day BETWEEN %s AND %s
                GROUP BY kv.key
            ) t ON t.category = CAST(c.id AS TEXT)
            """,  # noqa: S608 - table names from the models, values bound
            [*staff_ids, rng.start, rng.end],
        )
        rows = cursor.fetchall()
    labels, minutes = {}, {}
    for pk, name, name_zh_hans, total in rows:
        labels[str(pk)] = AssistCategory.label_of(name, name_zh_hans)
        minutes[str(pk)] = int(total)
    return labels, minutes


def _days_of(staff_ids: Sequence[int], rng: DateRange) -> list[tuple]:
    """(person, day, submitted, approved minutes) of these people's summarised days in
    the range — a thousand rows for a team's month, read without the ORM's cost of
    building the statement and a tuple per row."""
    marks = ", ".join(["%s"] * len(staff_ids)) or "NULL"  # IN (NULL) matches nobody
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT staff_id, day, submitted_minutes, approved_minutes
            FROM {PersonDaySummary._meta.db_table}
            WHERE staff_id IN ({marks}) AND day BETWEEN %s AND %s
            """,  # noqa: S608 - table name from the model, values bound
            [*staff_ids, rng.start, rng.end],
        )
        return cursor.fetchall()


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


def _links(name: str) -> Callable[[int], str]:
    """``reverse(name, args=[pk])`` for many rows: one reverse, then each pk in its
    place (the URL's only argument is an ``<int:pk>``)."""
    head, tail = reverse(name, args=[LINK_SAMPLE_PK]).rsplit(str(LINK_SAMPLE_PK), 1)
    return lambda pk: f"{head}{pk}{tail}"


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


# The label of each age of the entries waiting (``WAITING_AGES``, which the approvals'
# reader counts by).
WAITING_LABELS = {
    "fresh": lambda: _("0–2 days"),
    "week": lambda: _("3–7 days"),
    "old": lambda: _("More than 7 days"),
}


@dataclass
class TeamScope:
    """Whose figures a line supervisor sees: their own reports and those of the
    supervisors who delegated their approvals to them today (``everyone`` also holds
    those no longer active: their entries still wait for a decision), as the approval
    queue reads them (``approvable_people``), by name."""

    user: Any
    today: datetime.date
    everyone: list[QueuePerson]

    @property
    def people(self) -> list[QueuePerson]:
        return [person for person in self.everyone if person.is_active]


def team_scope(*, user, today: datetime.date) -> TeamScope:
    """One query: the people whose approvals ``user`` holds today with their entries
    waiting for a decision, by age."""
    everyone = approvable_people(user=user, day=today)
    everyone.sort(key=lambda person: (person.display_name.lower(), person.pk))
    return TeamScope(user=user, today=today, everyone=everyone)


def department_choices(people: Sequence[QueuePerson]) -> list[tuple[int, str]]:
    seen = {p.department_id: p.department for p in people}
    return sorted(seen.items(), key=lambda item: (item[1].lower(), item[0]))


def _daily_budgets(people: Sequence[QueuePerson], rng: DateRange) -> dict[int, list[int]]:
    """{profile id: the budget of each day of the range, 0 on weekends} from the runs of
    days a budget holds (two queries; a budget changes only where a rule starts)."""
    budgets = {person.pk: [0] * rng.length for person in people}
    working = rng.working_mask()
    for staff_id, first, last, minutes in budget_segments(
        people=people, start=rng.start, end=rng.end
    ):
        daily = budgets[staff_id]
        for index in range((first - rng.start).days, (last - rng.start).days + 1):
            if working[index]:
                daily[index] = minutes
    return budgets


def team_dashboard(
    *,
    scope: TeamScope,
    rng: DateRange,
    department_id: int | None = None,
) -> Dashboard:
    """Usage against budget per person and week, the category mix, the approvals waiting
    (counted by ``team_scope``) and hints to adjust budgets (four queries beyond it)."""
    dashboard = Dashboard(kind="team", title=_("Team dashboard"), rng=rng)
    people = scope.people
    if department_id:
        people = [p for p in people if p.department_id == department_id]
    ids = [p.pk for p in people]
    weeks = rng.weeks()
    # Days as positions in the range: a person's days are one list, a week a slice of it.
    week_slices = [
        ((week.start - rng.start).days, (week.end - rng.start).days + 1) for week in weeks
    ]
    budgets = _daily_budgets(people, rng)
    labels, by_category = categories_of_days(ids, rng)
    logged = {pk: [0] * rng.length for pk in ids}
    approved: dict[int, int] = dict.fromkeys(ids, 0)
    for staff_id, day, submitted, approved_minutes in _days_of(ids, rng):
        logged[staff_id][(day - rng.start).days] += submitted + approved_minutes
        approved[staff_id] += approved_minutes

    working_days = sum(rng.working_mask())
    profile_link = _links("departments:profile")
    usage_rows, week_rows = [], []
    week_budget = [0] * len(weeks)
    week_logged = [0] * len(weeks)
    team_budget = team_logged = 0
    for person in people:
        name = person.display_name
        link = profile_link(person.pk)
        daily_budget, daily_logged = budgets[person.pk], logged[person.pk]
        budget, total = sum(daily_budget), sum(daily_logged)
        team_budget += budget
        team_logged += total
        hint = ""
        budgeted = [index for index, minutes in enumerate(daily_budget) if minutes > 0]
        if budgeted and all(daily_logged[i] >= daily_budget[i] for i in budgeted):
            hint = "over"
        elif working_days >= HINT_MIN_WORKING_DAYS and total == 0:
            hint = "unused"
        if hint:
            dashboard.hints.append(
                {"profile": person, "kind": hint, "text": HINT_TEXT[hint](), "link": link}
            )
        usage_rows.append(
            Row(
                [
                    name,
                    person.department,
                    budget,
                    total,
                    approved[person.pk],
                    percent(total, budget),
                    HINT_LABEL[hint]() if hint else "",
                ],
                link=link,
                css={"over": "table-warning", "unused": "table-secondary"}.get(hint, ""),
            )
        )
        cells: list[Any] = [name]
        for index, (first, stop) in enumerate(week_slices):
            w_budget = sum(daily_budget[first:stop])
            w_logged = sum(daily_logged[first:stop])
            week_budget[index] += w_budget
            week_logged[index] += w_logged
            cells.append(percent(w_logged, w_budget))
        cells.append(percent(total, budget))
        week_rows.append(Row(cells, link=link))

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
            by_category,
            labels,
            in_hours=False,
            caption=_("The team's minutes logged (not rejected) by category."),
        )
    )

    # The department filter narrows the buckets, not the count the navigation shows.
    waiting = [
        person
        for person in scope.everyone
        if not department_id or person.department_id == department_id
    ]
    pending_rows = [
        Row(
            [
                WAITING_LABELS[age](),
                sum(person.waiting_by_age[age][0] for person in waiting),
                sum(person.waiting_by_age[age][1] for person in waiting),
            ]
        )
        for age in WAITING_AGES
    ]
    dashboard.approvals_waiting = sum(person.waiting for person in scope.everyone)
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


def _revenue_and_cost(rng: DateRange) -> tuple[Decimal, Decimal]:
    """Collections less refunds received in the range on leads that people of
    non-marketing departments introduced, and the approved and paid statements of the
    payout periods overlapping it — two sums in one statement (through the ORM, each
    took longer to build than to run). Every lead has an introducer in a department, so
    "no introducer outside the non-marketing departments" is "introduced by one of their
    people", and the anti-join skips most of the joining (0.8 ms instead of 1.1)."""
    collection, lead = Collection._meta, Collection._meta.get_field("lead").related_model._meta
    period = Statement._meta.get_field("period").related_model._meta
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT (
                SELECT SUM(CASE WHEN c.kind = %s THEN c.amount ELSE -c.amount END)
                FROM {collection.db_table} c
                JOIN {lead.db_table} l ON l.id = c.lead_id
                WHERE c.received_on BETWEEN %s AND %s AND c.kind IN (%s, %s)
                AND NOT EXISTS (
                    SELECT 1
                    FROM {StaffProfile._meta.db_table} p
                    JOIN {Department._meta.db_table} d ON d.id = p.department_id
                    WHERE p.id = l.introducer_id AND d.kind <> %s
                )
            ), (
                SELECT SUM(s.total)
                FROM {Statement._meta.db_table} s
                JOIN {period.db_table} t ON t.id = s.period_id
                WHERE s.status IN (%s, %s) AND t.start_date <= %s AND t.end_date >= %s
            )
            """,  # noqa: S608 - table names from the models, values bound
            [
                Collection.Kind.COLLECTION,
                rng.start,
                rng.end,
                Collection.Kind.COLLECTION,
                Collection.Kind.REFUND,
                Department.Kind.NON_MARKETING,
                *REWARDED,
                rng.end,
                rng.start,
            ],
        )
        revenue, cost = cursor.fetchone()
    # SQLite sums decimals as floats: their shortest text is the sum of the cents.
    return tuple(
        _money(value if isinstance(value, Decimal) else Decimal(str(value or 0)))
        for value in (revenue, cost)
    )


def _org_departments(counted: dict) -> Iterable[dict]:
    """The non-marketing departments ({"pk", "name", and the ``counted`` figures}). Without
    figures to count (one month or week, the usual case) as SQL: the ORM took twice as
    long as the database."""
    if counted:
        return (
            Department.objects.filter(kind=Department.Kind.NON_MARKETING)
            .annotate(**counted)
            .values("pk", "name", *counted)
        )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, name FROM {Department._meta.db_table} WHERE kind = %s",  # noqa: S608
            [Department.Kind.NON_MARKETING],
        )
        return [{"pk": pk, "name": name} for pk, name in cursor.fetchall()]


def _department_spans(span: str, rng: DateRange) -> list[tuple]:
    """``(department, people, eligible, submitted, approved, {category: minutes})`` of the
    department-span summaries starting in the range, as SQL (the ORM took three times as
    long as the database)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT department_id, people_logged, people_eligible, submitted_minutes,
                approved_minutes, minutes_by_category
            FROM {DepartmentSpanSummary._meta.db_table}
            WHERE span = %s AND start BETWEEN %s AND %s
            """,  # noqa: S608 - table name from the model, values bound
            [span, rng.start, rng.end],
        )
        rows = cursor.fetchall()
    # Both backends hand JSON back as text here (Django decodes it for its own queries).
    return [(*row[:5], json.loads(row[5]) if isinstance(row[5], str) else row[5]) for row in rows]


def _span_totals(
    *, weeks: tuple[datetime.date, datetime.date], months: tuple[datetime.date, datetime.date]
) -> list[tuple]:
    """``(span, start, people, eligible, submitted, approved)`` of the organisation, summed
    over the department-span summaries of the weeks and the months starting in these
    ranges; people of the non-marketing departments only. Written as SQL: the ORM took
    longer to build the statement than the database to run it."""
    table = DepartmentSpanSummary._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT s.span, s.start,
                SUM(CASE WHEN d.kind = %s THEN s.people_logged END),
                SUM(CASE WHEN d.kind = %s THEN s.people_eligible END),
                SUM(s.submitted_minutes), SUM(s.approved_minutes)
            FROM {table} s
            JOIN {Department._meta.db_table} d ON d.id = s.department_id
            WHERE (s.span = %s AND s.start BETWEEN %s AND %s)
               OR (s.span = %s AND s.start BETWEEN %s AND %s)
            GROUP BY s.span, s.start
            """,  # noqa: S608 - table names from the models, values bound
            [
                Department.Kind.NON_MARKETING,
                Department.Kind.NON_MARKETING,
                DepartmentSpanSummary.Span.WEEK,
                *weeks,
                DepartmentSpanSummary.Span.MONTH,
                *months,
            ],
        )
        rows = cursor.fetchall()
    # SQLite hands dates back as text.
    return [
        (span, datetime.date.fromisoformat(start) if isinstance(start, str) else start, *sums)
        for span, start, *sums in rows
    ]


def _whole_months(rng: DateRange) -> bool:
    """Whether the range's days with logs are whole calendar months: it starts on a
    first and ends on a last day — or today or later, as no log is for a future day."""
    return rng.start.day == 1 and (
        rng.end == month_bounds(rng.end)[1] or rng.end >= timezone.localdate()
    )


def _whole_week(rng: DateRange) -> bool:
    """Whether the range's days with logs are one Monday-to-Sunday week (the same rule)."""
    monday, sunday = week_bounds(rng.start)
    return (
        rng.start == monday
        and rng.end <= sunday
        and (rng.end == sunday or rng.end >= timezone.localdate())
    )


def _took_part(summaries) -> Coalesce:
    """Per department (the outer query's row), how many of its active people have one
    of these person-summaries: a correlated count, so that it rides in the departments'
    query rather than being one of its own."""
    return Coalesce(
        Subquery(
            summaries.filter(staff__department_id=OuterRef("pk"), staff__is_active=True)
            .order_by()
            .values("staff__department_id")
            .annotate(n=Count("staff_id", distinct=True))
            .values("n")
        ),
        0,
    )


def _active_members() -> Coalesce:
    """Per department (the outer query's row), its active people: counted through the
    department index, department by department, rather than by joining every profile."""
    return Coalesce(
        Subquery(
            StaffProfile.objects.filter(department_id=OuterRef("pk"), is_active=True)
            .order_by()
            .values("department_id")
            .annotate(n=Count("*"))  # "*", not the key: read from the index alone
            .values("n")
        ),
        0,
    )


def org_dashboard(*, rng: DateRange, drill_down: bool = False) -> Dashboard:
    """Participation, hours by department and category, revenue from staff-introduced
    leads, reward cost and its return, and twelve-month trends (six queries).

    Participation is the share of the eligible people (active, of a non-marketing
    department) who logged time. One whole month or week, the weeks and the twelve months
    read the department-span summaries, whose eligible people and participants the rollup
    counts together (a share never mixes two rosters); any other range counts today's
    eligible people, and its participants from their person-months or person-days, inside
    the departments' query."""
    dashboard = Dashboard(kind="org", title=_("Organisation dashboard"), rng=rng)
    trend = rng.trend_months()
    last = trend.months()[-1]
    whole_last = _whole_months(last)
    # The summaries that hold the range's minutes; its people too when it is one span
    # (people of several spans are counted once each, from their own summaries).
    if _whole_months(rng):
        range_span = DepartmentSpanSummary.Span.MONTH
        one_span = len(rng.months()) == 1
    elif _whole_week(rng) and whole_last:
        range_span, one_span = DepartmentSpanSummary.Span.WEEK, True
    else:
        range_span, one_span = None, False

    people_days = PersonDaySummary.objects.filter(_logged())
    counted = {}
    if not one_span:
        counted["took_part"] = _took_part(
            PersonMonthSummary.objects.filter(
                days_logged__gt=0, month__gte=rng.start, month__lte=rng.end
            )
            if range_span == DepartmentSpanSummary.Span.MONTH
            else people_days.filter(day__gte=rng.start, day__lte=rng.end)
        )
    if not whole_last:
        counted["last_month"] = _took_part(
            people_days.filter(day__gte=last.start, day__lte=last.end)
        )
    departments: dict[int, str] = {}
    eligible: dict[int, int] = {}
    participants: dict[int, int] = {}
    last_month_people = 0
    if not one_span:  # one span's eligible people are counted with its participants
        counted["eligible"] = _active_members()
    for row in _org_departments(counted):
        departments[row["pk"]] = row["name"]
        if "eligible" in row:
            eligible[row["pk"]] = row["eligible"]
        if "took_part" in row:
            participants[row["pk"]] = row["took_part"]
        last_month_people += row.get("last_month", 0)

    submitted: dict[int, int] = defaultdict(int)
    approved: dict[int, int] = defaultdict(int)
    categories: dict[str, int] = defaultdict(int)
    last_minutes = {"submitted": 0, "approved": 0}
    if range_span is not None:
        for department_id, people, of_people, sub, app, by_category in _department_spans(
            range_span, rng
        ):
            if one_span and department_id in departments:
                participants[department_id] = people
                eligible[department_id] = of_people
            submitted[department_id] += sub
            approved[department_id] += app
            _add_categories(categories, by_category)
    else:
        first = rng.start if whole_last else min(rng.start, last.start)
        for department_id, day, sub, app, by_category in DepartmentDaySummary.objects.filter(
            day__gte=first, day__lte=rng.end
        ).values_list(
            "department_id", "day", "submitted_minutes", "approved_minutes", "minutes_by_category"
        ):
            if day >= rng.start:
                submitted[department_id] += sub
                approved[department_id] += app
                _add_categories(categories, by_category)
            if not whole_last and day >= last.start:
                last_minutes["submitted"] += sub
                last_minutes["approved"] += app
    eligible_total = sum(eligible.values())
    participants_total = sum(participants.values())
    shown = [
        pk
        for pk in departments
        if eligible.get(pk) or participants.get(pk) or submitted[pk] or approved[pk]
    ]
    shown.sort(key=lambda pk: (departments[pk].lower(), pk))
    department_link = _links("tasks:dashboard_department")
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
                link=department_link(pk) if drill_down else "",
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
            caption=(
                _(
                    "Eligible: active people of non-marketing departments when the "
                    "summaries last counted them (nightly). Took part: those of them who "
                    "logged time in the range. Hours count submitted and approved time."
                )
                if one_span
                else _(
                    "Eligible: active people of non-marketing departments today. Took part: "
                    "logged time in the range. Hours count submitted and approved time."
                )
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
    by_week: dict[datetime.date, int] = defaultdict(int)
    trend_people: dict[datetime.date, int] = defaultdict(int)
    # Each span's share is of the eligible people counted with its participants (a span
    # no rollup has reached yet, e.g. before anyone logged, is shown against today's).
    week_eligible: dict[datetime.date, int] = defaultdict(int)
    trend_eligible: dict[datetime.date, int] = defaultdict(int)
    trend_minutes: dict[datetime.date, dict[str, int]] = defaultdict(
        lambda: {"submitted": 0, "approved": 0}
    )
    # Summed over departments by the database (the rollup counts eligible people only;
    # the minutes are those of every department-day, as the range's hours).
    for span, start, people, of_people, sub, app in _span_totals(
        weeks=(mondays[0], mondays[-1]),
        months=(
            trend.start,
            last.start if whole_last else last.start - datetime.timedelta(days=1),
        ),
    ):
        if span == DepartmentSpanSummary.Span.WEEK:
            by_week[start] = people or 0
            week_eligible[start] = of_people or 0
        else:
            trend_people[start] = people or 0
            trend_eligible[start] = of_people or 0
            trend_minutes[start] = {"submitted": sub, "approved": app}
    if not whole_last:  # counted above against today's roster
        trend_people[last.start] = last_month_people
        trend_eligible[last.start] = eligible_total
        trend_minutes[last.start] = last_minutes
    week_rows = [
        Row(
            [
                monday,
                by_week.get(monday, 0),
                percent(by_week.get(monday, 0), week_eligible.get(monday) or eligible_total),
            ]
        )
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
                "Share of the eligible people who logged time in each week, Monday to "
                "Sunday, as the summaries last counted them (the first and last week may "
                "reach outside the range)."
            ),
            scroll=True,
        )
    )

    trend_rows = []
    for month in trend.months():
        people = trend_people[month.start]
        minutes = trend_minutes[month.start]
        trend_rows.append(
            Row(
                [
                    month.start,
                    people,
                    percent(people, trend_eligible.get(month.start) or eligible_total),
                    hours(minutes["submitted"] + minutes["approved"]),
                    hours(minutes["approved"]),
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
            caption=_(
                "The twelve months up to the end of the range; each month's participation "
                "is of the eligible people counted with it."
            ),
        )
    )

    revenue, cost = _revenue_and_cost(rng)
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
