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
TWO_FACTOR_ATTR = "_allhands_two_factor_roles"


class Role(TextChoices):
    STAFF = "staff", _("Staff")
    LINE_SUPERVISOR = "line_supervisor", _("Line supervisor")
    MARKETING_LEAD = "marketing_lead", _("Marketing lead")
    FINANCE = "finance", _("Finance")
    ADMIN = "admin", _("Admin")


def roles_for(user) -> frozenset[str]:
    """The user's roles, computed once per user object.

    Always the same number of queries, whatever the user holds: at most one for the
    profile with its department (none when the authentication backend loaded it), and
    one for everything else.
    """
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached

    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db.models import Exists, OuterRef

    from accounts.models import TwoFactorRequirement
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
    flags = (
        get_user_model()
        .objects.filter(pk=user.pk)
        .annotate(
            supervises=Exists(
                StaffProfile.objects.filter(line_supervisor=OuterRef("pk"), is_active=True)
            ),
            holds_delegation=Exists(
                Delegation.objects.filter(
                    delegate=OuterRef("pk"), start_date__lte=today, end_date__gte=today
                )
            ),
            in_finance=Exists(Group.objects.filter(user=OuterRef("pk"), name=FINANCE_GROUP)),
            in_admin=Exists(Group.objects.filter(user=OuterRef("pk"), name=ADMIN_GROUP)),
            # The roles admins require two-factor authentication for, read in the
            # same query (see accounts.totp.required_for).
            **{
                f"two_factor_{role}": Exists(TwoFactorRequirement.objects.filter(role=role))
                for role in Role.values
            },
        )
        .values(
            "supervises",
            "holds_delegation",
            "in_finance",
            "in_admin",
            *(f"two_factor_{role}" for role in Role.values),
        )
        .first()
    ) or {}
    setattr(
        user,
        TWO_FACTOR_ATTR,
        frozenset(role for role in Role.values if flags.get(f"two_factor_{role}")),
    )
    if flags.get("supervises") or flags.get("holds_delegation"):
        roles.add(Role.LINE_SUPERVISOR)
    if flags.get("in_finance"):
        roles.add(Role.FINANCE)
    if user.is_superuser or flags.get("in_admin"):
        roles.add(Role.ADMIN)
    result = frozenset(roles)
    setattr(user, _CACHE_ATTR, result)
    return result


def get_profile(user):
    """The user's profile with its department, or None (cached on the user object)."""
    from departments.models import StaffProfile

    if not getattr(user, "is_authenticated", False):
        return None
    relation = StaffProfile.user.field.remote_field
    if not relation.is_cached(user):
        # One query for profile and department, remembered on the user even when there is
        # no profile, so that neither is fetched again for this request.
        profile = StaffProfile.objects.select_related("department").filter(user=user).first()
        if profile is not None:
            StaffProfile.user.field.set_cached_value(profile, user)
        relation.set_cached_value(user, profile)
    return relation.get_cached_value(user)


def forget_roles(user) -> None:
    for attr in (_CACHE_ATTR, TWO_FACTOR_ATTR):
        if hasattr(user, attr):
            delattr(user, attr)


def has_role(user, role: str) -> bool:
    return role in roles_for(user)


def is_admin(user) -> bool:
    return has_role(user, Role.ADMIN)
