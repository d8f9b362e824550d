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
from collections import defaultdict
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Count, Max, Min, Q, Sum

from departments.models import Department, StaffProfile
from tasks.models import (
    BudgetExtension,
    DayLedger,
    DepartmentDaySummary,
    PersonDaySummary,
    TimeLog,
)
from tasks.selectors import budgets_for_people_and_days

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


def _person_rows(keys: set[tuple[int, datetime.date]]) -> list[PersonDaySummary]:
    if not keys:
        return []
    staff_ids = {staff_id for staff_id, _day in keys}
    days = {day for _staff, day in keys}
    profiles = {
        profile.pk: profile
        for profile in StaffProfile.objects.filter(pk__in=staff_ids).only("pk", "department_id")
    }
    budgets = budgets_for_people_and_days(people=profiles.values(), days=days)
    extensions: dict[tuple[int, datetime.date], int] = defaultdict(int)
    for row in (
        BudgetExtension.objects.filter(
            staff_id__in=staff_ids, day__in=days, status=BudgetExtension.Status.GRANTED
        )
        .values("staff_id", "day")
        .annotate(total=Sum("minutes"))
    ):
        extensions[(row["staff_id"], row["day"])] = row["total"]
    figures: dict[tuple[int, datetime.date], dict] = {
        key: {"submitted": 0, "approved": 0, "rejected": 0, "entries": 0, "outcomes": 0, "cats": {}}
        for key in keys
    }
    for row in (
        TimeLog.objects.filter(staff_id__in=staff_ids, day__in=days)
        .values("staff_id", "day", "status", "category_id")
        .annotate(
            total=Sum("minutes"),
            entries=Count("pk"),
            outcomes=Count("pk", filter=Q(outcome_status=TimeLog.OutcomeStatus.CONFIRMED)),
        )
    ):
        key = (row["staff_id"], row["day"])
        if key not in figures:
            continue
        entry = figures[key]
        entry[row["status"]] += row["total"]
        entry["entries"] += row["entries"]
        entry["outcomes"] += row["outcomes"]
        if row["status"] != TimeLog.Status.REJECTED:
            category = str(row["category_id"])
            entry["cats"][category] = entry["cats"].get(category, 0) + row["total"]
    rows = []
    for (staff_id, day), entry in figures.items():
        profile = profiles.get(staff_id)
        if profile is None:
            continue
        rows.append(
            PersonDaySummary(
                staff_id=staff_id,
                day=day,
                department_id=profile.department_id,
                budget_minutes=budgets.get((staff_id, day), 0),
                extension_minutes=extensions.get((staff_id, day), 0),
                submitted_minutes=entry["submitted"],
                approved_minutes=entry["approved"],
                rejected_minutes=entry["rejected"],
                entries=entry["entries"],
                outcomes_confirmed=entry["outcomes"],
                minutes_by_category=dict(sorted(entry["cats"].items())),
            )
        )
    return rows


def _eligible_people() -> dict[int, list[StaffProfile]]:
    """Active people of non-marketing departments, by department."""
    eligible: dict[int, list[StaffProfile]] = defaultdict(list)
    for profile in StaffProfile.objects.filter(
        is_active=True, department__kind=Department.Kind.NON_MARKETING
    ).only("pk", "department_id"):
        eligible[profile.department_id].append(profile)
    return eligible


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


def _department_rows(
    keys: set[tuple[int, datetime.date]], eligible: dict[int, list[StaffProfile]]
) -> list[DepartmentDaySummary]:
    if not keys:
        return []
    _lock_departments(keys)
    department_ids = {department_id for department_id, _day in keys}
    days = {day for _department, day in keys}
    people = [p for department_id in department_ids for p in eligible.get(department_id, [])]
    budgets = budgets_for_people_and_days(people=people, days=days) if people else {}
    totals: dict[tuple[int, datetime.date], dict] = {
        key: {"submitted": 0, "approved": 0, "rejected": 0, "logged": 0, "cats": defaultdict(int)}
        for key in keys
    }
    for summary in PersonDaySummary.objects.filter(
        department_id__in=department_ids, day__in=days
    ).only(
        "department_id",
        "day",
        "submitted_minutes",
        "approved_minutes",
        "rejected_minutes",
        "minutes_by_category",
    ):
        key = (summary.department_id, summary.day)
        if key not in totals:
            continue
        entry = totals[key]
        entry["submitted"] += summary.submitted_minutes
        entry["approved"] += summary.approved_minutes
        entry["rejected"] += summary.rejected_minutes
        if summary.submitted_minutes + summary.approved_minutes > 0:
            entry["logged"] += 1
        for category, minutes in summary.minutes_by_category.items():
            entry["cats"][category] += minutes
    rows = []
    for (department_id, day), entry in totals.items():
        members = eligible.get(department_id, [])
        rows.append(
            DepartmentDaySummary(
                department_id=department_id,
                day=day,
                eligible_people=len(members),
                people_logged=entry["logged"],
                budget_minutes=sum(budgets.get((p.pk, day), 0) for p in members),
                submitted_minutes=entry["submitted"],
                approved_minutes=entry["approved"],
                rejected_minutes=entry["rejected"],
                minutes_by_category=dict(sorted(entry["cats"].items())),
            )
        )
    return rows


