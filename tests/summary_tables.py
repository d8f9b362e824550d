"""Whole summary tables as comparable values — every figure, no ids or timestamps — for
the tests that compare one way of computing the summaries with another (a rollup with a
rebuild, concurrent runs with one run, a crashed run with a clean one)."""

from __future__ import annotations

from tasks.models import (
    DepartmentDaySummary,
    DepartmentSpanSummary,
    PersonDaySummary,
    PersonMonthSummary,
)
from tasks.summaries import SPANS

# The models' own figures, not the summaries code's lists of them: a figure that code
# forgot would still be compared (and differ).
NOT_FIGURES = {"id", "computed_at"}


def _figures(model, *keys: str) -> list[str]:
    return [
        field.attname
        for field in model._meta.concrete_fields
        if field.attname not in NOT_FIGURES and field.name not in keys
    ]


PERSON_FIELDS = _figures(PersonDaySummary, "staff", "day")
DEPARTMENT_FIELDS = _figures(DepartmentDaySummary, "department", "day")
SPAN_VALUES = _figures(PersonMonthSummary, "staff", "month")
DEPARTMENT_SPAN_FIELDS = _figures(DepartmentSpanSummary, "department", "span", "start")


def person_days() -> list[tuple]:
    return list(
        PersonDaySummary.objects.order_by("staff_id", "day").values_list(
            "staff_id",
            "day",
            *PERSON_FIELDS,
        )
    )


def department_days() -> list[tuple]:
    return list(
        DepartmentDaySummary.objects.order_by("department_id", "day").values_list(
            "department_id", "day", *DEPARTMENT_FIELDS
        )
    )


def person_spans() -> list[list[tuple]]:
    """The person-months, then the person-weeks."""
    return [
        list(
            model.objects.order_by("staff_id", column).values_list("staff_id", column, *SPAN_VALUES)
        )
        for model, column, _start, _end in SPANS
    ]


def department_spans() -> list[tuple]:
    return list(
        DepartmentSpanSummary.objects.order_by("department_id", "span", "start").values_list(
            "department_id", "span", "start", *DEPARTMENT_SPAN_FIELDS
        )
    )


def summary_tables() -> tuple[list[tuple], list[tuple]]:
    """The person-days and the department-days."""
    return person_days(), department_days()


def every_summary() -> tuple:
    """Person-days, department-days, person-spans and department-spans."""
    return person_days(), department_days(), person_spans(), department_spans()
