"""Query filters of the lists: ``status``, date ranges (``date_after`` / ``date_before``),
the person (``staff``, a staff profile id) and ``department``; ``ordering`` is DRF's."""

from __future__ import annotations

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from departments.models import Department, StaffProfile
from rewards.models import Lead, PayoutPeriod, RewardLine, Statement
from tasks.models import BudgetExtension, MarketingTask, TimeLog

MAX_ID = 2**63 - 1  # the largest primary key the databases hold


class IdFilter(django_filters.NumberFilter):
    """A whole-number id: a value no database could hold is a 400, not a crash."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class _PersonFilterSet(django_filters.FilterSet):
    staff = IdFilter(field_name="staff_id", label=_("person (staff id)"))
    department = IdFilter(field_name="staff__department_id", label=_("department id"))


class DepartmentFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=Department.Kind.choices)
    parent = IdFilter(field_name="parent_id", label=_("parent department id"))

    class Meta:
        model = Department
        fields = ["kind", "parent"]


class StaffFilter(django_filters.FilterSet):
    department = IdFilter(field_name="department_id", label=_("department id"))
    line_supervisor = django_filters.CharFilter(
        field_name="line_supervisor__username", label=_("line supervisor (username)")
    )
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = StaffProfile
        fields = ["department", "line_supervisor", "is_active"]


class TimeLogFilter(_PersonFilterSet):
    status = django_filters.ChoiceFilter(choices=TimeLog.Status.choices)
    date = django_filters.DateFromToRangeFilter(field_name="day", label=_("date range"))
    category = IdFilter(field_name="category_id", label=_("category id"))
    task = IdFilter(field_name="task_id", label=_("task id"))

    class Meta:
        model = TimeLog
        fields = ["status", "date", "staff", "department", "category", "task"]


class ExtensionFilter(_PersonFilterSet):
    status = django_filters.ChoiceFilter(choices=BudgetExtension.Status.choices)
    date = django_filters.DateFromToRangeFilter(field_name="day", label=_("date range"))

    class Meta:
        model = BudgetExtension
        fields = ["status", "date", "staff", "department"]


class TaskFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=MarketingTask.Status.choices)
    due_date = django_filters.DateFromToRangeFilter(label=_("due date range"))
    staff = IdFilter(
        field_name="assignments__assignee__profile",
        label=_("assignee (staff id)"),
        distinct=True,
    )
    category = IdFilter(field_name="category_id", label=_("category id"))

    class Meta:
        model = MarketingTask
        fields = ["status", "due_date", "staff", "category"]


class LeadFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Lead.Status.choices)
    claim_status = django_filters.ChoiceFilter(choices=Lead.Claim.choices)
    created = django_filters.DateFromToRangeFilter(
        field_name="created_at__date", label=_("introduction date range")
    )
    staff = IdFilter(field_name="introducer_id", label=_("introducer (staff id)"))
    department = IdFilter(field_name="introducer__department_id", label=_("department id"))

    class Meta:
        model = Lead
        fields = ["status", "claim_status", "created", "staff", "department"]


class StatementFilter(_PersonFilterSet):
    status = django_filters.ChoiceFilter(choices=Statement.Status.choices)
    period = IdFilter(field_name="period_id", label=_("payout period id"))

    class Meta:
        model = Statement
        fields = ["status", "period", "staff", "department"]


class RewardLineFilter(django_filters.FilterSet):
    source = django_filters.ChoiceFilter(choices=RewardLine.Source.choices)
    status = django_filters.ChoiceFilter(
        field_name="statement__status", choices=Statement.Status.choices
    )
    period = IdFilter(field_name="statement__period_id", label=_("payout period id"))
    statement = IdFilter(field_name="statement_id", label=_("statement id"))
    staff = IdFilter(field_name="statement__staff_id", label=_("person (staff id)"))
    department = IdFilter(field_name="statement__staff__department_id", label=_("department id"))

    class Meta:
        model = RewardLine
        fields = ["source", "status", "period", "statement", "staff", "department"]


class PayoutPeriodFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=PayoutPeriod.Status.choices)
    start_date = django_filters.DateFromToRangeFilter(label=_("first day range"))

    class Meta:
        model = PayoutPeriod
        fields = ["status", "start_date"]
