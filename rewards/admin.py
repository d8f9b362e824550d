"""Django admin for rewards: configuration (reward rules and their tiers, periods) and a
read-only view on the records.

States change on the pages, through the services and their history (rule 5): every
status field is read-only here. A paid period is immutable (nothing in it may change or
be deleted), and neither are its statements and lines.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from rewards.models import (
    Collection,
    CreditShare,
    Inquiry,
    Lead,
    PayoutPeriod,
    RewardLine,
    RewardRule,
    RewardTier,
    RoleModelCandidate,
    Statement,
)
from rewards.services import payouts


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --------------------------------------------------------------------------- rules


class RewardTierInline(admin.TabularInline):
    model = RewardTier
    extra = 0
    fields = ["threshold", "bonus"]


@admin.register(RewardRule)
class RewardRuleAdmin(admin.ModelAdmin):
    list_display = [
        "kind",
        "effective_from",
        "amount_per_approved_hour",
        "amount_per_completed_task",
        "monthly_cap_per_person",
        "percent_of_collected",
        "cap_per_lead",
        "holdback_days",
        "note",
    ]
    list_filter = ["kind", "effective_from"]
    ordering = ["kind", "-effective_from"]
    date_hierarchy = "effective_from"
    inlines = [RewardTierInline]


# --------------------------------------------------------------------------- periods

PERIOD_STATE_FIELDS = [
    "status",
    "closed_at",
    "closed_by",
    "calculation_state",
    "calculation_run",
    "calculation_done",
    "calculation_total",
    "calculation_error",
    "calculated_at",
    "approved_at",
    "approved_by",
    "paid_at",
    "paid_by",
]


def _period_action(name, service, done_message):
    def action(modeladmin, request, queryset):
        done = 0
        for period in queryset.order_by("start_date"):
            try:
                service(actor=request.user, period=period)
            except (ValidationError, PermissionDenied) as error:
                text = "; ".join(getattr(error, "messages", [])) or str(_("Not allowed."))
                modeladmin.message_user(request, f"{period}: {text}", messages.ERROR)
            else:
                done += 1
        if done:
            modeladmin.message_user(request, done_message(done) % {"count": done})

    action.__name__ = name
    return action


close_periods = admin.action(description=_("Close the selected periods for logging"))(
    _period_action(
        "close_periods",
        payouts.payout_period_close,
        lambda n: ngettext("%(count)d period closed.", "%(count)d periods closed.", n),
    )
)
calculate_periods = admin.action(description=_("Calculate the selected periods"))(
    _period_action(
        "calculate_periods",
        payouts.payout_period_request_calculation,
        lambda n: ngettext(
            "Calculation of %(count)d period queued.", "Calculation of %(count)d periods queued.", n
        ),
    )
)
mark_periods_paid = admin.action(description=_("Mark the selected periods paid"))(
    _period_action(
        "mark_periods_paid",
        payouts.payout_period_mark_paid,
        lambda n: ngettext("%(count)d period marked paid.", "%(count)d periods marked paid.", n),
    )
)


@admin.register(PayoutPeriod)
class PayoutPeriodAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "start_date",
        "end_date",
        "status",
        "calculation_state",
        "calculated_at",
        "approved_at",
        "paid_at",
    ]
    list_filter = ["status", "calculation_state"]
    ordering = ["-start_date"]
    fields = ["start_date", "end_date", *PERIOD_STATE_FIELDS]
    actions = [close_periods, calculate_periods, mark_periods_paid]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return PERIOD_STATE_FIELDS
        # Statements hang on the month: once created, a period keeps its dates.
        return ["start_date", "end_date", *PERIOD_STATE_FIELDS]

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_paid:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.status != PayoutPeriod.Status.OPEN:
            return False
        return super().has_delete_permission(request, obj)


# --------------------------------------------------------------------------- statements


class RewardLineInline(ReadOnlyInline):
    model = RewardLine
    fields = ["source", "amount", "lead", "reason", "explanation", "created_by", "created_at"]
    readonly_fields = fields


@admin.register(Statement)
class StatementAdmin(admin.ModelAdmin):
    list_display = ["period", "staff", "total", "status", "approved_at", "updated_at"]
    list_filter = ["status", "period"]
    list_select_related = ["period", "staff", "staff__user"]
    search_fields = [
        "staff__employee_number",
        "staff__user__username",
        "staff__user__first_name",
        "staff__user__last_name",
    ]
    fields = [
        "period",
        "staff",
        "total",
        "status",
        "recommended_by",
        "recommended_at",
        "returned_note",
        "approved_by",
        "approved_at",
        "calculated_run",
        "updated_at",
    ]
    # Totals come from the lines and states from the sign-off services.
    readonly_fields = fields
    inlines = [RewardLineInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.period.is_paid:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and (obj.period.is_frozen or obj.status in Statement.SIGNED_OFF):
            return False
        return super().has_delete_permission(request, obj)


@admin.register(RewardLine)
class RewardLineAdmin(admin.ModelAdmin):
    list_display = ["statement", "source", "amount", "lead", "created_at"]
    list_filter = ["source", "statement__period"]
    list_select_related = ["statement", "statement__period", "lead"]
    fields = ["statement", "source", "amount", "lead", "reason", "explanation", "created_by"]
    # Lines come from the calculation and from adjustments on the statement page.
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.statement.period.is_paid:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False


# --------------------------------------------------------------------------- leads


class CollectionInline(ReadOnlyInline):
    model = Collection
    fields = ["kind", "received_on", "amount", "note", "recorded_by", "created_at"]
    readonly_fields = fields


class CreditShareInline(ReadOnlyInline):
    model = CreditShare
    fields = ["staff", "percent", "role"]
    readonly_fields = fields


@admin.register(Lead)
class LeadAdmin(admin.ModelAdmin):
    list_display = [
        "client_name",
        "introducer",
        "marketing_lead",
        "status",
        "estimated_value",
        "contract_amount",
        "claim_status",
        "created_at",
    ]
    list_filter = ["status", "claim_status"]
    list_select_related = ["introducer", "introducer__user", "marketing_lead"]
    search_fields = ["client_name", "contact", "introducer__employee_number"]
    fields = [
        "client_name",
        "contact",
        "introducer",
        "marketing_lead",
        "need",
        "estimated_value",
        "status",
        "contract_amount",
        "won_on",
        "lost_reason",
        "protected_until",
        "conflicting_lead",
        "claim_status",
        "claim_note",
        "key_role_confirmed",
        "created_at",
        "updated_at",
    ]
    # Introductions, client protection, wins, collections and splits are recorded on the
    # lead pages, whose services keep the client keys and the history.
    readonly_fields = [
        "client_name",
        "contact",
        "introducer",
        "status",
        "contract_amount",
        "won_on",
        "lost_reason",
        "protected_until",
        "conflicting_lead",
        "claim_status",
        "claim_note",
        "key_role_confirmed",
        "created_at",
        "updated_at",
    ]
    inlines = [CollectionInline, CreditShareInline]

    def has_add_permission(self, request):
        return False


# --------------------------------------------------------------------------- inquiries, role models


@admin.register(Inquiry)
class InquiryAdmin(admin.ModelAdmin):
    list_display = ["line", "raised_by", "status", "created_at", "answered_by", "answered_at"]
    list_filter = ["status"]
    list_select_related = ["line", "raised_by", "answered_by"]
    fields = [
        "line",
        "raised_by",
        "question",
        "status",
        "answer",
        "answered_by",
        "answered_at",
        "created_at",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False


@admin.register(RoleModelCandidate)
class RoleModelCandidateAdmin(admin.ModelAdmin):
    list_display = [
        "period",
        "department",
        "staff",
        "score",
        "approved_minutes",
        "leads_won",
        "revenue_collected",
        "outcomes_confirmed",
        "nominated",
    ]
    list_filter = ["nominated", "period", "department"]
    list_select_related = ["period", "department", "staff", "staff__user"]
    fields = [
        "period",
        "department",
        "staff",
        "approved_minutes",
        "leads_won",
        "revenue_collected",
        "outcomes_confirmed",
        "score",
        "nominated",
        "citation",
        "nominated_by",
        "nominated_at",
    ]
    # Proposed by the calculation, nominated by line supervisors on their page.
    readonly_fields = fields

    def has_add_permission(self, request):
        return False
