"""Summary tables kept up to date from the raw logs.

The log service marks a person's day dirty (``DayLedger.dirty``) whenever its figures
change. The rollup claims dirty days in batches (row locks, skipping rows another run
holds), recomputes those person-days from the raw rows, then the department-days they
belong to, and clears the marks in the same transaction. Recomputing from the raw rows
and upserting makes every run idempotent: two runs at once, or a run after a crash,
end with the same figures as one clean run.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Max, Min
from django.utils import timezone

from departments.models import Department, StaffProfile
from tasks.models import (
    AssistCategory,
    BudgetExtension,
    DayLedger,
    DepartmentDaySummary,
    DepartmentSpanSummary,
    PersonDaySummary,
    PersonMonthSummary,
    PersonWeekSummary,
    TimeLog,
)
from tasks.selectors import budget_segments

BULK_BATCH = 500  # rows per INSERT when Django writes many
PERSON_FIELDS = [
    "department",
    "budget_minutes",
    "extension_minutes",
    "submitted_minutes",
    "approved_minutes",
    "rejected_minutes",
    "entries",
    "outcomes_confirmed",
    "minutes_by_category",
]
DEPARTMENT_FIELDS = [
    "eligible_people",
    "people_logged",
    "budget_minutes",
    "submitted_minutes",
    "approved_minutes",
    "rejected_minutes",
    "minutes_by_category",
]


# The figures are computed in the database, set-based, over a temporary table of the
# person-days (or department-days) to recompute: one statement per table whatever the
# number of rows. Budgets come from Python (``budget_segments``: the rules' resolution
# lives in one place) as per-person runs of days, loaded into a second temporary table.

KEYS = "allhands_summary_keys"
DEPARTMENT_KEYS = "allhands_summary_department_keys"
BUDGETS = "allhands_summary_budgets"
SPANS_TABLE = "allhands_summary_spans"
# A rebuild's transaction covers this many days: a year of 10,000 people is one read of
# the logs (each chunk costs a pass over its keys, so fewer is faster; the price is a
# longer transaction, which only a repair takes).
REBUILD_CHUNK_DAYS = 366
TEMP_TABLES = {
    KEYS: "staff_id integer NOT NULL, day date NOT NULL",
    DEPARTMENT_KEYS: "department_id integer NOT NULL, day date NOT NULL",
    SPANS_TABLE: "day date NOT NULL, span date NOT NULL",
    BUDGETS: "staff_id integer NOT NULL, first_day date NOT NULL, "
    "last_day date NOT NULL, minutes integer NOT NULL",
}
VALUES_PER_INSERT = 250


def _vendor_sql() -> dict[str, str]:
    if connection.vendor == "postgresql":
        return {
            "object_agg": "jsonb_object_agg",
            "each": "jsonb_each_text",
            "empty": "'{}'::jsonb",
        }
    return {"object_agg": "json_group_object", "each": "json_each", "empty": "'{}'"}


def _temp_table(cursor, name: str) -> None:
    cursor.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS {name} ({TEMP_TABLES[name]})")
    cursor.execute(f"DELETE FROM {name}")  # noqa: S608 - fixed names


def _begin(cursor) -> None:
    """Inside a run's transaction, on PostgreSQL: let its sorts and hash aggregates over
    a year of logs stay in memory (the default spills to disk), and skip JIT compiling,
    which costs a short batch more than it saves (the temporary tables' row estimates
    make each statement look expensive)."""
    if connection.vendor == "postgresql":
        cursor.execute("SET LOCAL work_mem = '256MB'")
        cursor.execute("SET LOCAL jit = off")


def _analyze(cursor, name: str) -> None:
    """Give PostgreSQL's planner the size of a freshly filled temporary table (it has no
    statistics otherwise, and would guess badly for hundreds of thousands of keys)."""
    if connection.vendor == "postgresql":
        cursor.execute(f"ANALYZE {name}")


def _fill(cursor, name: str, rows: list[tuple]) -> None:
    """Rows into a temporary table, many per statement."""
    _temp_table(cursor, name)
    if not rows:
        return
    width = len(rows[0])
    for index in range(0, len(rows), VALUES_PER_INSERT):
        chunk = rows[index : index + VALUES_PER_INSERT]
        marks = ", ".join(["(" + ", ".join(["%s"] * width) + ")"] * len(chunk))
        cursor.execute(
            f"INSERT INTO {name} VALUES {marks}",  # noqa: S608 - fixed names, values bound
            [value for row in chunk for value in row],
        )
    if len(rows) > VALUES_PER_INSERT:
        _analyze(cursor, name)


def _fill_spans(cursor, starts: list[datetime.date], end_of) -> None:
    """Every day of these spans (months or weeks) with its span's first day, into the
    spans table: an equality join, where ranges would compare every day with every span."""
    _fill(
        cursor,
        SPANS_TABLE,
        [
            (start + datetime.timedelta(days=n), start)
            for start in starts
            for n in range((end_of(start) - start).days + 1)
        ],
    )


def _fill_budgets(
    cursor, people: Iterable[StaffProfile], first: datetime.date, last: datetime.date
) -> None:
    _fill(cursor, BUDGETS, budget_segments(people=people, start=first, end=last))


def _store(
    cursor,
    *,
    select: str,
    params: dict,
    table: str,
    keys: list[str],
    values: list[str],
    period: str = "day",
) -> None:
    """Write the rows ``select`` computes (all with a ``period`` in first..last) into
    ``table``: update the rows whose figures changed, insert the missing ones, leave the
    rest alone — ``computed_at`` is when a row last changed. A repair over correct
    summaries thus costs about one read of the logs.

    PostgreSQL merges in one pass (``MERGE``); SQLite upserts."""
    assigned = [*values, "computed_at"]
    columns = [*keys, *assigned]
    if connection.vendor == "postgresql":
        match = " AND ".join(
            [f"t.{key} = r.{key}" for key in keys] + [f"t.{period} BETWEEN %(first)s AND %(last)s"]
        )
        changed = " OR ".join(f"t.{value} <> r.{value}" for value in values)
        statement = f"""
            MERGE INTO {table} t USING ({select}) r ON {match}
            WHEN MATCHED AND ({changed}) THEN
                UPDATE SET {", ".join(f"{c} = r.{c}" for c in assigned)}
            WHEN NOT MATCHED THEN
                INSERT ({", ".join(columns)}) VALUES ({", ".join(f"r.{c}" for c in columns)})
        """  # noqa: S608 - names from the models, values bound
        try:
            with transaction.atomic():
                cursor.execute(statement, params)
        except IntegrityError:
            # A concurrent run inserted one of the missing rows first: now it matches.
            cursor.execute(statement, params)
        return
    changed = " OR ".join(f"{table}.{value} <> excluded.{value}" for value in values)
    cursor.execute(
        f"""
        INSERT INTO {table} ({", ".join(columns)})
        SELECT {", ".join(f"r.{c}" for c in columns)} FROM ({select}) r WHERE TRUE
        ON CONFLICT ({", ".join(keys)}) DO UPDATE SET
            {", ".join(f"{c} = excluded.{c}" for c in assigned)}
        WHERE {changed}
        """,  # noqa: S608 - names from the models, values bound
        params,
    )


def _upsert_people(cursor, first: datetime.date, last: datetime.date, *, every_key: bool) -> None:
    """Recompute the person-days in the keys table (all within first..last). With
    ``every_key`` the keys table holds every person-day with logs in the range (a
    rebuild), and the logs are read by range rather than key by key."""
    sql = _vendor_sql()
    by_key = "" if every_key else f"JOIN {KEYS} k ON k.staff_id = l.staff_id AND k.day = l.day"
    columns = "l.submitted, l.approved, l.rejected, l.entries, l.outcomes, l.by_category"
    ledgers = f"""
        SELECT staff_id, day FROM {DayLedger._meta.db_table}
        WHERE day BETWEEN %(first)s AND %(last)s
    """  # noqa: S608 - table names from the models, values bound
    if every_key and connection.vendor == "postgresql":
        # Every person-day with logs or a day ledger in the range.
        keyed = f"""
            SELECT COALESCE(l.staff_id, d.staff_id) AS staff_id,
                COALESCE(l.day, d.day) AS day, {columns}
            FROM logs l FULL JOIN ({ledgers}) d ON d.staff_id = l.staff_id AND d.day = l.day
        """  # noqa: S608 - fixed names
    elif every_key:  # the same without FULL JOIN, which SQLite lacks before 3.39
        keyed = f"""
            SELECT k.staff_id, k.day, {columns}
            FROM (SELECT staff_id, day FROM logs UNION {ledgers}) k
            LEFT JOIN logs l ON l.staff_id = k.staff_id AND l.day = k.day
        """  # noqa: S608 - fixed names
    else:
        keyed = f"""
            SELECT k.staff_id, k.day, {columns} FROM {KEYS} k
            LEFT JOIN logs l ON l.staff_id = k.staff_id AND l.day = k.day
        """  # noqa: S608 - fixed names
    select = f"""
        WITH grouped AS (
            SELECT l.staff_id, l.day, l.category_id,
                SUM(CASE WHEN l.status = %(submitted)s THEN l.minutes ELSE 0 END) AS submitted,
                SUM(CASE WHEN l.status = %(approved)s THEN l.minutes ELSE 0 END) AS approved,
                SUM(CASE WHEN l.status = %(rejected)s THEN l.minutes ELSE 0 END) AS rejected,
                COUNT(*) AS entries,
                SUM(CASE WHEN l.outcome_status = %(confirmed)s THEN 1 ELSE 0 END) AS outcomes
            FROM {TimeLog._meta.db_table} l {by_key}
            WHERE l.day BETWEEN %(first)s AND %(last)s
            GROUP BY l.staff_id, l.day, l.category_id
        ), logs AS (
            SELECT staff_id, day, SUM(submitted) AS submitted, SUM(approved) AS approved,
                SUM(rejected) AS rejected, SUM(entries) AS entries, SUM(outcomes) AS outcomes,
                {sql["object_agg"]}(CAST(category_id AS TEXT), submitted + approved)
                    FILTER (WHERE submitted + approved > 0) AS by_category
            FROM grouped GROUP BY staff_id, day
        ), keyed AS ({keyed}
        ), extensions AS (
            SELECT e.staff_id, e.day, SUM(e.minutes) AS total
            FROM {BudgetExtension._meta.db_table} e
            WHERE e.day BETWEEN %(first)s AND %(last)s AND e.status = %(granted)s
            GROUP BY e.staff_id, e.day
        )
        SELECT l.staff_id, l.day, p.department_id,
            COALESCE(b.minutes, 0) AS budget_minutes,
            COALESCE(e.total, 0) AS extension_minutes,
            COALESCE(l.submitted, 0) AS submitted_minutes,
            COALESCE(l.approved, 0) AS approved_minutes,
            COALESCE(l.rejected, 0) AS rejected_minutes,
            COALESCE(l.entries, 0) AS entries,
            COALESCE(l.outcomes, 0) AS outcomes_confirmed,
            COALESCE(l.by_category, {sql["empty"]}) AS minutes_by_category,
            %(now)s AS computed_at
        FROM keyed l
        JOIN {StaffProfile._meta.db_table} p ON p.id = l.staff_id
        LEFT JOIN extensions e ON e.staff_id = l.staff_id AND e.day = l.day
        LEFT JOIN {BUDGETS} b
            ON b.staff_id = l.staff_id AND l.day BETWEEN b.first_day AND b.last_day
    """  # noqa: S608 - table names from the models, values bound
    if connection.vendor == "postgresql":
        # Sorted aggregation: the second grouping then streams over the first one's
        # order, where hashing would hold two million JSON builders (4× slower).
        cursor.execute("SET LOCAL enable_hashagg = off")
    _store(
        cursor,
        select=select,
        params={
            "submitted": TimeLog.Status.SUBMITTED,
            "approved": TimeLog.Status.APPROVED,
            "rejected": TimeLog.Status.REJECTED,
            "confirmed": TimeLog.OutcomeStatus.CONFIRMED,
            "granted": BudgetExtension.Status.GRANTED,
            "first": first,
            "last": last,
            "now": timezone.now(),
        },
        table=PersonDaySummary._meta.db_table,
        keys=["staff_id", "day"],
        values=[f"{name}_id" if name == "department" else name for name in PERSON_FIELDS],
    )
    if connection.vendor == "postgresql":
        cursor.execute("SET LOCAL enable_hashagg = on")


def _month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def _month_end(month: datetime.date) -> datetime.date:
    return (month + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)


def _week_start(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


def _week_end(week: datetime.date) -> datetime.date:
    return week + datetime.timedelta(days=6)


# Person-spans summed from person-days: (model, its span column, first day of a span, last).
SPANS = [
    (PersonMonthSummary, "month", _month_start, _month_end),
    (PersonWeekSummary, "week", _week_start, _week_end),
]


def _upsert_spans(cursor, days: set[datetime.date], *, staff_from_keys: bool) -> None:
    """Recompute the person-months and person-weeks that contain these days, from the
    person-days: for everyone, or for the people in the keys table only."""
    if not days:
        return
    # For a few people, read their days through the (person, day) index.
    people = (
        f"JOIN (SELECT DISTINCT staff_id FROM {KEYS}) k ON k.staff_id = s.staff_id"  # noqa: S608
        if staff_from_keys
        else ""
    )
    for model, column, start_of, end_of in SPANS:
        spans = sorted({start_of(day) for day in days})
        _fill_spans(cursor, spans, end_of)
        select = f"""
            SELECT s.staff_id, m.span AS {column},
                SUM(CASE WHEN s.submitted_minutes + s.approved_minutes > 0 THEN 1 ELSE 0 END)
                    AS days_logged,
                SUM(s.submitted_minutes) AS submitted_minutes,
                SUM(s.approved_minutes) AS approved_minutes,
                %(now)s AS computed_at
            FROM {PersonDaySummary._meta.db_table} s {people}
            JOIN {SPANS_TABLE} m ON m.day = s.day
            WHERE s.day BETWEEN %(first_day)s AND %(last_day)s
            GROUP BY s.staff_id, m.span
        """  # noqa: S608 - table names from the models, values bound
        _store(
            cursor,
            select=select,
            params={
                "first": spans[0],
                "last": spans[-1],
                "first_day": spans[0],
                "last_day": end_of(spans[-1]),
                "now": timezone.now(),
            },
            table=model._meta.db_table,
            keys=["staff_id", column],
            values=["days_logged", "submitted_minutes", "approved_minutes"],
            period=column,
        )


def _eligible_people(department_ids: Iterable[int] | None = None) -> list[StaffProfile]:
    """Active people of non-marketing departments."""
    people = StaffProfile.objects.filter(
        is_active=True, department__kind=Department.Kind.NON_MARKETING
    )
    if department_ids is not None:
        people = people.filter(department_id__in=list(department_ids))
    return list(people.only("pk", "department_id"))


def _lock_departments(keys: set[tuple[int, datetime.date]]) -> None:
    """Serialise runs that recompute the same department-days (call inside the run's
    transaction, after its person rows are written). Without it, two runs whose batches
    share a department-day each sum only the person rows they can see — their own,
    uncommitted — and the last to commit wins. Holding the row until commit makes the
    later run wait and then read the earlier run's committed rows. Keys are taken in
    one order, so two runs cannot deadlock."""
    ordered = sorted(keys)
    DepartmentDaySummary.objects.bulk_create(
        [DepartmentDaySummary(department_id=d, day=day) for d, day in ordered],
        ignore_conflicts=True,
        batch_size=BULK_BATCH,
    )
    list(
        DepartmentDaySummary.objects.select_for_update()
        .filter(department_id__in={d for d, _day in ordered}, day__in={day for _d, day in ordered})
        .order_by("department_id", "day")
        .values_list("pk", flat=True)
    )


def _eligible_select(keys: str, budgets: str) -> str:
    """Per department-day of ``keys`` (department_id, day), its active people with a
    budget and their budgets' sum, from the per-person budget runs in ``budgets``. The
    budgets change on a few days only: the runs are summed per department first."""
    return f"""
            SELECT k.department_id, k.day, SUM(g.people) AS people, SUM(g.budget) AS budget
            FROM {keys} k
            JOIN (
                SELECT p.department_id, b.first_day, b.last_day,
                    COUNT(*) AS people, SUM(b.minutes) AS budget
                FROM {StaffProfile._meta.db_table} p
                JOIN {budgets} b ON b.staff_id = p.id
                WHERE p.is_active
                GROUP BY p.department_id, b.first_day, b.last_day
            ) g ON g.department_id = k.department_id AND k.day BETWEEN g.first_day AND g.last_day
            GROUP BY k.department_id, k.day"""  # noqa: S608 - table names from the code


def _upsert_departments(cursor, keys: set[tuple[int, datetime.date]]) -> int:
    """Recompute these department-days from the person-day summaries (already written
    in this transaction) and the eligible people's budgets."""
    if not keys:
        return 0
    _lock_departments(keys)
    first = min(day for _d, day in keys)
    last = max(day for _d, day in keys)
    _fill(cursor, DEPARTMENT_KEYS, sorted(keys))
    _fill_budgets(cursor, _eligible_people({d for d, _day in keys}), first, last)
    sql = _vendor_sql()
    select = f"""
        WITH eligible AS ({_eligible_select(DEPARTMENT_KEYS, BUDGETS)}
        ), people AS (
            SELECT s.department_id, s.day,
                SUM(s.submitted_minutes) AS submitted,
                SUM(s.approved_minutes) AS approved,
                SUM(s.rejected_minutes) AS rejected,
                SUM(CASE WHEN s.submitted_minutes + s.approved_minutes > 0 THEN 1 ELSE 0 END)
                    AS logged
            FROM {PersonDaySummary._meta.db_table} s
            JOIN {DEPARTMENT_KEYS} k ON k.department_id = s.department_id AND k.day = s.day
            WHERE s.day BETWEEN %(first)s AND %(last)s
            GROUP BY s.department_id, s.day
        ), categories AS (
            SELECT department_id, day, {sql["object_agg"]}(category, minutes) AS by_category
            FROM (
                SELECT s.department_id, s.day, kv.key AS category,
                    SUM(CAST(kv.value AS INTEGER)) AS minutes
                FROM {PersonDaySummary._meta.db_table} s
                JOIN {DEPARTMENT_KEYS} k ON k.department_id = s.department_id AND k.day = s.day,
                    {sql["each"]}(s.minutes_by_category) kv
                WHERE s.day BETWEEN %(first)s AND %(last)s
                GROUP BY s.department_id, s.day, kv.key
            ) c
            GROUP BY department_id, day
        )
        SELECT k.department_id, k.day,
            COALESCE(e.people, 0) AS eligible_people,
            COALESCE(p.logged, 0) AS people_logged,
            COALESCE(e.budget, 0) AS budget_minutes,
            COALESCE(p.submitted, 0) AS submitted_minutes,
            COALESCE(p.approved, 0) AS approved_minutes,
            COALESCE(p.rejected, 0) AS rejected_minutes,
            COALESCE(c.by_category, {sql["empty"]}) AS minutes_by_category,
            %(now)s AS computed_at
        FROM {DEPARTMENT_KEYS} k
        LEFT JOIN eligible e ON e.department_id = k.department_id AND e.day = k.day
        LEFT JOIN people p ON p.department_id = k.department_id AND p.day = k.day
        LEFT JOIN categories c ON c.department_id = k.department_id AND c.day = k.day
    """  # noqa: S608 - table names from the models, values bound
    _store(
        cursor,
        select=select,
        params={"first": first, "last": last, "now": timezone.now()},
        table=DepartmentDaySummary._meta.db_table,
        keys=["department_id", "day"],
        values=DEPARTMENT_FIELDS,
    )
    return len(keys)


