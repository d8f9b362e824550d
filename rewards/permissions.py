"""Who may see and do what with leads, statements and payouts (pure predicates and
``get_*_for_user`` helpers giving 404 / 403)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from departments.permissions import is_line_supervisor_of
from departments.roles import Role, get_profile, is_admin, roles_for

# --- leads ------------------------------------------------------------------


def can_introduce_lead(user) -> bool:
    """Active non-marketing staff introduce clients (marketing does not refer to itself)."""
    profile = get_profile(user)
    return bool(user.is_active and profile and profile.is_active and Role.STAFF in roles_for(user))


def can_view_lead(user, lead) -> bool:
    """The introducer, the people sharing its credit, its marketing lead, the
    introducer's line supervisor or their active delegate (read-only), and admins."""
    if not getattr(user, "is_authenticated", False):
        return False
    introducer = lead.introducer
    return (
        introducer.user_id == user.pk
        or lead.marketing_lead_id == user.pk
        or is_admin(user)
        or is_line_supervisor_of(user, introducer)
        or lead.credit_shares.filter(staff__user_id=user.pk).exists()
    )


def can_work_lead(user, lead) -> bool:
    """The lead's marketing lead (or an admin) moves it on; never the introducer."""
    if not getattr(user, "is_authenticated", False):
        return False
    if lead.introducer.user_id == user.pk:
        return False
    return lead.marketing_lead_id == user.pk or is_admin(user)


def can_use_pipeline(user) -> bool:
    return Role.MARKETING_LEAD in roles_for(user)


def get_lead_for_user(user, pk: int, *, for_change: bool = False):
    from rewards.models import Lead

    lead = (
        Lead.objects.select_related(
            "introducer",
            "introducer__user",
            "introducer__department",
            "marketing_lead",
        )
        .filter(pk=pk)
        .first()
    )
    if lead is None or not can_view_lead(user, lead):
        raise Http404
    if for_change and not can_work_lead(user, lead):
        raise PermissionDenied
    return lead


# --- statements, sign-off, inquiries, role models ----------------------------


def can_view_statement(user, statement) -> bool:
    from departments.permissions import is_line_supervisor_of
    from departments.roles import Role, roles_for
    from rewards.models import PayoutPeriod

    if not user.is_authenticated:
        return False
    staff = statement.staff
    roles = roles_for(user)
    return (
        staff.user_id == user.pk
        or Role.ADMIN in roles
        or staff.marketing_lead_id == user.pk
        or staff.line_supervisor_id == user.pk
        or is_line_supervisor_of(user, staff)
        or (
            Role.FINANCE in roles
            and statement.period.status in (PayoutPeriod.Status.APPROVED, PayoutPeriod.Status.PAID)
        )
    )


def can_recommend_statement(user, statement) -> bool:
    """The person's marketing lead agrees the rewards; never their own."""
    return (
        user.is_authenticated
        and statement.staff.marketing_lead_id == user.pk
        and statement.staff.user_id != user.pk
    )


def can_approve_statement(user, statement) -> bool:
    """Rule 3: the line supervisor or their active delegate executes rewards."""
    from departments.permissions import is_line_supervisor_of

    return (
        user.is_authenticated
        and statement.staff.user_id != user.pk
        and is_line_supervisor_of(user, statement.staff)
    )


def can_adjust_rewards(user, staff) -> bool:
    from departments.permissions import is_line_supervisor_of
    from departments.roles import is_admin

    if not user.is_authenticated or staff.user_id == user.pk:
        return False
    return is_admin(user) or is_line_supervisor_of(user, staff)


def can_answer_inquiry(user, inquiry) -> bool:
    return can_approve_statement(user, inquiry.line.statement)


def can_nominate(user, candidate) -> bool:
    from departments.permissions import is_line_supervisor_of
    from departments.roles import is_admin

    if not user.is_authenticated or candidate.staff.user_id == user.pk:
        return False
    return is_admin(user) or is_line_supervisor_of(user, candidate.staff)


def can_manage_periods(user) -> bool:
    """Finance and admins close, calculate, export and mark periods paid."""
    from departments.roles import Role, roles_for

    roles = roles_for(user)
    return Role.ADMIN in roles or Role.FINANCE in roles


def get_statement_for_user(user, pk: int):
    from django.http import Http404

    from rewards.models import Statement

    try:
        statement = Statement.objects.select_related(
            "staff", "staff__user", "staff__department", "period", "approved_by", "recommended_by"
        ).get(pk=pk)
    except Statement.DoesNotExist:
        raise Http404 from None
    if not can_view_statement(user, statement):
        raise Http404
    return statement


def can_use_recommend_queue(user) -> bool:
    """Marketing leads recommend their people's rewards."""
    return Role.MARKETING_LEAD in roles_for(user)


def can_use_reward_approvals(user) -> bool:
    """Line supervisors (and active delegates) execute their reports' rewards."""
    return Role.LINE_SUPERVISOR in roles_for(user)


def can_use_nominations(user) -> bool:
    roles = roles_for(user)
    return Role.LINE_SUPERVISOR in roles or Role.ADMIN in roles
