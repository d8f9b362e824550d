"""Assist work: categories, marketing tasks, time logs, budget extensions, history."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

MAX_LOG_MINUTES = 24 * 60
MAX_TEXT = 2000


class AssistCategory(models.Model):
    class RewardClass(models.TextChoices):
        DIRECT_REVENUE = "direct_revenue", _("Direct revenue")
        SUPPORT = "support", _("Support")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name (English)"), max_length=80)
    name_zh_hans = models.CharField(_("name (Simplified Chinese)"), max_length=80, blank=True)
    reward_class = models.CharField(
        _("reward class"),
        max_length=20,
        choices=RewardClass.choices,
        default=RewardClass.SUPPORT,
        help_text=_("Work that directly brings revenue earns a large reward; support a basic one."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("assist category")
        verbose_name_plural = _("assist categories")
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return self.label_of(self.name, self.name_zh_hans)

    @staticmethod
    def label_of(name: str, name_zh_hans: str) -> str:
        """The name in the active language: the Chinese one where it is given."""
        if name_zh_hans and (get_language() or "").lower().startswith("zh"):
            return name_zh_hans
        return name


class MarketingTask(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    TRANSITIONS = {
        Status.OPEN: {Status.IN_PROGRESS, Status.CANCELLED},
        Status.IN_PROGRESS: {Status.DONE, Status.CANCELLED},
        Status.DONE: set(),
        Status.CANCELLED: set(),
    }

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True, max_length=MAX_TEXT * 2)
    category = models.ForeignKey(
        AssistCategory, verbose_name=_("category"), on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("marketing lead"),
        on_delete=models.PROTECT,
        related_name="created_marketing_tasks",
    )
    due_date = models.DateField(_("due date"))
    estimated_minutes = models.PositiveIntegerField(
        _("estimated minutes"), help_text=_("Per assignee.")
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.OPEN
    )
    assignees = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="TaskAssignment",
        related_name="marketing_tasks",
        verbose_name=_("assignees"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("marketing task")
        verbose_name_plural = _("marketing tasks")
        ordering = ["due_date", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(estimated_minutes__gt=0), name="task_estimate_positive"
            ),
        ]
        indexes = [models.Index(fields=["created_by", "status"])]

    def __str__(self) -> str:
        return self.title

    def can_move_to(self, status: str) -> bool:
        return status in self.TRANSITIONS[self.Status(self.status)]

    @property
    def is_closed(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.CANCELLED)


class TaskAssignment(models.Model):
    class Status(models.TextChoices):
        ASSIGNED = "assigned", _("Assigned")
        STARTED = "started", _("Started")
        COMPLETED = "completed", _("Completed")
        DECLINED = "declined", _("Declined")

    task = models.ForeignKey(MarketingTask, on_delete=models.CASCADE, related_name="assignments")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="task_assignments"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.ASSIGNED
    )
    outcome = models.TextField(_("outcome"), blank=True, max_length=MAX_TEXT)
    decline_reason = models.TextField(_("reason for declining"), blank=True, max_length=MAX_TEXT)
    responded_at = models.DateTimeField(_("responded"), null=True, blank=True)

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        constraints = [
            models.UniqueConstraint(fields=["task", "assignee"], name="assignment_unique"),
        ]
        indexes = [models.Index(fields=["assignee", "status"])]

    def __str__(self) -> str:
        return f"{self.task} → {self.assignee}"


class TaskComment(models.Model):
    task = models.ForeignKey(MarketingTask, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("comment"), max_length=MAX_TEXT)
    created_at = models.DateTimeField(_("posted"), auto_now_add=True)

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.author}: {self.body[:40]}"


class DayLedger(models.Model):
    """One row per person and day: the lock that serialises budget checks, and the
    running total of non-rejected minutes. ``dirty`` marks days whose summaries must
    be rolled up again."""

    staff = models.ForeignKey(
        "departments.StaffProfile", on_delete=models.CASCADE, related_name="day_ledgers"
    )
    day = models.DateField()
    logged_minutes = models.PositiveIntegerField(default=0)
    dirty = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("day ledger")
        verbose_name_plural = _("day ledgers")
        constraints = [
            models.UniqueConstraint(fields=["staff", "day"], name="day_ledger_unique"),
        ]
        indexes = [
            models.Index(fields=["day"], name="day_ledger_dirty", condition=Q(dirty=True)),
        ]

    def __str__(self) -> str:
        return f"{self.staff_id} {self.day}: {self.logged_minutes}"


class TimeLog(models.Model):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    class OutcomeStatus(models.TextChoices):
        PENDING = "", _("Not reviewed")
        CONFIRMED = "confirmed", _("Confirmed")
        NEEDS_FOLLOW_UP = "needs_follow_up", _("Needs follow-up")

    staff = models.ForeignKey(
        "departments.StaffProfile",
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        related_name="time_logs",
    )
    day = models.DateField(_("date"))
    minutes = models.PositiveIntegerField(_("minutes"))
    category = models.ForeignKey(
        AssistCategory, verbose_name=_("category"), on_delete=models.PROTECT, related_name="+"
    )
    task = models.ForeignKey(
        MarketingTask,
        verbose_name=_("task"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="time_logs",
    )
    description = models.TextField(_("description"), max_length=MAX_TEXT)
    outcome = models.TextField(_("outcome"), blank=True, max_length=MAX_TEXT)
    duties_done = models.BooleanField(_("my own duties for the day are done"), default=False)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.SUBMITTED
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    rejection_reason = models.TextField(_("reason for rejection"), blank=True, max_length=MAX_TEXT)
    # Set with the rejection, cleared when the email has gone out: a rejection whose
    # email could not be queued (broker down) is still found and sent by the sweep.
    rejection_email_pending = models.BooleanField(
        _("rejection email pending"), default=False, editable=False
    )
    outcome_status = models.CharField(
        _("outcome review"),
        max_length=20,
        choices=OutcomeStatus.choices,
        default=OutcomeStatus.PENDING,
        blank=True,
    )
    outcome_note = models.TextField(_("outcome note"), blank=True, max_length=MAX_TEXT)
    outcome_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("outcome reviewed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    outcome_at = models.DateTimeField(_("outcome reviewed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("time log")
        verbose_name_plural = _("time logs")
        ordering = ["-day", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(minutes__gt=0) & Q(minutes__lte=MAX_LOG_MINUTES),
                name="time_log_minutes_positive",
            ),
            models.CheckConstraint(condition=Q(duties_done=True), name="time_log_duties_confirmed"),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(rejection_reason=""),
                name="time_log_rejection_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["staff", "day"]),
            models.Index(fields=["status", "day"]),
            models.Index(fields=["day"], name="time_log_day"),
            # The approval queues: a supervisor's few waiting entries among millions.
            models.Index(
                fields=["staff", "day"], name="time_log_waiting", condition=Q(status="submitted")
            ),
            models.Index(fields=["task"]),
            models.Index(
                fields=["staff", "decided_by"],
                condition=Q(rejection_email_pending=True),
                name="time_log_rejection_email_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.staff_id} {self.day} {self.minutes} min"

    @property
    def is_editable_status(self) -> bool:
        return self.status == self.Status.SUBMITTED


class BudgetExtension(models.Model):
    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        GRANTED = "granted", _("Granted")
        REFUSED = "refused", _("Refused")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    staff = models.ForeignKey(
        "departments.StaffProfile",
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        related_name="budget_extensions",
    )
    day = models.DateField(_("date"))
    minutes = models.PositiveIntegerField(_("extra minutes"))
    reason = models.TextField(_("reason"), max_length=MAX_TEXT)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.REQUESTED
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("note"), blank=True, max_length=MAX_TEXT)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("budget extension")
        verbose_name_plural = _("budget extensions")
        ordering = ["-day", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(minutes__gt=0) & Q(minutes__lte=MAX_LOG_MINUTES),
                name="extension_minutes_positive",
            ),
        ]
        indexes = [models.Index(fields=["staff", "day", "status"])]

    def __str__(self) -> str:
        return f"{self.staff_id} {self.day} +{self.minutes}"


class StateChange(models.Model):
    """Who moved what from which state to which, when and why. Append-only."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField()
    subject = GenericForeignKey("content_type", "object_id")
    from_state = models.CharField(_("from"), max_length=30, blank=True)
    to_state = models.CharField(_("to"), max_length=30)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reason = models.TextField(_("reason"), blank=True, max_length=MAX_TEXT)
    at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("state change")
        verbose_name_plural = _("state changes")
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.from_state or '∅'} → {self.to_state}"


