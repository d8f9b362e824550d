from django.conf import settings
from django.core.checks import Error, register


@register()
def check_two_factor_roles(app_configs, **kwargs):
    from departments.roles import Role

    unknown = sorted(set(settings.ALLHANDS_REQUIRE_2FA_FOR_ROLES) - set(Role.values))
    if not unknown:
        return []
    return [
        Error(
            f"ALLHANDS_REQUIRE_2FA_FOR_ROLES names unknown roles: {', '.join(unknown)}",
            hint=f"Use some of: {', '.join(Role.values)}.",
            id="accounts.E001",
        )
    ]
