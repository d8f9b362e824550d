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
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Max, Min
from django.utils import timezone

from departments.models import Department, StaffProfile
from tasks.models import (
    BudgetExtension,
    DayLedger,
    DepartmentDaySummary,
    PersonDaySummary,
    TimeLog,
)
from tasks.selectors import budget_segments

BATCH = 500
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
TEMP_TABLES = {
    KEYS: "staff_id integer NOT NULL, day date NOT NULL",
    DEPARTMENT_KEYS: "department_id integer NOT NULL, day date NOT NULL",
    BUDGETS: "staff_id integer NOT NULL, first_day date NOT NULL, "
    "last_day date NOT NULL, minutes integer NOT NULL",
}
VALUES_PER_INSERT = 250


def _vendor_sql() -> dict[str, str]:
    if connection.vendor == "postgresql":
        return {
            "object_agg": "jsonb_object_agg",
            "empty": "'{}'::jsonb",
            "category": "CAST(l.category_id AS text)",
        }
    return {
        "object_agg": "json_group_object",
        "empty": "'{}'",
        "category": "CAST(l.category_id AS TEXT)",
    }


def _temp_table(cursor, name: str) -> None:
    cursor.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS {name} ({TEMP_TABLES[name]})")
    cursor.execute(f"DELETE FROM {name}")  # noqa: S608 - fixed names


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


def _fill_budgets(
    cursor, people: Iterable[StaffProfile], first: datetime.date, last: datetime.date
) -> None:
    _fill(cursor, BUDGETS, budget_segments(people=people, start=first, end=last))


def _analyze(cursor, name: str) -> None:
    """Give PostgreSQL's planner the size of a freshly filled temporary table (it has no
    statistics otherwise, and would guess badly for hundreds of thousands of keys)."""
    if connection.vendor == "postgresql":
        cursor.execute(f"ANALYZE {name}")


