from django.utils import timezone

from departments.roles import Role, roles_for


def navigation_counts(request):
    """Pending approvals in the navigation (one COUNT query, only for supervisors)."""
    user = getattr(request, "user", None)
    if user is None or Role.LINE_SUPERVISOR not in roles_for(user):
        return {}
    from tasks.selectors import pending_approval_count

    known = getattr(request, "nav_pending_count", None)  # counted by the view already
    if known is not None:
        return {"nav_pending_count": known}
    return {"nav_pending_count": pending_approval_count(user=user, day=timezone.localdate())}
