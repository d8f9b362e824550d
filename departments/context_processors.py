from django.conf import settings

from departments.roles import Role, roles_for


def allhands(request):
    user = getattr(request, "user", None)
    roles = roles_for(user) if user is not None else frozenset()
    return {
        "allhands_version": settings.VERSION,
        "allhands_currency": settings.ALLHANDS_CURRENCY,
        "roles": roles,
        "Role": Role,
        "is_staff_role": Role.STAFF in roles,
        "is_line_supervisor": Role.LINE_SUPERVISOR in roles,
        "is_marketing_lead": Role.MARKETING_LEAD in roles,
        "is_finance": Role.FINANCE in roles,
        "is_admin": Role.ADMIN in roles,
    }