# Department-spans summed from department-days and person-spans: (span, person-span model,
# its span column, first day of a span, last).
DEPARTMENT_SPANS = [
    (DepartmentSpanSummary.Span.MONTH, PersonMonthSummary, "month", _month_start, _month_end),
    (DepartmentSpanSummary.Span.WEEK, PersonWeekSummary, "week", _week_start, _week_end),
]


def _lock_department_spans(keys: list[tuple[int, str, datetime.date]]) -> None:
    """As ``_lock_departments``, for the department-spans a run recomputes: a run that
    shares one with another waits for it and then counts its committed person-spans."""
    DepartmentSpanSummary.objects.bulk_create(
        [DepartmentSpanSummary(department_id=d, span=span, start=start) for d, span, start in keys],
        ignore_conflicts=True,
        batch_size=BULK_BATCH,
    )
    list(
        DepartmentSpanSummary.objects.select_for_update()
        .filter(
            department_id__in={d for d, _span, _start in keys},
            span__in={span for _d, span, _start in keys},
            start__in={start for _d, _span, start in keys},
        )
        .order_by("department_id", "span", "start")
        .values_list("pk", flat=True)
    )


def _upsert_department_spans(cursor, keys: set[tuple[int, datetime.date]]) -> None:
    """Recompute the department-months and department-weeks containing these
    department-days (call after their department-days and the person-spans of their
    people are written): the eligible people of each department as of now (active, of a
    non-marketing department), those of them who logged time in the span, and the minutes and
    categories of its department-days."""
    if not keys:
        return
    _lock_department_spans(
        sorted(
            {
                (department_id, str(span), start_of(day))
                for department_id, day in keys
                for span, _model, _column, start_of, _end_of in DEPARTMENT_SPANS
            }
        )
    )
    sql = _vendor_sql()
    for span, model, column, start_of, end_of in DEPARTMENT_SPANS:
        span_keys = sorted({(department_id, start_of(day)) for department_id, day in keys})
        spans = sorted({start for _d, start in span_keys})
        _fill(cursor, DEPARTMENT_KEYS, span_keys)
        _fill_spans(cursor, spans, end_of)
        days = f"""
            FROM {DepartmentDaySummary._meta.db_table} d
            JOIN {SPANS_TABLE} m ON m.day = d.day
            JOIN {DEPARTMENT_KEYS} k ON k.department_id = d.department_id AND k.day = m.span
        """
        select = f"""
            WITH people AS (
                SELECT p.department_id, s.{column} AS start, COUNT(*) AS people
                FROM {model._meta.db_table} s
                JOIN {StaffProfile._meta.db_table} p ON p.id = s.staff_id
                JOIN {Department._meta.db_table} e ON e.id = p.department_id
                JOIN {DEPARTMENT_KEYS} k
                    ON k.department_id = p.department_id AND k.day = s.{column}
                WHERE s.{column} BETWEEN %(first)s AND %(last)s
                    AND s.days_logged > 0 AND p.is_active AND e.kind = %(eligible_kind)s
                GROUP BY p.department_id, s.{column}
            ), eligible AS (
                SELECT p.department_id, COUNT(*) AS people
                FROM {StaffProfile._meta.db_table} p
                JOIN {Department._meta.db_table} e ON e.id = p.department_id
                WHERE p.is_active AND e.kind = %(eligible_kind)s
                    AND p.department_id IN (SELECT department_id FROM {DEPARTMENT_KEYS})
                GROUP BY p.department_id
            ), minutes AS (
                SELECT d.department_id, m.span AS start,
                    SUM(d.submitted_minutes) AS submitted, SUM(d.approved_minutes) AS approved
                {days}
                WHERE d.day BETWEEN %(first_day)s AND %(last_day)s
                GROUP BY d.department_id, m.span
            ), categories AS (
                SELECT department_id, start,
                    {sql["object_agg"]}(category, minutes) AS by_category
                FROM (
                    SELECT d.department_id, m.span AS start, kv.key AS category,
                        SUM(CAST(kv.value AS INTEGER)) AS minutes
                    {days}, {sql["each"]}(d.minutes_by_category) kv
                    WHERE d.day BETWEEN %(first_day)s AND %(last_day)s
                    GROUP BY d.department_id, m.span, kv.key
                ) c
                GROUP BY department_id, start
            )
            SELECT k.department_id, %(span)s AS span, k.day AS start,
                COALESCE(p.people, 0) AS people_logged,
                COALESCE(e.people, 0) AS people_eligible,
                COALESCE(m.submitted, 0) AS submitted_minutes,
                COALESCE(m.approved, 0) AS approved_minutes,
                COALESCE(c.by_category, {sql["empty"]}) AS minutes_by_category,
                %(now)s AS computed_at
            FROM {DEPARTMENT_KEYS} k
            LEFT JOIN people p ON p.department_id = k.department_id AND p.start = k.day
            LEFT JOIN eligible e ON e.department_id = k.department_id
            LEFT JOIN minutes m ON m.department_id = k.department_id AND m.start = k.day
            LEFT JOIN categories c ON c.department_id = k.department_id AND c.start = k.day
        """  # noqa: S608 - table names from the models, values bound
        _store(
            cursor,
            select=select,
            params={
                "span": str(span),
                "eligible_kind": Department.Kind.NON_MARKETING,
                "first": spans[0],
                "last": spans[-1],
                "first_day": spans[0],
                "last_day": end_of(spans[-1]),
                "now": timezone.now(),
            },
            table=DepartmentSpanSummary._meta.db_table,
            keys=["department_id", "span", "start"],
            values=[
                "people_logged",
                "people_eligible",
                "submitted_minutes",
                "approved_minutes",
                "minutes_by_category",
            ],
            period="start",
        )