def _upsert_people_from_keys(cursor, first: datetime.date, last: datetime.date) -> None:
    """Recompute the person-days in the keys table (all within first..last). Rows
    whose figures did not change are not written (``computed_at`` is when a row last
    changed), so a repair over correct summaries costs little more than reading."""
    sql = _vendor_sql()
    person = PersonDaySummary._meta.db_table
    cursor.execute(
        f"""
        WITH logs AS (
            SELECT l.staff_id, l.day,
                SUM(CASE WHEN l.status = %(submitted)s THEN l.minutes ELSE 0 END) AS submitted,
                SUM(CASE WHEN l.status = %(approved)s THEN l.minutes ELSE 0 END) AS approved,
                SUM(CASE WHEN l.status = %(rejected)s THEN l.minutes ELSE 0 END) AS rejected,
                COUNT(*) AS entries,
                SUM(CASE WHEN l.outcome_status = %(confirmed)s THEN 1 ELSE 0 END) AS outcomes
            FROM {TimeLog._meta.db_table} l
            JOIN {KEYS} k ON k.staff_id = l.staff_id AND k.day = l.day
            WHERE l.day BETWEEN %(first)s AND %(last)s
            GROUP BY l.staff_id, l.day
        ), categories AS (
            SELECT staff_id, day, {sql["object_agg"]}(category, total) AS by_category
            FROM (
                SELECT l.staff_id, l.day, {sql["category"]} AS category, SUM(l.minutes) AS total
                FROM {TimeLog._meta.db_table} l
                JOIN {KEYS} k ON k.staff_id = l.staff_id AND k.day = l.day
                WHERE l.day BETWEEN %(first)s AND %(last)s AND l.status <> %(rejected)s
                GROUP BY l.staff_id, l.day, l.category_id
            ) c
            GROUP BY staff_id, day
        ), extensions AS (
            SELECT e.staff_id, e.day, SUM(e.minutes) AS total
            FROM {BudgetExtension._meta.db_table} e
            JOIN {KEYS} k ON k.staff_id = e.staff_id AND k.day = e.day
            WHERE e.day BETWEEN %(first)s AND %(last)s AND e.status = %(granted)s
            GROUP BY e.staff_id, e.day
        )
        INSERT INTO {person} (
            staff_id, day, department_id, budget_minutes, extension_minutes,
            submitted_minutes, approved_minutes, rejected_minutes, entries,
            outcomes_confirmed, minutes_by_category, computed_at
        )
        SELECT k.staff_id, k.day, p.department_id, COALESCE(b.minutes, 0),
            COALESCE(e.total, 0), COALESCE(l.submitted, 0), COALESCE(l.approved, 0),
            COALESCE(l.rejected, 0), COALESCE(l.entries, 0), COALESCE(l.outcomes, 0),
            COALESCE(c.by_category, {sql["empty"]}), %(now)s
        FROM {KEYS} k
        JOIN {StaffProfile._meta.db_table} p ON p.id = k.staff_id
        LEFT JOIN logs l ON l.staff_id = k.staff_id AND l.day = k.day
        LEFT JOIN categories c ON c.staff_id = k.staff_id AND c.day = k.day
        LEFT JOIN extensions e ON e.staff_id = k.staff_id AND e.day = k.day
        LEFT JOIN {BUDGETS} b
            ON b.staff_id = k.staff_id AND k.day BETWEEN b.first_day AND b.last_day
        WHERE TRUE
        ON CONFLICT (staff_id, day) DO UPDATE SET
            department_id = excluded.department_id,
            budget_minutes = excluded.budget_minutes,
            extension_minutes = excluded.extension_minutes,
            submitted_minutes = excluded.submitted_minutes,
            approved_minutes = excluded.approved_minutes,
            rejected_minutes = excluded.rejected_minutes,
            entries = excluded.entries,
            outcomes_confirmed = excluded.outcomes_confirmed,
            minutes_by_category = excluded.minutes_by_category,
            computed_at = excluded.computed_at
        WHERE {person}.department_id <> excluded.department_id
            OR {person}.budget_minutes <> excluded.budget_minutes
            OR {person}.extension_minutes <> excluded.extension_minutes
            OR {person}.submitted_minutes <> excluded.submitted_minutes
            OR {person}.approved_minutes <> excluded.approved_minutes
            OR {person}.rejected_minutes <> excluded.rejected_minutes
            OR {person}.entries <> excluded.entries
            OR {person}.outcomes_confirmed <> excluded.outcomes_confirmed
            OR {person}.minutes_by_category <> excluded.minutes_by_category
        """,  # noqa: S608 - table names from the models, values bound
        {
            "submitted": TimeLog.Status.SUBMITTED,
            "approved": TimeLog.Status.APPROVED,
            "rejected": TimeLog.Status.REJECTED,
            "confirmed": TimeLog.OutcomeStatus.CONFIRMED,
            "granted": BudgetExtension.Status.GRANTED,
            "first": first,
            "last": last,
            "now": timezone.now(),
        },
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
        batch_size=BATCH,
    )
    list(
        DepartmentDaySummary.objects.select_for_update()
        .filter(department_id__in={d for d, _day in ordered}, day__in={day for _d, day in ordered})
        .order_by("department_id", "day")
        .values_list("pk", flat=True)
    )


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
    department = DepartmentDaySummary._meta.db_table
    cursor.execute(
        f"""
        WITH eligible AS (
            SELECT k.department_id, k.day, COUNT(p.id) AS people,
                COALESCE(SUM(b.minutes), 0) AS budget
            FROM {DEPARTMENT_KEYS} k
            JOIN {StaffProfile._meta.db_table} p ON p.department_id = k.department_id
            LEFT JOIN {BUDGETS} b
                ON b.staff_id = p.id AND k.day BETWEEN b.first_day AND b.last_day
            WHERE p.is_active
            GROUP BY k.department_id, k.day
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
            SELECT department_id, day, {sql["object_agg"]}(category, total) AS by_category
            FROM (
                SELECT s.department_id, s.day, {sql["category"]} AS category,
                    SUM(l.minutes) AS total
                FROM {PersonDaySummary._meta.db_table} s
                JOIN {DEPARTMENT_KEYS} k ON k.department_id = s.department_id AND k.day = s.day
                JOIN {TimeLog._meta.db_table} l ON l.staff_id = s.staff_id AND l.day = s.day
                WHERE s.day BETWEEN %(first)s AND %(last)s
                    AND l.day BETWEEN %(first)s AND %(last)s AND l.status <> %(rejected)s
                GROUP BY s.department_id, s.day, l.category_id
            ) c
            GROUP BY department_id, day
        )
        INSERT INTO {department} (
            department_id, day, eligible_people, people_logged, budget_minutes,
            submitted_minutes, approved_minutes, rejected_minutes, minutes_by_category,
            computed_at
        )
        SELECT k.department_id, k.day, COALESCE(e.people, 0), COALESCE(p.logged, 0),
            COALESCE(e.budget, 0), COALESCE(p.submitted, 0), COALESCE(p.approved, 0),
            COALESCE(p.rejected, 0), COALESCE(c.by_category, {sql["empty"]}), %(now)s
        FROM {DEPARTMENT_KEYS} k
        LEFT JOIN eligible e ON e.department_id = k.department_id AND e.day = k.day
        LEFT JOIN people p ON p.department_id = k.department_id AND p.day = k.day
        LEFT JOIN categories c ON c.department_id = k.department_id AND c.day = k.day
        WHERE TRUE
        ON CONFLICT (department_id, day) DO UPDATE SET
            eligible_people = excluded.eligible_people,
            people_logged = excluded.people_logged,
            budget_minutes = excluded.budget_minutes,
            submitted_minutes = excluded.submitted_minutes,
            approved_minutes = excluded.approved_minutes,
            rejected_minutes = excluded.rejected_minutes,
            minutes_by_category = excluded.minutes_by_category,
            computed_at = excluded.computed_at
        WHERE {department}.eligible_people <> excluded.eligible_people
            OR {department}.people_logged <> excluded.people_logged
            OR {department}.budget_minutes <> excluded.budget_minutes
            OR {department}.submitted_minutes <> excluded.submitted_minutes
            OR {department}.approved_minutes <> excluded.approved_minutes
            OR {department}.rejected_minutes <> excluded.rejected_minutes
            OR {department}.minutes_by_category <> excluded.minutes_by_category
        """,  # noqa: S608 - table names from the models, values bound
        {
            "rejected": TimeLog.Status.REJECTED,
            "first": first,
            "last": last,
            "now": timezone.now(),
        },
    )
    return len(keys)


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
    _upsert_people_from_keys(cursor, first, last)
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
                .values_list("pk", "staff_id", "day")[:BATCH]
            )
            if not claimed:
                break
            keys = {(staff_id, day) for _pk, staff_id, day in claimed}
            batch_departments = _recompute_people(cursor, keys)
            DayLedger.objects.filter(pk__in=[pk for pk, _s, _d in claimed]).update(dirty=False)
            _upsert_departments(cursor, batch_departments)
            department_keys |= batch_departments
            people_done += len(keys)
    full_days = sorted(set(days))
    if full_days:
        with transaction.atomic(), connection.cursor() as cursor:
            keys = set(DayLedger.objects.filter(day__in=full_days).values_list("staff_id", "day"))
            _recompute_people(cursor, keys)
            all_departments = {
                (department_id, day)
                for department_id in Department.objects.filter(
                    kind=Department.Kind.NON_MARKETING
                ).values_list("pk", flat=True)
                for day in full_days
            }
            _upsert_departments(cursor, all_departments)
            people_done += len(keys)
            department_keys |= all_departments
    return {"person_days": people_done, "department_days": len(department_keys)}


