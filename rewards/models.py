"""Rewards: payout periods (leads, reward lines and statements build on them)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class PayoutPeriod(models.Model):
    """A month of work. Once closed for logging, no time log in it can change."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed for logging")
        CALCULATED = "calculated", _("Calculated")
        APPROVED = "approved", _("Approved")
        PAID = "paid", _("Paid")

    start_date = models.DateField(_("first day"), unique=True)
    end_date = models.DateField(_("last day"))
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.OPEN
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("payout period")
        verbose_name_plural = _("payout periods")
        ordering = ["-start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="payout_period_range_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.start_date.strftime("%Y-%m")

    @property
    def is_open_for_logging(self) -> bool:
        return self.status == self.Status.OPEN
