"""What each list of the API may show: the queryset form of the apps' ``can_view_*``
predicates, with the joins each serializer needs so that a list's query count does not
grow with its rows.

Each function mirrors one predicate (named in its docstring); ``tests/api`` checks that
every listed object passes that predicate and that nothing it allows is missing.
"""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from departments.models import Department, StaffProfile
from departments.roles import Role, is_admin, roles_for
from departments.selectors import active_delegators_for
from rewards.models import CreditShare, Lead, PayoutPeriod, RewardLine, Statement
from rewards.services.leads import with_net_collected
from tasks.models import (
    AssistCategory,
    BudgetExtension,
    MarketingTask,
    TaskAssignment,
    TimeLog,
)


def _supervisors(user) -> list[int]:
    """The user and the supervisors whose approvals they hold today (delegations)."""
    return [user.pk, *active_delegators_for(user=user, day=timezone.localdate())]


# --------------------------------------------------------------------------- organisation


def departments() -> QuerySet[Department]:
    """The organisation chart is open to everybody signed in (as the org chart page)."""
    return Department.objects.select_related("head").order_by("name", "pk")


def visible_profiles(*, user) -> QuerySet[StaffProfile]:
    """``departments.permissions.can_view_profile``."""
    profiles = StaffProfile.objects.select_related(
        "user", "department", "line_supervisor", "marketing_lead"
    ).order_by("employee_number", "pk")
    if is_admin(user):
        return profiles
    return profiles.filter(
        Q(user=user) | Q(line_supervisor_id__in=_supervisors(user)) | Q(marketing_lead=user)
    )


def categories() -> QuerySet[AssistCategory]:
    return AssistCategory.objects.filter(is_active=True).order_by("order", "name")


# --------------------------------------------------------------------------- assist work


def visible_logs(*, user) -> QuerySet[TimeLog]:
    """``tasks.permissions.can_view_time_log``.

    The people and the tasks are looked up first (two small queries): an OR across the
    joined profile and task tables makes PostgreSQL scan every log (seconds at two
    million), while two id lists let it use the indexes on ``staff`` and ``task``."""
    logs = TimeLog.objects.select_related(
        "staff", "staff__user", "decided_by", "outcome_by"
    ).order_by("-day", "-pk")
    if is_admin(user):
        return logs
    staff_ids = list(
        StaffProfile.objects.filter(
            Q(user=user) | Q(line_supervisor_id__in=_supervisors(user)) | Q(marketing_lead=user)
        ).values_list("pk", flat=True)
    )
    task_ids = list(MarketingTask.objects.filter(created_by=user).values_list("pk", flat=True))
    return logs.filter(Q(staff_id__in=staff_ids) | Q(task_id__in=task_ids))


def visible_extensions(*, user) -> QuerySet[BudgetExtension]:
    """``tasks.permissions.can_view_extension``."""
    extensions = BudgetExtension.objects.select_related("staff", "decided_by").order_by(
        "-day", "-pk"
    )
    if is_admin(user):
        return extensions
    return extensions.filter(
        Q(staff__user=user) | Q(staff__line_supervisor_id__in=_supervisors(user))
    )


def task_assignments() -> Prefetch:
    return Prefetch(
        "assignments",
        queryset=TaskAssignment.objects.select_related("assignee", "assignee__profile").order_by(
            "pk"
        ),
    )


def visible_tasks(*, user) -> QuerySet[MarketingTask]:
    """``tasks.permissions.can_view_task``."""
    tasks = (
        MarketingTask.objects.select_related("created_by")
        .prefetch_related(task_assignments())
        .order_by("due_date", "pk")
    )
    if is_admin(user):
        return tasks
    assignments = TaskAssignment.objects.filter(task=OuterRef("pk"))
    return tasks.filter(
        Q(created_by=user)
        | Exists(assignments.filter(assignee=user))
        | Exists(assignments.filter(assignee__profile__line_supervisor_id__in=_supervisors(user)))
    )


# --------------------------------------------------------------------------- rewards


def visible_leads(*, user) -> QuerySet[Lead]:
    """``rewards.permissions.can_view_lead``; each lead with ``net_collected``."""
    leads = with_net_collected(
        Lead.objects.select_related("introducer", "marketing_lead").order_by("-created_at", "-pk")
    )
    if is_admin(user):
        return leads
    return leads.filter(
        Q(introducer__user=user)
        | Q(marketing_lead=user)
        | Q(introducer__line_supervisor_id__in=_supervisors(user))
        | Exists(CreditShare.objects.filter(lead=OuterRef("pk"), staff__user=user))
    )


def _visible_statement_filter(user) -> Q | None:
    """``rewards.permissions.can_view_statement`` as a filter on statements (None: all)."""
    roles = roles_for(user)
    if Role.ADMIN in roles:
        return None
    condition = (
        Q(staff__user=user)
        | Q(staff__marketing_lead=user)
        | Q(staff__line_supervisor_id__in=_supervisors(user))
    )
    if Role.FINANCE in roles:
        condition |= Q(period__status__in=(PayoutPeriod.Status.APPROVED, PayoutPeriod.Status.PAID))
    return condition


def visible_statements(*, user) -> QuerySet[Statement]:
    statements = (
        Statement.objects.select_related("staff", "period", "recommended_by", "approved_by")
        .prefetch_related(
            Prefetch("lines", queryset=RewardLine.objects.order_by("pk")),
        )
        .order_by("-period__start_date", "staff__employee_number", "pk")
    )
    condition = _visible_statement_filter(user)
    return statements if condition is None else statements.filter(condition)


def visible_reward_lines(*, user) -> QuerySet[RewardLine]:
    lines = RewardLine.objects.select_related("statement", "statement__period").order_by(
        "-statement__period__start_date", "statement_id", "pk"
    )
    condition = _visible_statement_filter(user)
    if condition is None:
        return lines
    return lines.filter(statement__in=Statement.objects.filter(condition))


def periods() -> QuerySet[PayoutPeriod]:
    """Every period (a month and its state) with its statements counted by status."""
    counts = {
        f"count_{status}": Count("statements", filter=Q(statements__status=status))
        for status in Statement.Status.values
    }
    return PayoutPeriod.objects.annotate(statements_count=Count("statements"), **counts).order_by(
        "-start_date"
    )