def _upsert_people(rows: list[PersonDaySummary]) -> None:
    PersonDaySummary.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["staff", "day"],
        update_fields=[*PERSON_FIELDS, "computed_at"],
        batch_size=BATCH,
    )


def _upsert_departments(rows: list[DepartmentDaySummary]) -> None:
    DepartmentDaySummary.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["department", "day"],
        update_fields=[*DEPARTMENT_FIELDS, "computed_at"],
        batch_size=BATCH,
    )


def summaries_rollup(*, days: Iterable[datetime.date] = ()) -> dict[str, int]:
    """Roll up every dirty person-day, and recompute ``days`` (e.g. yesterday) in full
    for every department, so that days without any log still count who was eligible."""
    eligible = _eligible_people()
    people_done = 0
    department_keys: set[tuple[int, datetime.date]] = set()
    while True:
        with transaction.atomic():
            claimed = list(
                DayLedger.objects.select_for_update(skip_locked=True)
                .filter(dirty=True)
                .order_by("day", "staff_id")
                .values_list("pk", "staff_id", "day")[:BATCH]
            )
            if not claimed:
                break
            rows = _person_rows({(staff_id, day) for _pk, staff_id, day in claimed})
            _upsert_people(rows)
            DayLedger.objects.filter(pk__in=[pk for pk, _s, _d in claimed]).update(dirty=False)
            batch_departments = {(row.department_id, row.day) for row in rows}
            _upsert_departments(_department_rows(batch_departments, eligible))
            department_keys |= batch_departments
            people_done += len(rows)
    full_days = sorted(set(days))
    if full_days:
        with transaction.atomic():
            keys = set(DayLedger.objects.filter(day__in=full_days).values_list("staff_id", "day"))
            _upsert_people(_person_rows(keys))
            all_departments = {
                (department_id, day)
                for department_id in Department.objects.filter(
                    kind=Department.Kind.NON_MARKETING
                ).values_list("pk", flat=True)
                for day in full_days
            }
            _upsert_departments(_department_rows(all_departments, eligible))
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
    eligible = _eligible_people()
    departments = list(
        Department.objects.filter(kind=Department.Kind.NON_MARKETING).values_list("pk", flat=True)
    )
    person_days = department_days = 0
    month_start = start
    while month_start <= end:
        next_month = (month_start.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)
        month_end = min(end, next_month - datetime.timedelta(days=1))
        with transaction.atomic():
            keys = set(
                TimeLog.objects.filter(day__gte=month_start, day__lte=month_end)
                .values_list("staff_id", "day")
                .distinct()
            ) | set(
                DayLedger.objects.filter(day__gte=month_start, day__lte=month_end).values_list(
                    "staff_id", "day"
                )
            )
            ordered = sorted(keys, key=lambda key: (key[1], key[0]))
            for index in range(0, len(ordered), BATCH * 10):
                _upsert_people(_person_rows(set(ordered[index : index + BATCH * 10])))
            days = [
                month_start + datetime.timedelta(days=n)
                for n in range((month_end - month_start).days + 1)
            ]
            department_keys = {(d, day) for d in departments for day in days}
            _upsert_departments(_department_rows(department_keys, eligible))
            DayLedger.objects.filter(day__gte=month_start, day__lte=month_end, dirty=True).update(
                dirty=False
            )
        person_days += len(keys)
        department_days += len(department_keys)
        month_start = next_month
    return {"person_days": person_days, "department_days": department_days}