class PersonDaySummary(models.Model):
    """Pre-computed figures of one person's day, maintained by the rollup job from the
    raw logs (pages and digests read these, never the raw logs)."""

    staff = models.ForeignKey(
        "departments.StaffProfile", on_delete=models.CASCADE, related_name="day_summaries"
    )
    department = models.ForeignKey(
        "departments.Department", on_delete=models.CASCADE, related_name="+"
    )
    day = models.DateField()
    budget_minutes = models.PositiveIntegerField(default=0)
    extension_minutes = models.PositiveIntegerField(default=0)
    submitted_minutes = models.PositiveIntegerField(default=0)
    approved_minutes = models.PositiveIntegerField(default=0)
    rejected_minutes = models.PositiveIntegerField(default=0)
    entries = models.PositiveIntegerField(default=0)
    outcomes_confirmed = models.PositiveIntegerField(default=0)
    minutes_by_category = models.JSONField(default=dict)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("person-day summary")
        verbose_name_plural = _("person-day summaries")
        constraints = [
            models.UniqueConstraint(fields=["staff", "day"], name="person_day_summary_unique"),
        ]
        indexes = [
            models.Index(fields=["department", "day"]),
            models.Index(fields=["day"]),
        ]

    def __str__(self) -> str:
        return f"{self.staff_id} {self.day}"

    @property
    def logged_minutes(self) -> int:
        return self.submitted_minutes + self.approved_minutes


