"""The organisation: departments, people with their two supervisors, budgets, delegations."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

MAX_DAILY_BUDGET_MINUTES = 8 * 60


def default_language() -> str:
    """The site's language at the time the profile is created."""
    return settings.LANGUAGE_CODE


class Department(models.Model):
    class Kind(models.TextChoices):
        MARKETING = "marketing", _("Marketing")
        NON_MARKETING = "non_marketing", _("Non-marketing")

    name = models.CharField(_("name"), max_length=120)
    code = models.SlugField(
        _("code"),
        max_length=40,
        unique=True,
        help_text=_("Short unique code used in imports and reports, e.g. ENG."),
    )
    kind = models.CharField(
        _("kind"), max_length=20, choices=Kind.choices, default=Kind.NON_MARKETING
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    head = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("head"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="headed_departments",
    )

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=~Q(parent=F("id")), name="department_not_own_parent"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_marketing(self) -> bool:
        return self.kind == self.Kind.MARKETING

    def clean(self) -> None:
        ancestor = self.parent
        seen = set()
        while ancestor is not None:
            if self.pk and ancestor.pk == self.pk:
                raise ValidationError(
                    {"parent": _("A department cannot sit below itself in the tree.")}
                )
            if ancestor.pk in seen:
                break
            seen.add(ancestor.pk)
            ancestor = ancestor.parent


class StaffProfile(models.Model):
    """One per user: the prerequisites the article asks to make explicit."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="profile",
    )
    employee_number = models.CharField(_("employee number"), max_length=32, unique=True)
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="members",
    )
    title = models.CharField(pgettext_lazy("person", "job title"), max_length=120, blank=True)
    goals = models.TextField(_("goals"), blank=True, max_length=4000)
    primary_duties = models.TextField(_("primary duties"), blank=True, max_length=4000)
    auxiliary_duties = models.TextField(
        _("auxiliary (marketing) duties"), blank=True, max_length=4000
    )
    line_supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("line supervisor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reports",
        help_text=_("Owns this person's time and main job; approves time and rewards."),
    )
    marketing_lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("marketing lead"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="marketing_reports",
        help_text=_("Assigns and follows up this person's marketing-assist work."),
    )
    is_marketing_lead = models.BooleanField(
        _("marketing lead role"),
        default=False,
        help_text=_("Only for members of a marketing department."),
    )
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        default=default_language,
        help_text=_("Language of the emails this person receives."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")
        ordering = ["employee_number"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(line_supervisor=F("user")), name="profile_not_own_line_supervisor"
            ),
            models.CheckConstraint(
                condition=~Q(marketing_lead=F("user")), name="profile_not_own_marketing_lead"
            ),
        ]
        indexes = [
            models.Index(fields=["line_supervisor", "is_active"]),
            models.Index(fields=["marketing_lead", "is_active"]),
            models.Index(fields=["department", "is_active"]),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.employee_number})"

    @property
    def display_name(self) -> str:
        return self.user.get_full_name() or self.user.get_username()

    def clean(self) -> None:
        errors = {}
        if self.line_supervisor_id and self.line_supervisor_id == self.user_id:
            errors["line_supervisor"] = _("Nobody can be their own line supervisor.")
        if self.marketing_lead_id:
            if self.marketing_lead_id == self.user_id:
                errors["marketing_lead"] = _("Nobody can be their own marketing lead.")
            else:
                lead = (
                    StaffProfile.objects.filter(user_id=self.marketing_lead_id)
                    .select_related("department")
                    .first()
                )
                if lead is None or not lead.department.is_marketing or not lead.is_marketing_lead:
                    errors["marketing_lead"] = _(
                        "The marketing lead must be a member of a marketing department "
                        "with the marketing lead role."
                    )
        if self.is_marketing_lead and self.department_id and not self.department.is_marketing:
            errors["is_marketing_lead"] = _(
                "Only members of a marketing department can hold the marketing lead role."
            )
        if errors:
            raise ValidationError(errors)


class BudgetRule(models.Model):
    """An effective-dated daily marketing budget: global, for a department or a person.

    The most specific rule wins (person, then department, then global); within a scope
    the rule with the latest ``effective_from`` on or before the day applies.
    """

    class Scope(models.TextChoices):
        GLOBAL = "global", _("Everyone")
        DEPARTMENT = "department", _("Department")
        PERSON = "person", _("Person")

    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="budget_rules",
    )
    staff = models.ForeignKey(
        StaffProfile,
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="budget_rules",
    )
    daily_minutes = models.PositiveIntegerField(
        _("daily budget (minutes)"),
        validators=[MinValueValidator(0), MaxValueValidator(MAX_DAILY_BUDGET_MINUTES)],
    )
    effective_from = models.DateField(
        _("effective from"),
        help_text=_("The rule applies from this day on; earlier days keep their budget."),
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("budget rule")
        verbose_name_plural = _("budget rules")
        ordering = ["-effective_from"]
        constraints = [
            models.CheckConstraint(
                condition=~(Q(department__isnull=False) & Q(staff__isnull=False)),
                name="budget_rule_single_scope",
            ),
            models.CheckConstraint(
                condition=Q(daily_minutes__lte=MAX_DAILY_BUDGET_MINUTES),
                name="budget_rule_minutes_bounded",
            ),
            models.UniqueConstraint(
                fields=["effective_from"],
                condition=Q(department__isnull=True, staff__isnull=True),
                name="budget_rule_unique_global_day",
            ),
            models.UniqueConstraint(
                fields=["department", "effective_from"],
                condition=Q(department__isnull=False),
                name="budget_rule_unique_department_day",
            ),
            models.UniqueConstraint(
                fields=["staff", "effective_from"],
                condition=Q(staff__isnull=False),
                name="budget_rule_unique_person_day",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_scope_display()}: {self.daily_minutes} min from {self.effective_from}"

    @property
    def scope(self) -> str:
        if self.staff_id:
            return self.Scope.PERSON
        if self.department_id:
            return self.Scope.DEPARTMENT
        return self.Scope.GLOBAL

    def get_scope_display(self) -> str:
        return str(self.Scope(self.scope).label)


class Delegation(models.Model):
    """A supervisor away hands their approvals to someone else for a date range."""

    delegator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("supervisor"),
        on_delete=models.CASCADE,
        related_name="delegations_given",
    )
    delegate = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("delegate"),
        on_delete=models.CASCADE,
        related_name="delegations_received",
    )
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("until"), help_text=_("Inclusive."))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("delegation")
        verbose_name_plural = _("delegations")
        ordering = ["-start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="delegation_range_valid"
            ),
            models.CheckConstraint(
                condition=~Q(delegator=F("delegate")), name="delegation_not_to_self"
            ),
        ]
        indexes = [models.Index(fields=["delegate", "start_date", "end_date"])]

    def __str__(self) -> str:
        return f"{self.delegator} → {self.delegate} ({self.start_date}–{self.end_date})"

    def is_active_on(self, day) -> bool:
        return self.start_date <= day <= self.end_date

    @property
    def is_active(self) -> bool:
        return self.is_active_on(timezone.localdate())

    def clean(self) -> None:
        errors = {}
        if self.start_date and self.end_date and self.end_date < self.start_date:
            errors["end_date"] = _("The end date cannot be before the start date.")
        if self.delegator_id and self.delegator_id == self.delegate_id:
            errors["delegate"] = _("A supervisor cannot delegate to themselves.")
        if errors:
            raise ValidationError(errors)
