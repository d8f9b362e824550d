"""Who may do what with assist work. Pure predicates plus ``get_*_for_user`` helpers
that answer 404 for what the user may not even see and 403 for what they may see but
not change."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from departments.models import StaffProfile
from departments.permissions import is_line_supervisor_of
from departments.roles import Role, is_admin, roles_for
from departments.selectors import active_delegators_for


def _profile_of(user):
    try:
        return user.profile
    except (StaffProfile.DoesNotExist, AttributeError):
        return None


# --- time logs --------------------------------------------------------------


def can_log_time(user) -> bool:
    profile = _profile_of(user)
    return bool(profile and profile.is_active and Role.STAFF in roles_for(user))


def can_view_time_log(user, log) -> bool:
    if not user.is_authenticated:
        return False
    staff = log.staff
    return (
        staff.user_id == user.pk
        or is_admin(user)
        or staff.line_supervisor_id == user.pk
        or staff.marketing_lead_id == user.pk
        or (log.task_id is not None and log.task.created_by_id == user.pk)
        or is_line_supervisor_of(user, staff)
    )


def can_change_time_log(user, log) -> bool:
    """Only the owner changes their own entries (the service adds status and date rules)."""
    return user.is_authenticated and log.staff.user_id == user.pk


def can_approve_time(user, log) -> bool:
    """Rule 3: the line supervisor or their active delegate; never one's own records."""
    return (
        user.is_authenticated
        and log.staff.user_id != user.pk
        and is_line_supervisor_of(user, log.staff, day=timezone.localdate())
    )


def can_review_outcome(user, log) -> bool:
    """The marketing lead who owns the task the time was logged on."""
    return (
        user.is_authenticated
        and log.task_id is not None
        and log.task.created_by_id == user.pk
        and log.staff.user_id != user.pk
    )


def can_use_approval_queue(user) -> bool:
    """Line supervisors and active delegates; each entry is still checked on its own."""
    return Role.LINE_SUPERVISOR in roles_for(user)


def can_use_outcome_queue(user) -> bool:
    return Role.MARKETING_LEAD in roles_for(user)


def get_time_log_for_user(user, pk: int, *, for_change: bool = False):
    from tasks.models import TimeLog

    log = (
        TimeLog.objects.select_related(
            "staff", "staff__user", "category", "task", "decided_by", "outcome_by"
        )
        .filter(pk=pk)
        .first()
    )
    if log is None or not can_view_time_log(user, log):
        raise Http404
    if for_change and not can_change_time_log(user, log):
        raise PermissionDenied
    return log


# --- extensions -------------------------------------------------------------


def can_view_extension(user, extension) -> bool:
    staff = extension.staff
    return (
        staff.user_id == user.pk
        or is_admin(user)
        or staff.line_supervisor_id == user.pk
        or is_line_supervisor_of(user, staff)
    )


def can_decide_extension(user, extension) -> bool:
    return extension.staff.user_id != user.pk and is_line_supervisor_of(user, extension.staff)


def get_extension_for_user(user, pk: int, *, for_decision: bool = False):
    from tasks.models import BudgetExtension

    extension = (
        BudgetExtension.objects.select_related("staff", "staff__user", "decided_by")
        .filter(pk=pk)
        .first()
    )
    if extension is None or not can_view_extension(user, extension):
        raise Http404
    if for_decision and not can_decide_extension(user, extension):
        raise PermissionDenied
    return extension


# --- marketing tasks --------------------------------------------------------


def can_create_task(user) -> bool:
    return Role.MARKETING_LEAD in roles_for(user)


def can_open_task_board(user) -> bool:
    """The marketing leads' board of their tasks; admins see every lead's."""
    return can_create_task(user) or Role.ADMIN in roles_for(user)


def can_be_assigned(user) -> bool:
    profile = _profile_of(user)
    return bool(
        user.is_active and profile and profile.is_active and not profile.department.is_marketing
    )


def can_manage_task(user, task) -> bool:
    return task.created_by_id == user.pk or is_admin(user)


def is_assignee(user, task) -> bool:
    return task.assignments.filter(assignee_id=user.pk).exists()


def can_view_task(user, task) -> bool:
    if not user.is_authenticated:
        return False
    return (
        can_manage_task(user, task)
        or is_assignee(user, task)
        or task.assignments.filter(
            assignee__profile__line_supervisor_id__in=[
                user.pk,
                *active_delegators_for(user=user, day=timezone.localdate()),
            ]
        ).exists()
    )


def can_comment_task(user, task) -> bool:
    return can_manage_task(user, task) or is_assignee(user, task)


def get_task_for_user(user, pk: int, *, for_change: bool = False):
    from tasks.models import MarketingTask

    task = MarketingTask.objects.select_related("category", "created_by").filter(pk=pk).first()
    if task is None or not can_view_task(user, task):
        raise Http404
    if for_change and not can_manage_task(user, task):
        raise PermissionDenied
    return task


def get_assignment_for_user(user, pk: int):
    from tasks.models import TaskAssignment

    assignment = TaskAssignment.objects.select_related("task").filter(pk=pk).first()
    if assignment is None or not can_view_task(user, assignment.task):
        raise Http404
    if assignment.assignee_id != user.pk:
        raise PermissionDenied
    return assignment


# --- dashboards and jobs ------------------------------------------------------


def can_view_my_dashboard(user) -> bool:
    return Role.STAFF in roles_for(user)


def can_view_team_dashboard(user) -> bool:
    """Line supervisors and the active delegates of one."""
    return Role.LINE_SUPERVISOR in roles_for(user)


def can_view_marketing_dashboard(user) -> bool:
    roles = roles_for(user)
    return Role.MARKETING_LEAD in roles or Role.ADMIN in roles


def marketing_dashboard_covers_everyone(user) -> bool:
    """A marketing lead sees the tasks they created; an admin who leads none sees all."""
    return Role.MARKETING_LEAD not in roles_for(user)


def can_view_org_dashboard(user) -> bool:
    roles = roles_for(user)
    return Role.ADMIN in roles or Role.FINANCE in roles


def can_view_department_dashboard(user) -> bool:
    return Role.ADMIN in roles_for(user)


def can_run_jobs(user) -> bool:
    return Role.ADMIN in roles_for(user)