def summaries_rebuild(
    *, start: datetime.date | None = None, end: datetime.date | None = None
) -> dict[str, int]:
    """Repair: recompute every person-day and department-day in the range from the raw
    logs (all of history by default), month by month, and clear the dirty marks."""
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
    month_start = start
    while month_start <= end:
        next_month = (month_start.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)
        month_end = min(end, next_month - datetime.timedelta(days=1))
        with transaction.atomic(), connection.cursor() as cursor:
            _temp_table(cursor, KEYS)
            cursor.execute(
                f"""
                INSERT INTO {KEYS} (staff_id, day)
                SELECT staff_id, day FROM {TimeLog._meta.db_table}
                WHERE day BETWEEN %(first)s AND %(last)s
                UNION
                SELECT staff_id, day FROM {DayLedger._meta.db_table}
                WHERE day BETWEEN %(first)s AND %(last)s
                """,  # noqa: S608 - table names from the models, values bound
                {"first": month_start, "last": month_end},
            )
            person_days += cursor.rowcount
            _analyze(cursor, KEYS)
            _fill_budgets(cursor, everyone, month_start, month_end)
            _upsert_people_from_keys(cursor, month_start, month_end)
            days = [
                month_start + datetime.timedelta(days=n)
                for n in range((month_end - month_start).days + 1)
            ]
            department_days += _upsert_departments(
                cursor, {(d, day) for d in departments for day in days}
            )
            DayLedger.objects.filter(day__gte=month_start, day__lte=month_end, dirty=True).update(
                dirty=False
            )
        month_start = next_month
    return {"person_days": person_days, "department_days": department_days}
