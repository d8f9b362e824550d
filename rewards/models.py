"""Rewards: leads and collections, reward rules, payout periods, statements and their
lines, inquiries, role models.

Money is ``Decimal`` with two places (fen); see ``rewards.money``.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

MONEY = {"max_digits": 12, "decimal_places": 2}
ZERO = Decimal("0.00")
MAX_TEXT = 2000


class PayoutPeriod(models.Model):
    """A month of work. Once closed for logging, no time log in it can change; once
    paid, nothing in it can change."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed for logging")
        CALCULATED = "calculated", _("Calculated")
        APPROVED = "approved", _("Approved")
        PAID = "paid", _("Paid")

    class CalculationState(models.TextChoices):
        IDLE = "idle", _("Not started")
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Finished")
        FAILED = "failed", _("Failed")

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
    calculation_state = models.CharField(
        _("calculation"),
        max_length=20,
        choices=CalculationState.choices,
        default=CalculationState.IDLE,
    )
    calculation_run = models.PositiveIntegerField(_("calculation run"), default=0)
    calculation_done = models.PositiveIntegerField(_("people calculated"), default=0)
    calculation_total = models.PositiveIntegerField(_("people to calculate"), default=0)
    calculation_error = models.TextField(_("calculation error"), blank=True)
    calculated_at = models.DateTimeField(_("calculated at"), null=True, blank=True)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("paid by"),
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

    @property
    def is_paid(self) -> bool:
        return self.status == self.Status.PAID

    @property
    def is_frozen(self) -> bool:
        """Approved or paid: statements can no longer be recalculated."""
        return self.status in (self.Status.APPROVED, self.Status.PAID)


