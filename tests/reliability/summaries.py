"""Whole summary tables as comparable values (everything but ids and timestamps)."""

from __future__ import annotations

from tasks.models import DepartmentDaySummary, PersonDaySummary
from tasks.summaries import DEPARTMENT_FIELDS, PERSON_FIELDS


def summary_tables() -> tuple[list[tuple], list[tuple]]:
    people = [
        tuple(row)
        for row in PersonDaySummary.objects.order_by("staff_id", "day").values_list(
            "staff_id",
            "day",
            *(f"{name}_id" if name == "department" else name for name in PERSON_FIELDS),
        )
    ]
    departments = [
        tuple(row)
        for row in DepartmentDaySummary.objects.order_by("department_id", "day").values_list(
            "department_id", "day", *DEPARTMENT_FIELDS
        )
    ]
    return people, departments