class PersonSpanSummary(models.Model):
    """A person's figures over a span of days (a month, a week), summed from their
    person-days by the same rollup."""

    days_logged = models.PositiveIntegerField(default=0)
    submitted_minutes = models.PositiveIntegerField(default=0)
    approved_minutes = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class PersonMonthSummary(PersonSpanSummary):
    """One person's calendar month: the organisation's twelve-month trend counts people
    from these rather than from a year of days."""

    staff = models.ForeignKey(
        "departments.StaffProfile", on_delete=models.CASCADE, related_name="month_summaries"
    )
    month = models.DateField(help_text="The month's first day.")

    class Meta:
        verbose_name = _("person-month summary")
        verbose_name_plural = _("person-month summaries")
        constraints = [
            models.UniqueConstraint(fields=["staff", "month"], name="person_month_summary_unique"),
        ]
        indexes = [models.Index(fields=["month"])]

    def __str__(self) -> str:
        return f"{self.staff_id} {self.month:%Y-%m}"


class PersonWeekSummary(PersonSpanSummary):
    """One person's Monday-to-Sunday week: the organisation's participation by week."""

    staff = models.ForeignKey(
        "departments.StaffProfile", on_delete=models.CASCADE, related_name="week_summaries"
    )
    week = models.DateField(help_text="The week's Monday.")

    class Meta:
        verbose_name = _("person-week summary")
        verbose_name_plural = _("person-week summaries")
        constraints = [
            models.UniqueConstraint(fields=["staff", "week"], name="person_week_summary_unique"),
        ]
        indexes = [models.Index(fields=["week"])]

    def __str__(self) -> str:
        return f"{self.staff_id} {self.week}"


class DepartmentDaySummary(models.Model):
    """One department's day: eligible people, who logged, minutes by state."""

    department = models.ForeignKey(
        "departments.Department", on_delete=models.CASCADE, related_name="day_summaries"
    )
    day = models.DateField()
    eligible_people = models.PositiveIntegerField(default=0)
    people_logged = models.PositiveIntegerField(default=0)
    budget_minutes = models.PositiveIntegerField(default=0)
    submitted_minutes = models.PositiveIntegerField(default=0)
    approved_minutes = models.PositiveIntegerField(default=0)
    rejected_minutes = models.PositiveIntegerField(default=0)
    minutes_by_category = models.JSONField(default=dict)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("department-day summary")
        verbose_name_plural = _("department-day summaries")
        constraints = [
            models.UniqueConstraint(
                fields=["department", "day"], name="department_day_summary_unique"
            ),
        ]
        indexes = [models.Index(fields=["day"])]

    def __str__(self) -> str:
        return f"{self.department_id} {self.day}"


class DepartmentSpanSummary(models.Model):
    """One department's calendar month or Monday-to-Sunday week, summed by the rollup:
    its eligible people (active members of a non-marketing department, as the rollup
    last saw them) and how many of them logged time in it, and the minutes and categories of its
    department-days. The organisation
    dashboard counts participation from these (a few hundred rows) rather than from the
    person-weeks and person-months of ten thousand people."""

    class Span(models.TextChoices):
        WEEK = "week", _("week")
        MONTH = "month", _("month")

    department = models.ForeignKey(
        "departments.Department", on_delete=models.CASCADE, related_name="span_summaries"
    )
    span = models.CharField(max_length=5, choices=Span.choices)
    start = models.DateField(help_text="The month's first day or the week's Monday.")
    people_logged = models.PositiveIntegerField(default=0)
    # Counted at the same moment as ``people_logged``, so that their share never mixes
    # two rosters (someone who left since still counts in both, or in neither).
    people_eligible = models.PositiveIntegerField(default=0)
    submitted_minutes = models.PositiveIntegerField(default=0)
    approved_minutes = models.PositiveIntegerField(default=0)
    minutes_by_category = models.JSONField(default=dict)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("department-span summary")
        verbose_name_plural = _("department-span summaries")
        constraints = [
            models.UniqueConstraint(
                fields=["department", "span", "start"], name="department_span_summary_unique"
            ),
        ]
        indexes = [models.Index(fields=["span", "start"])]

    def __str__(self) -> str:
        return f"{self.department_id} {self.span} {self.start}"


class SentNotification(models.Model):
    """A reminder or digest already sent: the unique key makes each one go out once,
    however often (or concurrently) its job runs."""

    kind = models.CharField(max_length=40)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    key = models.CharField(max_length=40, help_text="e.g. the day or ISO week it covers")
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("sent notification")
        verbose_name_plural = _("sent notifications")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "recipient", "key"], name="sent_notification_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.key} → {self.recipient_id}"
