"""Django admin for assist work: configuration (categories) and a view on the records.

Decisions on time (approve / reject, outcome review) are taken on the pages, through the
services and their history; the admin shows them read-only so that nobody bypasses the
trail. The state-change trail itself is append-only.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from tasks.models import (
    AssistCategory,
    BudgetExtension,
    MarketingTask,
    StateChange,
    TaskAssignment,
    TaskComment,
    TimeLog,
)


@admin.register(AssistCategory)
class AssistCategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "name_zh_hans", "code", "reward_class", "order", "is_active"]
    list_editable = ["order", "is_active"]
    list_filter = ["reward_class", "is_active"]
    search_fields = ["code", "name", "name_zh_hans"]
    ordering = ["order", "name"]


class TaskAssignmentInline(admin.TabularInline):
    model = TaskAssignment
    extra = 0
    fields = ["assignee", "status", "outcome", "decline_reason", "responded_at"]
    # Answers are the assignee's, given on "My tasks" with their history.
    readonly_fields = ["status", "outcome", "decline_reason", "responded_at"]
    autocomplete_fields = ["assignee"]


class TaskCommentInline(admin.TabularInline):
    model = TaskComment
    extra = 0
    fields = ["author", "body", "created_at"]
    readonly_fields = ["created_at"]
    autocomplete_fields = ["author"]


@admin.register(MarketingTask)
class MarketingTaskAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "category",
        "created_by",
        "due_date",
        "estimated_minutes",
        "status",
        "created_at",
    ]
    list_filter = ["status", "category", "due_date"]
    search_fields = ["title", "description", "created_by__username", "created_by__last_name"]
    list_select_related = ["category", "created_by"]
    autocomplete_fields = ["created_by"]
    # Status moves only through the pages (transitions checked, history recorded).
    readonly_fields = ["status", "created_at", "updated_at"]
    date_hierarchy = "due_date"
    inlines = [TaskAssignmentInline, TaskCommentInline]


@admin.register(TimeLog)
class TimeLogAdmin(admin.ModelAdmin):
    list_display = [
        "day",
        "staff",
        "minutes",
        "category",
        "task",
        "status",
        "outcome_status",
    ]
    list_filter = ["status", "category", "day", "outcome_status"]
    search_fields = [
        "staff__employee_number",
        "staff__user__username",
        "staff__user__first_name",
        "staff__user__last_name",
        "description",
    ]
    list_select_related = ["staff", "staff__user", "category", "task"]
    autocomplete_fields = ["staff", "task"]
    date_hierarchy = "day"
    # Person, day and minutes count against the day's budget (rule 1), which only the
    # services enforce under the day lock; decisions carry their own history.
    readonly_fields = [
        "staff",
        "day",
        "minutes",
        "status",
        "decided_by",
        "decided_at",
        "rejection_reason",
        "outcome_status",
        "outcome_note",
        "outcome_by",
        "outcome_at",
        "created_at",
        "updated_at",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "staff",
                    "day",
                    "minutes",
                    "category",
                    "task",
                    "description",
                    "outcome",
                    "duties_done",
                ]
            },
        ),
        (
            _("Decision"),
            {"fields": ["status", "decided_by", "decided_at", "rejection_reason"]},
        ),
        (
            _("Outcome review"),
            {"fields": ["outcome_status", "outcome_note", "outcome_by", "outcome_at"]},
        ),
        (_("Record"), {"fields": ["created_at", "updated_at"]}),
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(BudgetExtension)
class BudgetExtensionAdmin(admin.ModelAdmin):
    list_display = ["day", "staff", "minutes", "status", "decided_by", "decided_at"]
    list_filter = ["status", "day"]
    search_fields = [
        "staff__employee_number",
        "staff__user__username",
        "staff__user__first_name",
        "staff__user__last_name",
        "reason",
    ]
    list_select_related = ["staff", "staff__user", "decided_by"]
    autocomplete_fields = ["staff"]
    date_hierarchy = "day"
    readonly_fields = ["status", "decided_by", "decided_at", "decision_note", "created_at"]

    def get_readonly_fields(self, request, obj=None):
        # A decided request is part of a day's budget; its terms no longer change.
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.status != BudgetExtension.Status.REQUESTED:
            fields += ["staff", "day", "minutes", "reason"]
        return fields


@admin.register(StateChange)
class StateChangeAdmin(admin.ModelAdmin):
    list_display = ["at", "content_type", "object_id", "from_state", "to_state", "actor"]
    list_filter = ["content_type", "to_state", "at"]
    search_fields = ["actor__username", "reason", "object_id"]
    list_select_related = ["content_type", "actor"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
