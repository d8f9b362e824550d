"""Roles are derived from the organisation, never stored twice.

- staff: an active profile in a non-marketing department;
- line supervisor: somebody's line supervisor, or an active delegate of one;
- marketing lead: an active profile with the lead role in a marketing department;
- finance / admin: membership of the group of that name (admin also: superuser).
"""

from __future__ import annotations

from django.db.models import TextChoices
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

FINANCE_GROUP = "finance"
ADMIN_GROUP = "admin"

_CACHE_ATTR = "_allhands_roles"


class Role(TextChoices):
    STAFF = "staff", _("Staff")
    LINE_SUPERVISOR = "line_supervisor", _("Line supervisor")
    MARKETING_LEAD = "marketing_lead", _("Marketing lead")
    FINANCE = "finance", _("Finance")
    ADMIN = "admin", _("Admin")


def roles_for(user) -> frozenset[str]:
    """The user's roles, computed once per user object (a fixed number of queries)."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached

    from departments.models import Delegation, StaffProfile

    roles: set[str] = set()
    profile = get_profile(user)
    if profile is not None and profile.is_active:
        if profile.department.is_marketing:
            if profile.is_marketing_lead:
                roles.add(Role.MARKETING_LEAD)
        else:
            roles.add(Role.STAFF)
    today = timezone.localdate()
    if (
        StaffProfile.objects.filter(line_supervisor=user, is_active=True).exists()
        or Delegation.objects.filter(
            delegate=user, start_date__lte=today, end_date__gte=today
        ).exists()
    ):
        roles.add(Role.LINE_SUPERVISOR)
    group_names = set(user.groups.values_list("name", flat=True))
    if FINANCE_GROUP in group_names:
        roles.add(Role.FINANCE)
    if user.is_superuser or ADMIN_GROUP in group_names:
        roles.add(Role.ADMIN)
    result = frozenset(roles)
    setattr(user, _CACHE_ATTR, result)
    return result


def get_profile(user):
    """The user's profile with its department, or None (cached on the user object)."""
    from departments.models import StaffProfile

    if not getattr(user, "is_authenticated", False):
        return None
    try:
        return user.profile
    except StaffProfile.DoesNotExist:
        return None


def forget_roles(user) -> None:
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def has_role(user, role: str) -> bool:
    return role in roles_for(user)


def is_admin(user) -> bool:
    return has_role(user, Role.ADMIN)