class Lead(models.Model):
    """A business introduction (商机 / 转介绍) by a staff member."""

    class Status(models.TextChoices):
        NEW = "new", _("New")
        QUALIFIED = "qualified", _("Qualified")
        WON = "won", _("Won")
        PAID = "paid", pgettext_lazy("lead status", "Paid")
        LOST = "lost", _("Lost")

    TRANSITIONS = {
        Status.NEW: {Status.QUALIFIED, Status.LOST},
        Status.QUALIFIED: {Status.WON, Status.LOST},
        Status.WON: {Status.PAID, Status.LOST},
        Status.PAID: set(),
        Status.LOST: set(),
    }

    class Claim(models.TextChoices):
        CLEAR = "", _("No conflict")
        PENDING = "pending", _("Second claim, awaiting decision")
        ACCEPTED = "accepted", _("Second claim accepted")
        REJECTED = "rejected", _("Second claim rejected")

    introducer = models.ForeignKey(
        "departments.StaffProfile",
        verbose_name=_("introduced by"),
        on_delete=models.PROTECT,
        related_name="introduced_leads",
    )
    marketing_lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("marketing lead"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="worked_leads",
    )
    client_name = models.CharField(_("client"), max_length=200)
    client_key = models.CharField(max_length=200, db_index=True, editable=False)
    contact = models.CharField(_("contact"), max_length=200, blank=True)
    contact_key = models.CharField(max_length=200, db_index=True, blank=True, editable=False)
    need = models.TextField(_("need"), max_length=MAX_TEXT)
    estimated_value = models.DecimalField(_("estimated value"), **MONEY, default=ZERO)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.NEW
    )
    contract_amount = models.DecimalField(_("contract amount"), **MONEY, null=True, blank=True)
    won_on = models.DateField(_("won on"), null=True, blank=True)
    lost_reason = models.TextField(_("reason lost"), blank=True, max_length=MAX_TEXT)
    protected_until = models.DateField(_("protected until"))
    conflicting_lead = models.ForeignKey(
        "self",
        verbose_name=_("earlier claim on the same client"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="later_claims",
    )
    claim_status = models.CharField(
        _("claim"), max_length=20, choices=Claim.choices, default=Claim.CLEAR, blank=True
    )
    claim_note = models.TextField(_("claim decision note"), blank=True, max_length=MAX_TEXT)
    key_role_confirmed = models.BooleanField(_("key role confirmed"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(estimated_value__gte=0), name="lead_estimate_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(contract_amount__isnull=True) | Q(contract_amount__gt=0),
                name="lead_contract_positive",
            ),
        ]
        indexes = [models.Index(fields=["marketing_lead", "status"])]

    def __str__(self) -> str:
        return self.client_name

    def can_move_to(self, status: str) -> bool:
        return status in self.TRANSITIONS[self.Status(self.status)]


class Collection(models.Model):
    """Money received on a won lead (or paid back: a refund)."""

    class Kind(models.TextChoices):
        COLLECTION = "collection", _("Collection")
        REFUND = "refund", _("Refund")

    lead = models.ForeignKey(Lead, on_delete=models.PROTECT, related_name="collections")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.COLLECTION)
    received_on = models.DateField(_("date"))
    amount = models.DecimalField(_("amount"), **MONEY)
    note = models.CharField(_("note"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("collection")
        verbose_name_plural = _("collections")
        ordering = ["received_on", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="collection_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.lead} {self.received_on} {self.amount}"

    @property
    def signed_amount(self) -> Decimal:
        return self.signed(self.kind, self.amount)

    @classmethod
    def signed(cls, kind: str, amount: Decimal) -> Decimal:
        """``amount`` counted as money in (a collection) or out (a refund)."""
        return -amount if kind == cls.Kind.REFUND else amount


class CreditShare(models.Model):
    """Who shares the credit of a won lead, with weights adding up to 100 %."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="credit_shares")
    staff = models.ForeignKey(
        "departments.StaffProfile", on_delete=models.PROTECT, related_name="credit_shares"
    )
    percent = models.DecimalField(
        _("share (%)"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("100"))],
    )
    role = models.CharField(_("contribution"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("credit share")
        verbose_name_plural = _("credit shares")
        constraints = [
            models.UniqueConstraint(fields=["lead", "staff"], name="credit_share_unique"),
            models.CheckConstraint(
                condition=Q(percent__gt=0) & Q(percent__lte=100), name="credit_share_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.lead}: {self.staff_id} {self.percent}%"


class RewardRule(models.Model):
    """Effective-dated reward rates. The rule in force on the day of the work applies."""

    class Kind(models.TextChoices):
        SUPPORT = "support", _("Support")
        DIRECT_REVENUE = "direct_revenue", _("Direct revenue")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    effective_from = models.DateField(_("effective from"))
    amount_per_approved_hour = models.DecimalField(
        _("amount per approved hour"), **MONEY, default=ZERO
    )
    amount_per_completed_task = models.DecimalField(
        _("amount per completed task"), **MONEY, default=ZERO
    )
    monthly_cap_per_person = models.DecimalField(
        _("monthly cap per person"),
        **MONEY,
        null=True,
        blank=True,
        help_text=_("Empty: no cap."),
    )
    percent_of_collected = models.DecimalField(
        _("percentage of collected amount"),
        max_digits=5,
        decimal_places=2,
        default=ZERO,
        validators=[MinValueValidator(ZERO), MaxValueValidator(Decimal("100"))],
    )
    cap_per_lead = models.DecimalField(
        _("cap per lead"), **MONEY, null=True, blank=True, help_text=_("Empty: no cap.")
    )
    holdback_days = models.PositiveIntegerField(
        _("hold-back days"),
        default=0,
        help_text=_("Days after a collection before its reward becomes payable."),
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("reward rule")
        verbose_name_plural = _("reward rules")
        ordering = ["kind", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "effective_from"], name="reward_rule_unique_day"
            ),
            models.CheckConstraint(
                condition=Q(amount_per_approved_hour__gte=0)
                & Q(amount_per_completed_task__gte=0)
                & Q(percent_of_collected__gte=0)
                & Q(percent_of_collected__lte=100),
                name="reward_rule_rates_valid",
            ),
            models.CheckConstraint(
                condition=(
                    Q(monthly_cap_per_person__isnull=True) | Q(monthly_cap_per_person__gte=0)
                )
                & (Q(cap_per_lead__isnull=True) | Q(cap_per_lead__gte=0)),
                name="reward_rule_caps_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.effective_from}"


class RewardTier(models.Model):
    """A fixed bonus once a lead's collected amount reaches ``threshold``."""

    rule = models.ForeignKey(RewardRule, on_delete=models.CASCADE, related_name="tiers")
    threshold = models.DecimalField(_("collected at least"), **MONEY)
    bonus = models.DecimalField(_("bonus"), **MONEY)

    class Meta:
        verbose_name = _("reward tier")
        verbose_name_plural = _("reward tiers")
        ordering = ["threshold"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "threshold"], name="reward_tier_unique"),
            models.CheckConstraint(
                condition=Q(threshold__gt=0) & Q(bonus__gte=0), name="reward_tier_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"≥ {self.threshold}: +{self.bonus}"


class Statement(models.Model):
    """One person's rewards in one period. Exactly one per person per period."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        RECOMMENDED = "recommended", _("Recommended")
        RETURNED = "returned", _("Returned")
        APPROVED = "approved", _("Approved")
        PAID = "paid", _("Paid")

    # Signed off by the line supervisor: final, left alone by recalculations and adjustments,
    # and what payroll exports and people are rewarded.
    SIGNED_OFF = (Status.APPROVED, Status.PAID)

    period = models.ForeignKey(PayoutPeriod, on_delete=models.PROTECT, related_name="statements")
    staff = models.ForeignKey(
        "departments.StaffProfile", on_delete=models.PROTECT, related_name="statements"
    )
    total = models.DecimalField(_("total"), **MONEY, default=ZERO)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    recommended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recommended_at = models.DateTimeField(null=True, blank=True)
    returned_note = models.TextField(_("note"), blank=True, max_length=MAX_TEXT)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    # The run that last wrote the calculated lines, and their fingerprint: a recalculation
    # that finds the same lines leaves the statement (its recommendation, its inquiries) as
    # it is. Empty: not known, so the next run writes the lines anew.
    calculated_run = models.PositiveIntegerField(default=0)
    calculated_digest = models.CharField(max_length=32, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("statement")
        verbose_name_plural = _("statements")
        ordering = ["period", "staff"]
        constraints = [
            models.UniqueConstraint(fields=["period", "staff"], name="statement_unique_per_period"),
        ]
        indexes = [models.Index(fields=["period", "status"])]

    def __str__(self) -> str:
        return f"{self.period} {self.staff_id}: {self.total}"


class RewardLine(models.Model):
    """One accrued amount with the explanation of how it was computed."""

    class Source(models.TextChoices):
        SUPPORT_TIME = "support_time", _("Approved support time")
        TASK = "task", _("Completed task")
        SUPPORT_CAP = "support_cap", _("Monthly cap")
        LEAD = "lead", _("Collected revenue")
        ADJUSTMENT = "adjustment", _("Manual adjustment")
        CLAWBACK = "clawback", _("Clawback")

    COMPUTED = (Source.SUPPORT_TIME, Source.TASK, Source.SUPPORT_CAP, Source.LEAD)

    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="lines")
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    amount = models.DecimalField(_("amount"), **MONEY)
    explanation = models.JSONField(
        _("explanation"),
        default=dict,
        help_text=_("The computation: rule, basis, rate, cap applied."),
    )
    lead = models.ForeignKey(
        Lead, null=True, blank=True, on_delete=models.PROTECT, related_name="reward_lines"
    )
    reason = models.TextField(_("reason"), blank=True, max_length=MAX_TEXT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("reward line")
        verbose_name_plural = _("reward lines")
        ordering = ["statement", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(source="adjustment") | ~Q(reason=""),
                name="reward_line_adjustment_has_reason",
            ),
        ]
        indexes = [models.Index(fields=["lead", "source"])]

    def __str__(self) -> str:
        return f"{self.get_source_display()}: {self.amount}"


class Inquiry(models.Model):
    """A person disagrees with a statement line; the approver answers."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ANSWERED = "answered", _("Answered")

    line = models.ForeignKey(RewardLine, on_delete=models.CASCADE, related_name="inquiries")
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    question = models.TextField(_("question"), max_length=MAX_TEXT)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.OPEN
    )
    answer = models.TextField(_("answer"), blank=True, max_length=MAX_TEXT)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("inquiry")
        verbose_name_plural = _("inquiries")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.line_id}: {self.question[:40]}"


class RoleModelCandidate(models.Model):
    """Proposed by the calculation from the figures; nominated by the line supervisor."""

    period = models.ForeignKey(PayoutPeriod, on_delete=models.CASCADE, related_name="candidates")
    department = models.ForeignKey(
        "departments.Department", on_delete=models.CASCADE, related_name="+"
    )
    staff = models.ForeignKey(
        "departments.StaffProfile", on_delete=models.CASCADE, related_name="+"
    )
    approved_minutes = models.PositiveIntegerField(default=0)
    leads_won = models.PositiveIntegerField(default=0)
    revenue_collected = models.DecimalField(**MONEY, default=ZERO)
    outcomes_confirmed = models.PositiveIntegerField(default=0)
    score = models.DecimalField(max_digits=12, decimal_places=4, default=Decimal("0"))
    nominated = models.BooleanField(_("nominated"), default=False)
    citation = models.TextField(_("citation"), blank=True, max_length=MAX_TEXT)
    nominated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    nominated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("role-model candidate")
        verbose_name_plural = _("role-model candidates")
        ordering = ["period", "department", "-score"]
        constraints = [
            models.UniqueConstraint(fields=["period", "staff"], name="candidate_unique"),
            models.CheckConstraint(
                condition=Q(nominated=False) | ~Q(citation=""), name="nomination_has_citation"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period} {self.staff_id}"