def _recompute_people(
    cursor, keys: set[tuple[int, datetime.date]]
) -> set[tuple[int, datetime.date]]:
    """Recompute these person-days; returns the department-days they belong to."""
    if not keys:
        return set()
    first = min(day for _s, day in keys)
    last = max(day for _s, day in keys)
    _fill(cursor, KEYS, sorted(keys))
    staff_ids = {staff_id for staff_id, _day in keys}
    people = list(StaffProfile.objects.filter(pk__in=staff_ids).only("pk", "department_id"))
    _fill_budgets(cursor, people, first, last)
    _upsert_people(cursor, first, last, every_key=False)
    departments = {person.pk: person.department_id for person in people}
    return {(departments[staff_id], day) for staff_id, day in keys if staff_id in departments}


def summaries_rollup(*, days: Iterable[datetime.date] = ()) -> dict[str, int]:
    """Roll up every dirty person-day, and recompute ``days`` (e.g. yesterday) in full
    for every department, so that days without any log still count who was eligible."""
    people_done = 0
    department_keys: set[tuple[int, datetime.date]] = set()
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            claimed = list(
                DayLedger.objects.select_for_update(skip_locked=True)
                .filter(dirty=True)
                .order_by("day", "staff_id")
                .values_list("pk", "staff_id", "day")[: max(1, settings.ALLHANDS_ROLLUP_BATCH)]
            )
            if not claimed:
                break
            _begin(cursor)
            keys = {(staff_id, day) for _pk, staff_id, day in claimed}
            batch_departments = _recompute_people(cursor, keys)
            _upsert_spans(cursor, {day for _s, day in keys}, staff_from_keys=True)
            DayLedger.objects.filter(pk__in=[pk for pk, _s, _d in claimed]).update(dirty=False)
            _upsert_departments(cursor, batch_departments)
            _upsert_department_spans(cursor, batch_departments)
            department_keys |= batch_departments
            people_done += len(keys)
    full_days = sorted(set(days))
    if full_days:
        with transaction.atomic(), connection.cursor() as cursor:
            _begin(cursor)
            keys = set(DayLedger.objects.filter(day__in=full_days).values_list("staff_id", "day"))
            _recompute_people(cursor, keys)
            _upsert_spans(cursor, {day for _s, day in keys}, staff_from_keys=True)
            all_departments = {
                (department_id, day)
                for department_id in Department.objects.filter(
                    kind=Department.Kind.NON_MARKETING
                ).values_list("pk", flat=True)
                for day in full_days
            }
            _upsert_departments(cursor, all_departments)
            _upsert_department_spans(cursor, all_departments)
            people_done += len(keys)
            department_keys |= all_departments
    return {"person_days": people_done, "department_days": len(department_keys)}


