"""Reads of the line supervisor's queues: pending time grouped by person and day, each day
with its total against the person's cap. A fixed number of queries whatever the rows."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import BooleanField, Count, ExpressionWrapper, Q, Sum
from django.db.models.expressions import RawSQL

from departments.models import Department, StaffProfile
from departments.selectors import approvable_sql
from tasks.models import AssistCategory, BudgetExtension, MarketingTask, TimeLog
from tasks.selectors import budgets_for_people_and_days, granted_extensions, local_midnight

# Entries on one page. Most person-days hold one entry and each is a card of its own, so a
# hundred entries were some ninety cards to scroll past; fifty is a batch one reads before
# deciding, "Tick every entry shown" still decides it in one click, and the notice says
# how many remain.
QUEUE_LIMIT = 50


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


# How long ago the entries waiting for a decision were submitted (the team dashboard's
# buckets): since the day before yesterday, in the week before, longer.
WAITING_AGES = ("fresh", "week", "old")


@dataclass(frozen=True, slots=True)
class QueuePerson:
    """Someone whose time a supervisor approves, as the queue and the team dashboard draw
    them, with their entries waiting for a decision (whatever the filters) by age:
    ``{age: (entries, minutes)}`` over ``WAITING_AGES``."""

    pk: int
    display_name: str
    department_id: int
    department: str
    is_active: bool
    waiting_by_age: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def waiting(self) -> int:
        return sum(entries for entries, _minutes in self.waiting_by_age.values())

    @property
    def waiting_minutes(self) -> int:
        return sum(minutes for _entries, minutes in self.waiting_by_age.values())


@dataclass(frozen=True, slots=True)
class QueueEntry:
    """A waiting entry as the queue draws it."""

    pk: int
    staff_id: int
    day: datetime.date
    minutes: int
    category: AssistCategory
    task_id: int | None
    task_title: str | None
    description: str
    outcome: str


@dataclass
class QueueDay:
    staff: QueuePerson
    day: datetime.date
    logs: list[QueueEntry]
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
    """What the queue is filtered by, read once. The same people (with how much of theirs
    waits) and categories count, name and label the entries shown, so the entries' query
    reads them by key and joins neither (PostgreSQL took longer to plan the joins and the
    delegations' subquery than to run them)."""

    people: list[QueuePerson]  # whose time the user approves, active or not, by name
    categories: list[AssistCategory]

    @property
    def active_people(self) -> list[QueuePerson]:
        return [person for person in self.people if person.is_active]


# Figures read by key inside the query of the rows they belong to. Plain SQL: Django took
# longer to build these correlated subqueries than PostgreSQL took to run the whole query.
_LOG = TimeLog._meta.db_table
_PROFILE = StaffProfile._meta.db_table


def _subquery(sql: str, *params) -> RawSQL:
    return RawSQL(sql, params)  # noqa: S611 - table names from the models, values bound


ENTRY_EXTRAS = {
    # The title alone, after the LIMIT: a join made PostgreSQL hash every task.
    "task_title": _subquery(
        f"""SELECT t.title FROM {MarketingTask._meta.db_table} t
        WHERE t.id = {_LOG}.task_id"""  # noqa: S608 - as above
    ),
    # The day's counted minutes: all but the rejected ones (rule 1).
    "day_counted": _subquery(
        f"""SELECT COALESCE(SUM(d.minutes), 0) FROM {_LOG} d
        WHERE d.staff_id = {_LOG}.staff_id AND d.day = {_LOG}.day
        AND d.status <> %s""",  # noqa: S608 - as above
        TimeLog.Status.REJECTED.value,
    ),
    "day_extended": _subquery(
        f"""SELECT COALESCE(SUM(e.minutes), 0) FROM {BudgetExtension._meta.db_table} e
        WHERE e.staff_id = {_LOG}.staff_id AND e.day = {_LOG}.day
        AND e.status = %s""",  # noqa: S608 - as above
        BudgetExtension.Status.GRANTED.value,
    ),
}


def approvable_people(*, user, day: datetime.date) -> list[QueuePerson]:
    """The people whose time ``user`` approves on ``day`` — their reports and those of
    the supervisors who delegated to them, never themselves (``approvable_sql``) —
    active or not (entries they submitted before they left may still wait), by name, with
    their submitted entries counted by age. One query, written as SQL: through the ORM,
    building the statement took longer than running it."""
    moment = connection.ops.adapt_datetimefield_value  # as the ORM binds a datetime
    # Waiting since the day before yesterday, within the week, or longer.
    recent, week_ago = (local_midnight(day - datetime.timedelta(days=n)) for n in (2, 7))
    recent, week_ago = moment(recent), moment(week_ago)
    ages = [  # in the order of WAITING_AGES
        ("w.created_at >= %s", [recent]),
        ("w.created_at >= %s AND w.created_at < %s", [week_ago, recent]),
        ("w.created_at < %s", [week_ago]),
    ]
    counts = ", ".join(
        f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END), "
        f"SUM(CASE WHEN {condition} THEN w.minutes ELSE 0 END)"
        for condition, _params in ages
    )
    count_params = [value for _c, params in ages for value in params * 2]
    approvable, approvable_params = approvable_sql("p", user=user, day=day)
    columns = "p.id, u.first_name, u.last_name, u.username, p.department_id, d.name, p.is_active"
    users = StaffProfile._meta.get_field("user").related_model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT {columns}, {counts}
            FROM {_PROFILE} p
            JOIN {users} u ON u.id = p.user_id
            JOIN {Department._meta.db_table} d ON d.id = p.department_id
            LEFT JOIN {_LOG} w ON w.staff_id = p.id AND w.status = %s
            WHERE {approvable}
            GROUP BY {columns}
            ORDER BY u.first_name, u.last_name, u.username, p.id
            """,  # noqa: S608 - names from the models, values bound
            [*count_params, TimeLog.Status.SUBMITTED, *approvable_params],
        )
        rows = cursor.fetchall()
    # The name is StaffProfile.display_name's: the full name, or else the username.
    return [
        QueuePerson(
            pk=pk,
            display_name=f"{first} {last}".strip() or username,
            department_id=department_id,
            department=department,
            is_active=bool(active),
            waiting_by_age={
                age: (int(n[2 * index] or 0), int(n[2 * index + 1] or 0))
                for index, age in enumerate(WAITING_AGES)
            },
        )
        for pk, first, last, username, department_id, department, active, *n in rows
    ]


def queue_choices(*, user, day: datetime.date) -> QueueChoices:
    """The people whose time ``user`` approves on ``day``, with their waiting entries
    (``approvable_people``), and every category: two queries."""
    return QueueChoices(
        people=approvable_people(user=user, day=day),
        categories=list(AssistCategory.objects.order_by("order", "name")),
    )


def approval_queue(
    *,
    user,
    day: datetime.date,
    choices: QueueChoices | None = None,
    person: QueuePerson | None = None,
    category: AssistCategory | None = None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    limit: int = QUEUE_LIMIT,
) -> ApprovalQueue:
    """Submitted entries ``user`` may decide on ``day``, filtered, at most ``limit`` of them
    (the first by the people's names), grouped by person and day.

    Three queries besides the choices (read here when not given): the entries with their
    days' totals, and the budget rules (two); a category or dates add the count of what
    matches them. The choices' people are exactly those whose entries ``user`` may decide
    (the rule the navigation badge counts by, ``pending_approval_count``), in the order of
    their names, with their waiting entries counted: so the page knows whose entries fill
    it before reading them, and reads those by key.
    """
    if choices is None:
        choices = queue_choices(user=user, day=day)
    match = Q()
    if category is not None:
        match &= Q(category_id=category.pk)
    if date_from is not None:
        match &= Q(day__gte=date_from)
    if date_to is not None:
        match &= Q(day__lte=date_to)
    if match:  # a category or dates: the people's counts are not these
        counts = {
            staff_id: (matching, minutes)
            for staff_id, matching, minutes in TimeLog.objects.filter(
                match,
                staff_id__in=[p.pk for p in choices.people if p.waiting],
                status=TimeLog.Status.SUBMITTED,
            )
            .order_by()
            .values_list("staff_id")
            .annotate(matching=Count("pk"), minutes=Sum("minutes"))
        }
    else:
        counts = {p.pk: (p.waiting, p.waiting_minutes) for p in choices.people if p.waiting}
    listed = [p for p in choices.people if (person is None or p.pk == person.pk) and p.pk in counts]
    # The first people by name whose entries fill the page; the last may not fit whole.
    shown, room = [], limit
    for p in listed:
        if room <= 0:
            break
        shown.append(p.pk)
        room -= counts[p.pk][0]
    rows = []
    if shown:
        order = ["day", "pk"]
        if room < 0:  # the last person's earliest entries, after everyone else's
            order.insert(0, ExpressionWrapper(Q(staff_id=shown[-1]), BooleanField()))
        rows = list(
            TimeLog.objects.filter(match, staff_id__in=shown, status=TimeLog.Status.SUBMITTED)
            .annotate(**ENTRY_EXTRAS)
            .order_by(*order)
            .values_list(
                "pk",
                "staff_id",
                "day",
                "minutes",
                "category_id",
                "task_id",
                "task_title",
                "description",
                "outcome",
                "day_counted",
                "day_extended",
            )[:limit]
        )
    people = {p.pk: p for p in choices.people}
    rank = {pk: position for position, pk in enumerate(shown)}
    rows.sort(key=lambda row: (rank[row[1]], row[2], row[0]))
    categories = {category.pk: category for category in choices.categories}
    missing = {row[4] for row in rows} - categories.keys()
    if missing:  # a category added since the choices were read
        categories.update(AssistCategory.objects.in_bulk(missing))
    days: dict[tuple[int, datetime.date], QueueDay] = {}
    totals: dict[tuple[int, datetime.date], tuple[int, int]] = {}  # counted, extended
    for pk, staff_id, log_day, minutes, category_id, task_id, title, text, outcome, *sums in rows:
        key = (staff_id, log_day)
        queue_day = days.get(key)
        if queue_day is None:
            queue_day = days[key] = QueueDay(staff=people[staff_id], day=log_day, logs=[])
            totals[key] = tuple(sums)
        queue_day.logs.append(
            QueueEntry(
                pk=pk,
                staff_id=staff_id,
                day=log_day,
                minutes=minutes,
                category=categories[category_id],
                task_id=task_id,
                task_title=title,
                description=text,
                outcome=outcome,
            )
        )
    budgets = budgets_for_people_and_days(
        # What the budget rules read of a profile: its key and its department.
        people=[
            StaffProfile(pk=people[pk].pk, department_id=people[pk].department_id) for pk in shown
        ],
        days=[queue_day.day for queue_day in days.values()],
    )
    for key, queue_day in days.items():
        counted, extended = totals[key]
        queue_day.figures = DayFigures(cap=budgets[key] + extended, counted=counted)
    return ApprovalQueue(
        days=list(days.values()),
        entries=sum(counts[p.pk][0] for p in listed),
        minutes=sum(counts[p.pk][1] for p in listed),
        people=len(listed),
        limit=limit,
        all_entries=sum(p.waiting for p in choices.people),
    )
