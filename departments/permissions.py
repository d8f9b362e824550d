"""Who may see and change what in the organisation.

Predicates are pure functions of (user, object); ``get_*_for_user`` helpers turn them
into 404 (may not even see) and 403 (may see, may not change).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from departments.models import Delegation, StaffProfile
from departments.roles import Role, is_admin, roles_for


def is_line_supervisor_of(user, profile: StaffProfile, *, day=None) -> bool:
    """The person's line supervisor, or that supervisor's active delegate on ``day``."""
    if not user.is_authenticated or profile.user_id == user.pk:
        return False
    if profile.line_supervisor_id is None:
        return False
    if profile.line_supervisor_id == user.pk:
        return True
    day = day or timezone.localdate()
    return Delegation.objects.filter(
        delegator_id=profile.line_supervisor_id,
        delegate=user,
        start_date__lte=day,
        end_date__gte=day,
    ).exists()


def is_marketing_lead_of(user, profile: StaffProfile) -> bool:
    return (
        user.is_authenticated
        and profile.marketing_lead_id == user.pk
        and profile.user_id != user.pk
    )


def can_view_profile(user, profile: StaffProfile) -> bool:
    if not user.is_authenticated:
        return False
    return (
        profile.user_id == user.pk
        or is_admin(user)
        or profile.line_supervisor_id == user.pk
        or profile.marketing_lead_id == user.pk
        or is_line_supervisor_of(user, profile)
    )


def can_edit_profile(user, profile: StaffProfile) -> bool:
    """Goals and duties are agreed with the line supervisor; admins edit anything."""
    return is_admin(user) or (profile.user_id != user.pk and profile.line_supervisor_id == user.pk)


def can_manage_budget(user, profile: StaffProfile) -> bool:
    """Line supervisors adjust their reports' budgets; admins everyone's."""
    return is_admin(user) or (profile.user_id != user.pk and profile.line_supervisor_id == user.pk)


def can_delegate(user) -> bool:
    roles = roles_for(user)
    return (
        Role.ADMIN in roles
        or StaffProfile.objects.filter(line_supervisor=user, is_active=True).exists()
    )


def can_end_delegation(user, delegation: Delegation) -> bool:
    return delegation.delegator_id == user.pk or is_admin(user)


def get_profile_for_user(user, pk: int, *, for_change: bool = False) -> StaffProfile:
    from departments.selectors import profile_detail

    try:
        profile = profile_detail(pk=pk)
    except StaffProfile.DoesNotExist:
        raise Http404 from None
    if not can_view_profile(user, profile):
        raise Http404
    if for_change and not can_edit_profile(user, profile):
        raise PermissionDenied
    return profile


def get_delegation_for_user(user, pk: int) -> Delegation:
    delegation = Delegation.objects.select_related("delegator", "delegate").filter(pk=pk).first()
    if delegation is None or not (
        delegation.delegator_id == user.pk or delegation.delegate_id == user.pk or is_admin(user)
    ):
        raise Http404
    if not can_end_delegation(user, delegation):
        raise PermissionDenied
    return delegation