# The PostgreSQL rebuild. Aggregating two million person-days is CPU-bound, and a MERGE
# (or any writing statement) never runs in parallel, nor does a query reading a temporary
# table. So each chunk computes its figures with ``CREATE UNLOGGED TABLE ... AS SELECT``
# (which may use parallel workers) into a work table, comparing them with the stored rows
# on the way, and then writes only the rows that differ. The work tables have names of
# their own run and are created and dropped inside the chunk's transaction: no other
# session ever sees them, and a failure (or a lost connection) rolls them back with it.
REBUILD_BRANCHES = 6  # parts of a chunk that PostgreSQL's workers share out


def _day_ranges(first: datetime.date, last: datetime.date, parts: int) -> list[dict]:
    """first..last as up to ``parts`` runs of about as many days each."""
    days = (last - first).days + 1
    size = -(-days // max(1, parts))
    return [
        {
            "lo": first + datetime.timedelta(days=start),
            "hi": min(last, first + datetime.timedelta(days=start + size - 1)),
        }
        for start in range(0, days, size)
    ]


def _span_ranges(spans: list[datetime.date], end_of, parts: int) -> list[dict]:
    """The spans as up to ``parts`` runs, each with the span starts it covers (``lo``,
    ``hi``) and the days (``lo_day``, ``hi_day``)."""
    size = -(-len(spans) // max(1, parts))
    runs = [spans[index : index + size] for index in range(0, len(spans), size)]
    return [
        {"lo": run[0], "hi": run[-1], "lo_day": run[0], "hi_day": end_of(run[-1])} for run in runs
    ]


def _compare(
    select: str,
    params: dict,
    *,
    table: str,
    keys: list[str],
    values: list[str],
    differs: dict[str, str] | None = None,
    ranges: list[dict] | None = None,
    within: str = "",
    columns: dict[str, str] | None = None,
    tag: str = "",
) -> list[str]:
    """SQL of the rows of ``select`` (aliased ``c``) that are missing from ``table``
    (aliased ``s``) or differ from it, with the stored row's id (``stored_id``, NULL when
    missing). ``differs`` gives the SQL that tells a value changed where a plain
    comparison does not do; ``columns`` names the column of ``c`` holding a key or value
    when it is not its own name.

    With ``ranges``, ``select`` and ``within`` (a condition on ``s``) hold placeholders
    (``{lo}``, ``{hi}``...) for each range's bounds (added to ``params``, their names
    suffixed with ``tag`` and the range's index), and the SQL is one part per range."""
    differs, columns = differs or {}, columns or {}
    match = " AND ".join(
        [f"s.{key} = c.{columns.get(key, key)}" for key in keys] + ([within] if within else [])
    )
    changed = " OR ".join(
        differs.get(value, f"s.{value} <> c.{columns.get(value, value)}") for value in values
    )
    compare = f"""
        SELECT c.*, s.id AS stored_id FROM ({select}) c
        LEFT JOIN {table} s ON {match}
        WHERE s.id IS NULL OR {changed}
    """  # noqa: S608 - names from the models and the run, values bound
    parts = []
    for index, bounds in enumerate(ranges or [{}]):
        part = compare
        for name, value in bounds.items():
            params[f"{name}_{tag}{index}"] = value
            part = part.replace(f"{{{name}}}", f"%({name}_{tag}{index})s")
        parts.append(part)
    return parts


def _differences(cursor, work: str, parts: list[str], params: dict) -> None:
    """Work table ``work``: the rows of the ``parts`` (``_compare``), joined with UNION
    ALL. With several parts, parallel scans are turned off for the statement: PostgreSQL
    then hands whole parts to its workers (a Parallel Append), each aggregating, joining
    and comparing its own rows so that only the differences reach the leader — where
    parallel scans under each part would leave all the grouping and joining to it."""
    if len(parts) == 1:
        cursor.execute(f"CREATE UNLOGGED TABLE {work} AS {parts[0]}", params)
        return
    statement = " UNION ALL ".join(f"({part})" for part in parts)
    cursor.execute("SET LOCAL min_parallel_table_scan_size = '1TB'")
    cursor.execute("SET LOCAL min_parallel_index_scan_size = '1TB'")
    cursor.execute(f"CREATE UNLOGGED TABLE {work} AS {statement}", params)
    cursor.execute("SET LOCAL min_parallel_table_scan_size = DEFAULT")
    cursor.execute("SET LOCAL min_parallel_index_scan_size = DEFAULT")


def _write_differences(
    cursor,
    work: str,
    *,
    table: str,
    keys: list[str],
    values: list[str],
    now,
    assign: dict[str, str] | None = None,
    where: str = "TRUE",
) -> int:
    """Update the stored rows listed in work table ``work`` (those matching ``where``),
    and insert the missing ones. ``assign`` gives the SQL of a value (over ``w``) that
    is not a column of ``work``."""
    assign = assign or {}
    source = {value: assign.get(value, f"w.{value}") for value in [*keys, *values]}
    cursor.execute(
        f"""
        UPDATE {table} t SET {", ".join(f"{value} = {source[value]}" for value in values)},
            computed_at = %(now)s
        FROM {work} w WHERE w.stored_id IS NOT NULL AND t.id = w.stored_id AND {where}
        """,  # noqa: S608 - names from the models and the run, values bound
        {"now": now},
    )
    written = cursor.rowcount
    cursor.execute(
        f"""
        INSERT INTO {table} ({", ".join(source)}, computed_at)
        SELECT {", ".join(source.values())}, %(now)s
        FROM {work} w WHERE w.stored_id IS NULL AND {where}
        """,  # noqa: S608 - names from the models and the run, values bound
        {"now": now},
    )
    return written + cursor.rowcount


def _category_object(columns: dict[int, str]) -> str:
    """SQL for a JSON object of category id -> minutes from one column per category,
    leaving out the categories without minutes (NULL)."""
    if not columns:
        return "'{}'::jsonb"
    pairs = [f"'{int(category)}', {column}" for category, column in sorted(columns.items())]
    # jsonb_build_object takes at most 100 arguments.
    parts = [
        f"jsonb_build_object({', '.join(pairs[index : index + 40])})"
        for index in range(0, len(pairs), 40)
    ]
    return f"jsonb_strip_nulls({' || '.join(parts)})"


PERSON_VALUES = [f"{name}_id" if name == "department" else name for name in PERSON_FIELDS]
SPAN_VALUES = ["days_logged", "submitted_minutes", "approved_minutes"]


def _rebuild_people_postgresql(
    cursor, budgets: str, categories: list[int], first: datetime.date, last: datetime.date, now
) -> None:
    """Rewrite the person-days with logs or a day ledger in first..last whose figures
    changed. The minutes by category are one sum per category (the categories are
    locked for the run), compared with the stored JSON entry by entry: a single
    grouping, and JSON built only for the rows written."""
    work = f"allhands_rebuild_people_{uuid.uuid4().hex[:16]}"
    params = {
        "submitted": TimeLog.Status.SUBMITTED,
        "approved": TimeLog.Status.APPROVED,
        "rejected": TimeLog.Status.REJECTED,
        "confirmed": TimeLog.OutcomeStatus.CONFIRMED,
        "granted": BudgetExtension.Status.GRANTED,
        "category_keys": [str(int(category)) for category in categories],
    }
    columns = {int(category): f"category_{int(category)}" for category in categories}
    sums = "".join(
        f"SUM(l.minutes) FILTER (WHERE l.category_id = {category}"
        f" AND l.status IN (%(submitted)s, %(approved)s)) AS {column}, "
        for category, column in columns.items()
    )
    select = f"""
        SELECT k.staff_id, k.day, p.department_id,
            COALESCE(p.minutes, 0) AS budget_minutes,
            CAST(COALESCE(e.total, 0) AS integer) AS extension_minutes,
            CAST(COALESCE(k.submitted, 0) AS integer) AS submitted_minutes,
            CAST(COALESCE(k.approved, 0) AS integer) AS approved_minutes,
            CAST(COALESCE(k.rejected, 0) AS integer) AS rejected_minutes,
            CAST(COALESCE(k.entries, 0) AS integer) AS entries,
            CAST(COALESCE(k.outcomes, 0) AS integer) AS outcomes_confirmed
            {"".join(f", k.{column}" for column in columns.values())}
        FROM (
            SELECT COALESCE(l.logs_staff_id, d.staff_id) AS staff_id,
                COALESCE(l.logs_day, d.day) AS day, l.*
            FROM (
                SELECT l.staff_id AS logs_staff_id, l.day AS logs_day, {sums}
                    SUM(CASE WHEN l.status = %(submitted)s THEN l.minutes ELSE 0 END)
                        AS submitted,
                    SUM(CASE WHEN l.status = %(approved)s THEN l.minutes ELSE 0 END)
                        AS approved,
                    SUM(CASE WHEN l.status = %(rejected)s THEN l.minutes ELSE 0 END)
                        AS rejected,
                    COUNT(*) AS entries,
                    SUM(CASE WHEN l.outcome_status = %(confirmed)s THEN 1 ELSE 0 END)
                        AS outcomes
                FROM {TimeLog._meta.db_table} l
                WHERE l.day BETWEEN {{lo}} AND {{hi}}
                GROUP BY l.staff_id, l.day
            ) l
            FULL JOIN (
                SELECT staff_id, day FROM {DayLedger._meta.db_table}
                WHERE day BETWEEN {{lo}} AND {{hi}}
            ) d ON d.staff_id = l.logs_staff_id AND d.day = l.logs_day
        ) k
        -- Each person with the budget runs covering first..last (budget_segments),
        -- or none (a person added since they were read: no budget).
        JOIN (
            SELECT p.id, p.department_id, b.first_day, b.last_day, b.minutes
            FROM {StaffProfile._meta.db_table} p LEFT JOIN {budgets} b ON b.staff_id = p.id
        ) p ON p.id = k.staff_id
            AND (p.first_day IS NULL OR k.day BETWEEN p.first_day AND p.last_day)
        LEFT JOIN (
            SELECT e.staff_id, e.day, SUM(e.minutes) AS total
            FROM {BudgetExtension._meta.db_table} e
            WHERE e.day BETWEEN {{lo}} AND {{hi}} AND e.status = %(granted)s
            GROUP BY e.staff_id, e.day
        ) e ON e.staff_id = k.staff_id AND e.day = k.day
    """  # noqa: S608 - names from the models and the run, values bound
    # The stored JSON differs if it has another key, or another value for a key.
    by_category = [
        "s.minutes_by_category - CAST(%(category_keys)s AS text[]) <> '{}'::jsonb",
        *(
            f"(s.minutes_by_category ->> '{category}') IS DISTINCT FROM CAST(c.{column} AS text)"
            for category, column in columns.items()
        ),
    ]
    table = PersonDaySummary._meta.db_table
    parts = _compare(
        select,
        params,
        table=table,
        keys=["staff_id", "day"],
        values=PERSON_VALUES,
        differs={"minutes_by_category": " OR ".join(by_category)},
        ranges=_day_ranges(first, last, REBUILD_BRANCHES),
        within="s.day BETWEEN {lo} AND {hi}",
    )
    _differences(cursor, work, parts, params)
    _write_differences(
        cursor,
        work,
        table=table,
        keys=["staff_id", "day"],
        values=PERSON_VALUES,
        now=now,
        assign={"minutes_by_category": _category_object({c: f"w.{n}" for c, n in columns.items()})},
    )
    cursor.execute(f"DROP TABLE {work}")


def _rebuild_spans_postgresql(cursor, first: datetime.date, last: datetime.date, now) -> None:
    """Rewrite the person-months and person-weeks containing first..last whose figures,
    summed from the person-days (already rewritten in this transaction), changed: both
    computed by one statement (its parts shared out together), then written."""
    work = f"allhands_rebuild_spans_{uuid.uuid4().hex[:16]}"
    params: dict = {}
    parts = []
    for model, column, start_of, end_of in SPANS:
        spans = sorted(
            {start_of(first + datetime.timedelta(days=n)) for n in range((last - first).days + 1)}
        )
        select = f"""
            SELECT '{column}' AS kind, s.staff_id,
                CAST(date_trunc('{column}', CAST(s.day AS timestamp)) AS date) AS span,
                CAST(SUM(CASE WHEN s.submitted_minutes + s.approved_minutes > 0
                    THEN 1 ELSE 0 END) AS integer) AS days_logged,
                CAST(SUM(s.submitted_minutes) AS integer) AS submitted_minutes,
                CAST(SUM(s.approved_minutes) AS integer) AS approved_minutes
            FROM {PersonDaySummary._meta.db_table} s
            WHERE s.day BETWEEN {{lo_day}} AND {{hi_day}}
            GROUP BY 2, 3
        """  # noqa: S608 - names from the models, values bound
        parts += _compare(
            select,
            params,
            table=model._meta.db_table,
            keys=["staff_id", column],
            values=SPAN_VALUES,
            ranges=_span_ranges(spans, end_of, REBUILD_BRANCHES),
            within=f"s.{column} BETWEEN {{lo}} AND {{hi}}",
            columns={column: "span"},
            tag=column,
        )
    _differences(cursor, work, parts, params)
    for model, column, _start_of, _end_of in SPANS:
        _write_differences(
            cursor,
            work,
            table=model._meta.db_table,
            keys=["staff_id", column],
            values=SPAN_VALUES,
            now=now,
            assign={column: "w.span"},
            where=f"w.kind = '{column}'",
        )
    cursor.execute(f"DROP TABLE {work}")


def _rebuild_departments_postgresql(
    cursor, budgets: str, categories: list[int], departments: list[int], first, last, now
) -> bool:
    """Rewrite the department-days of ``departments`` over first..last whose figures,
    summed from the person-days (already rewritten in this transaction), changed. The
    minutes by category are one sum per category of the person-days' JSON entries.
    False (nothing written) if a person-day holds a category not in ``categories`` (a
    row the rebuild did not rewrite): then the caller sums whatever entries there are
    (``_upsert_departments``)."""
    work = f"allhands_rebuild_departments_{uuid.uuid4().hex[:16]}"
    sums = "".join(
        f"SUM(CAST(s.minutes_by_category ->> '{int(c)}' AS integer)) AS category_{int(c)}, "
        for c in categories
    )
    by_category = _category_object({c: f"p.category_{int(c)}" for c in categories})
    in_categories = " + ".join(f"COALESCE(p.category_{int(c)}, 0)" for c in categories) or "0"
    select = f"""
        WITH keys AS (
            SELECT d.department_id, CAST(g.day AS date) AS day
            FROM unnest(CAST(%(departments)s AS bigint[])) AS d(department_id)
            CROSS JOIN generate_series(
                CAST(%(first)s AS timestamp), CAST(%(last)s AS timestamp), interval '1 day'
            ) AS g(day)
        ), eligible AS ({_eligible_select("keys", budgets)}
        ), people AS (
            SELECT s.department_id, s.day, {sums}
                SUM(s.submitted_minutes) AS submitted,
                SUM(s.approved_minutes) AS approved,
                SUM(s.rejected_minutes) AS rejected,
                SUM(CASE WHEN s.submitted_minutes + s.approved_minutes > 0 THEN 1 ELSE 0 END)
                    AS logged
            FROM {PersonDaySummary._meta.db_table} s
            WHERE s.day BETWEEN %(first)s AND %(last)s
            GROUP BY s.department_id, s.day
        )
        SELECT k.department_id, k.day,
            CAST(COALESCE(e.people, 0) AS integer) AS eligible_people,
            CAST(COALESCE(p.logged, 0) AS integer) AS people_logged,
            CAST(COALESCE(e.budget, 0) AS integer) AS budget_minutes,
            CAST(COALESCE(p.submitted, 0) AS integer) AS submitted_minutes,
            CAST(COALESCE(p.approved, 0) AS integer) AS approved_minutes,
            CAST(COALESCE(p.rejected, 0) AS integer) AS rejected_minutes,
            {by_category} AS minutes_by_category,
            COALESCE(p.submitted + p.approved <> {in_categories}, FALSE) AS other_categories
        FROM keys k
        LEFT JOIN eligible e ON e.department_id = k.department_id AND e.day = k.day
        LEFT JOIN people p ON p.department_id = k.department_id AND p.day = k.day
    """  # noqa: S608 - names from the models and the run, values bound
    params = {"departments": departments, "first": first, "last": last}
    parts = _compare(
        select,
        params,
        table=DepartmentDaySummary._meta.db_table,
        keys=["department_id", "day"],
        values=[*DEPARTMENT_FIELDS, "other_categories"],
        differs={"other_categories": "c.other_categories"},
    )
    _differences(cursor, work, parts, params)
    cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {work} WHERE other_categories)")  # noqa: S608
    if cursor.fetchone()[0]:
        cursor.execute(f"DROP TABLE {work}")
        return False
    _write_differences(
        cursor,
        work,
        table=DepartmentDaySummary._meta.db_table,
        keys=["department_id", "day"],
        values=DEPARTMENT_FIELDS,
        now=now,
    )
    cursor.execute(f"DROP TABLE {work}")
    return True


def _work_tables_allowed(cursor) -> bool:
    """PostgreSQL, and the database user may create tables (the work tables go in the
    current schema)."""
    if connection.vendor != "postgresql":
        return False
    cursor.execute("SELECT has_schema_privilege(current_schema(), 'CREATE')")
    return bool(cursor.fetchone()[0])


def _rebuild_chunk_postgresql(
    cursor, everyone: list[StaffProfile], departments: list[int], first, last
) -> None:
    """One chunk of the rebuild on PostgreSQL (inside its transaction)."""
    # Rollups wait for the rebuild (and it for a rollup already writing), so no one
    # else writes a summary row until this transaction ends, and the figures can be
    # compared and written without row locks; readers are not blocked. The person-days
    # come first: a rollup writes them before the other summaries (or, for a day
    # without any ledger, department-days alone), so neither side can hold a table the
    # other waits for. The categories are locked too (logs can still be saved): the
    # figures have one column per category.
    for model in (PersonDaySummary, PersonMonthSummary, PersonWeekSummary, DepartmentDaySummary):
        cursor.execute(f"LOCK TABLE {model._meta.db_table} IN SHARE ROW EXCLUSIVE MODE")
    cursor.execute(f"LOCK TABLE {AssistCategory._meta.db_table} IN SHARE MODE")
    categories = sorted(AssistCategory.objects.values_list("pk", flat=True))
    now = timezone.now()
    budgets = f"allhands_rebuild_budgets_{uuid.uuid4().hex[:16]}"
    cursor.execute(f"CREATE UNLOGGED TABLE {budgets} ({TEMP_TABLES[BUDGETS]})")
    segments = budget_segments(people=everyone, start=first, end=last)
    for index in range(0, len(segments), VALUES_PER_INSERT * 4):
        chunk = segments[index : index + VALUES_PER_INSERT * 4]
        cursor.execute(
            f"INSERT INTO {budgets} VALUES {', '.join(['(%s, %s, %s, %s)'] * len(chunk))}",  # noqa: S608
            [value for row in chunk for value in row],
        )
    cursor.execute(f"ANALYZE {budgets}")
    _rebuild_people_postgresql(cursor, budgets, categories, first, last, now)
    _rebuild_spans_postgresql(cursor, first, last, now)
    if not _rebuild_departments_postgresql(
        cursor, budgets, categories, departments, first, last, now
    ):
        days = [first + datetime.timedelta(days=n) for n in range((last - first).days + 1)]
        _upsert_departments(cursor, {(d, day) for d in departments for day in days})
    cursor.execute(f"DROP TABLE {budgets}")


def summaries_rebuild(
    *,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
    chunk_days: int = REBUILD_CHUNK_DAYS,
) -> dict[str, int]:
    """Repair: recompute every person-day and department-day in the range from the raw
    logs (all of history by default), ``chunk_days`` per transaction, and clear the
    dirty marks. Each chunk reads its logs once; rows that are right stay unwritten."""
    bounds = TimeLog.objects.aggregate(first=Min("day"), last=Max("day"))
    start = start or bounds["first"]
    end = end or bounds["last"]
    if start is None or end is None:
        return {"person_days": 0, "department_days": 0}
    departments = list(
        Department.objects.filter(kind=Department.Kind.NON_MARKETING).values_list("pk", flat=True)
    )
    everyone = list(StaffProfile.objects.only("pk", "department_id"))
    person_days = department_days = 0
    first = start
    while first <= end:
        last = min(end, first + datetime.timedelta(days=max(1, chunk_days) - 1))
        days = [first + datetime.timedelta(days=n) for n in range((last - first).days + 1)]
        # The chunk's dirty marks first, in a short transaction of their own: a log saved
        # from here on marks its day again and the next rollup redoes it (cleared after
        # the figures were read, the mark of a log saved meanwhile would be lost). Cleared
        # inside the chunk's transaction, the ledger rows would stay locked for all of it,
        # and people saving time (whose day lock is that row) would wait. A chunk that
        # fails leaves its days unmarked: the job is retried (acks late) or run again.
        DayLedger.objects.filter(day__gte=first, day__lte=last, dirty=True).update(dirty=False)
        with transaction.atomic(), connection.cursor() as cursor:
            _begin(cursor)
            if _work_tables_allowed(cursor):
                _rebuild_chunk_postgresql(cursor, everyone, departments, first, last)
                department_days += len(departments) * len(days)
            else:  # SQLite, or a database user who may not create tables: one MERGE each
                _fill_budgets(cursor, everyone, first, last)
                _upsert_people(cursor, first, last, every_key=True)
                _upsert_spans(cursor, set(days), staff_from_keys=False)
                department_days += _upsert_departments(
                    cursor, {(d, day) for d in departments for day in days}
                )
            person_days += PersonDaySummary.objects.filter(day__gte=first, day__lte=last).count()
            # After the department-days, from which they are summed.
            _upsert_department_spans(cursor, {(d, day) for d in departments for day in days})
        first = last + datetime.timedelta(days=1)
    return {"person_days": person_days, "department_days": department_days}
