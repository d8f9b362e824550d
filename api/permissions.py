"""DRF permission classes: thin wrappers around the apps' own predicates.

Object rules (whose log, whose report) are never repeated here: the views fetch objects
through the ``get_*_for_user`` helpers (404 for what the user may not see, 403 for what
they may see but not change) and the services check the rest.
"""

from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission

from departments.roles import is_admin
from rewards.permissions import can_manage_periods


class IsAdminRoleOrReadOnly(BasePermission):
    """Everybody signed in reads; only admins (HR, system administrators) write."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return request.method in SAFE_METHODS or is_admin(user)


class CanImportOrganisation(BasePermission):
    """The same rule as the admin's "Import organisation" page."""

    def has_permission(self, request, view) -> bool:
        from departments.admin import can_import

        return bool(request.user and request.user.is_authenticated and can_import(request))


class CanManagePeriods(BasePermission):
    """Finance and admins (used where no service checks it itself, e.g. exports)."""

    def has_permission(self, request, view) -> bool:
        return bool(
            request.user and request.user.is_authenticated and can_manage_periods(request.user)
        )
