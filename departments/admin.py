from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from departments.models import BudgetRule, Delegation, Department, StaffProfile


class BudgetRuleInline(admin.TabularInline):
    model = BudgetRule
    extra = 0
    fields = ["daily_minutes", "effective_from", "note", "created_by", "created_at"]
    readonly_fields = ["created_by", "created_at"]


class StaffProfileInline(admin.TabularInline):
    model = StaffProfile
    fk_name = "department"
    extra = 0
    fields = ["user", "employee_number", "title", "line_supervisor", "marketing_lead", "is_active"]
    autocomplete_fields = ["user", "line_supervisor", "marketing_lead"]
    show_change_link = True


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "kind", "parent", "head"]
    list_filter = ["kind"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["parent", "head"]
    inlines = [BudgetRuleInline, StaffProfileInline]

    def get_inline_instances(self, request, obj=None):
        # Inline budgets need the department scope only; people are listed for context.
        return super().get_inline_instances(request, obj) if obj else []


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):
    list_display = [
        "employee_number",
        "display_name",
        "department",
        "title",
        "line_supervisor",
        "marketing_lead",
        "is_marketing_lead",
        "is_active",
    ]
    list_filter = ["is_active", "is_marketing_lead", "department__kind", "department"]
    search_fields = [
        "employee_number",
        "user__username",
        "user__first_name",
        "user__last_name",
        "user__email",
        "title",
    ]
    list_select_related = ["user", "department", "line_supervisor", "marketing_lead"]
    autocomplete_fields = ["user", "department", "line_supervisor", "marketing_lead"]
    inlines = [BudgetRuleInline]
    fieldsets = [
        (None, {"fields": ["user", "employee_number", "department", "title", "is_active"]}),
        (
            _("Supervisors"),
            {"fields": ["line_supervisor", "marketing_lead", "is_marketing_lead"]},
        ),
        (_("Goals and duties"), {"fields": ["goals", "primary_duties", "auxiliary_duties"]}),
        (_("Preferences"), {"fields": ["language"]}),
    ]

    @admin.display(description=_("name"), ordering="user__first_name")
    def display_name(self, obj):
        return obj.display_name


@admin.register(BudgetRule)
class BudgetRuleAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "department",
        "staff",
        "daily_minutes",
        "effective_from",
        "created_by",
    ]
    list_filter = ["effective_from", "department"]
    search_fields = ["staff__employee_number", "staff__user__username", "department__name", "note"]
    autocomplete_fields = ["department", "staff"]
    readonly_fields = ["created_by", "created_at"]
    date_hierarchy = "effective_from"

    def save_model(self, request, obj, form, change):
        if not obj.created_by_id:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Delegation)
class DelegationAdmin(admin.ModelAdmin):
    list_display = ["delegator", "delegate", "start_date", "end_date", "reason"]
    list_filter = ["start_date", "end_date"]
    search_fields = ["delegator__username", "delegate__username", "reason"]
    autocomplete_fields = ["delegator", "delegate"]
    date_hierarchy = "start_date"
