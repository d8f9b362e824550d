"""The audit log: an append-only record of who did what, to what, from where."""

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

# Summaries are stored as message ids (the English source text) and translated when read,
# so that each reader sees them in their own language whoever acted. These are the ones
# written besides the action labels (``AuditEntry.Action``).
LOGGED_IN = gettext_noop("Logged in")
LOGGED_OUT = gettext_noop("Logged out")
FAILED_LOGIN = gettext_noop("Failed login")
LOCKED_OUT = gettext_noop("Locked out after too many failed logins")
ACCESS_REFUSED = gettext_noop("Access refused")
AUDIT_LOG_EXPORTED = gettext_noop("Audit log exported")
SUMMARIES = (LOGGED_IN, LOGGED_OUT, FAILED_LOGIN, LOCKED_OUT, ACCESS_REFUSED, AUDIT_LOG_EXPORTED)


class AuditLogImmutableError(RuntimeError):
    """Raised on any attempt to change or remove an audit entry."""


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AuditLogImmutableError(_("Audit entries cannot be changed."))

    def delete(self):
        raise AuditLogImmutableError(_("Audit entries cannot be deleted."))

    delete.queryset_only = True


class AuditEntry(models.Model):
    class Action(models.TextChoices):
        LOGIN = "login", _("Login")
        LOGOUT = "logout", _("Logout")
        LOGIN_FAILED = "login_failed", _("Failed login")
        LOCKED_OUT = "locked_out", _("Lockout")
        PERMISSION_DENIED = "permission_denied", _("Permission denied")
        TIME_APPROVED = "time_approved", _("Time approved")
        TIME_REJECTED = "time_rejected", _("Time rejected")
        EXTENSION_GRANTED = "extension_granted", _("Extension granted")
        EXTENSION_REFUSED = "extension_refused", _("Extension refused")
        STATEMENT_RECOMMENDED = "statement_recommended", _("Statement recommended")
        STATEMENT_RETURNED = "statement_returned", _("Statement returned")
        STATEMENT_APPROVED = "statement_approved", _("Statement approved")
        PERIOD_CLOSED = "period_closed", _("Payout period closed")
        PERIOD_CALCULATION_REQUESTED = (
            "period_calculation_requested",
            _("Payout calculation requested"),
        )
        PERIOD_APPROVED = "period_approved", _("Payout period approved")
        PERIOD_PAID = "period_paid", _("Payout period marked paid")
        ADJUSTMENT_ADDED = "adjustment_added", _("Reward adjustment added")
        PAYOUT_EXPORTED = "payout_exported", _("Payout export")
        AUDIT_EXPORTED = "audit_exported", _("Audit log export")
        OUTCOME_REVIEWED = "outcome_reviewed", _("Outcome reviewed")
        LEAD_CLAIM_DECIDED = "lead_claim_decided", _("Second claim decided")
        LEAD_WON = "lead_won", _("Lead won")
        LEAD_KEY_ROLE_CONFIRMED = "lead_key_role_confirmed", _("Key role confirmed")
        LEAD_MONEY_RECORDED = "lead_money_recorded", _("Collection or refund recorded")
        LEAD_CREDIT_SPLIT = "lead_credit_split", _("Credit split set")
        ORG_IMPORTED = "org_imported", _("Organisation import")
        BUDGET_SET = "budget_set", _("Budget set")
        BUDGET_WITHDRAWN = "budget_withdrawn", _("Budget withdrawn")
        DELEGATION_ADDED = "delegation_added", _("Delegation added")
        DELEGATION_ENDED = "delegation_ended", _("Delegation ended")
        ADMIN_ADDED = "admin_added", _("Admin: added")
        ADMIN_CHANGED = "admin_changed", _("Admin: changed")
        ADMIN_DELETED = "admin_deleted", _("Admin: deleted")

    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Kept as text too, so that the entry still names the person after the account is gone.
    actor_repr = models.CharField(_("who (as recorded)"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=40, choices=Action.choices, db_index=True)
    summary = models.TextField(_("summary"), blank=True)
    content_type = models.ForeignKey(
        ContentType,
        verbose_name=_("object type"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=255, blank=True)
    extra = models.JSONField(_("details"), default=dict, blank=True, encoder=DjangoJSONEncoder)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_repr or '-'} {self.action}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AuditLogImmutableError(_("Audit entries cannot be changed."))
        # An insert, always: a hand-made instance with an existing id must not overwrite it.
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditLogImmutableError(_("Audit entries cannot be deleted."))

    @classmethod
    def message_ids(cls) -> set[str]:
        """Every summary the app writes, untranslated (for searching in any language)."""
        with translation.override(None):
            return {str(label) for label in cls.Action.labels} | set(SUMMARIES)

    def summary_text(self) -> str:
        """The summary in the active language. An admin change is worded again from
        Django's change message, which keeps field names untranslated too."""
        if self.action in ADMIN_ACTIONS:
            change_message = self.extra.get("change_message") if self.extra else None
            if change_message:
                text = LogEntry(change_message=change_message).get_change_message()
                if text:
                    return text
            return self.summary
        return gettext(self.summary) if self.summary else ""


ADMIN_ACTIONS = {
    AuditEntry.Action.ADMIN_ADDED,
    AuditEntry.Action.ADMIN_CHANGED,
    AuditEntry.Action.ADMIN_DELETED,
}
