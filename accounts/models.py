"""What admins decide about signing in."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from departments.roles import Role


class TwoFactorRequirement(models.Model):
    """Everyone who holds ``role`` must sign in with an authenticator app. Added and
    removed by admins; ``ALLHANDS_REQUIRE_2FA_FOR_ROLES`` can add roles from the
    environment on top."""

    role = models.CharField(
        _("role"),
        max_length=30,
        choices=Role.choices,
        unique=True,
        help_text=_(
            "People holding this role must set up an authenticator app before they can "
            "use Allhands."
        ),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("required by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("since"), auto_now_add=True)

    class Meta:
        verbose_name = _("two-factor requirement")
        verbose_name_plural = _("two-factor requirements")
        ordering = ["role"]

    def __str__(self) -> str:
        return str(Role(self.role).label)
