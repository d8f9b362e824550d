import csv

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.forms.models import BaseInlineFormSet, InlineForeignKeyField
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from departments import importing
from departments.models import BudgetRule, Delegation, Department, StaffProfile
from departments.roles import is_admin
from departments.services import budget_rule_create, budget_rule_delete


def _in_effect(rule: BudgetRule | None) -> bool:
    return bool(rule and rule.pk and rule.effective_from <= timezone.localdate())


class BudgetRuleAdminForm(forms.ModelForm):
    """A budget never rewrites the past: no new rule before today, and a rule that is
    already in effect stays as it is (its fields are disabled, so posted values are ignored)."""

    class Meta:
        model = BudgetRule
        fields = ["department", "staff", "daily_minutes", "effective_from", "note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.in_effect = _in_effect(self.instance)
        if self.in_effect:
            for field in self.fields.values():
                if not isinstance(field, InlineForeignKeyField):
                    field.disabled = True

    def clean(self):
        cleaned = super().clean()
        if self.in_effect:
            if self.has_changed():
                raise forms.ValidationError(
                    _("This budget is already in effect and cannot be changed; add a new one.")
                )
            return cleaned
        day = cleaned.get("effective_from")
        if day and day < timezone.localdate():
            self.add_error(
                "effective_from",
                _("A budget change cannot start in the past; choose today or later."),
            )
        department, staff = cleaned.get("department"), cleaned.get("staff")
        if department is not None and staff is not None:
            raise forms.ValidationError(
                _("A budget applies to a department or to a person, not both.")
            )
        scope_saved = all(getattr(owner, "pk", True) for owner in (department, staff))
        if day and scope_saved:
            clash = BudgetRule.objects.filter(
                department=department, staff=staff, effective_from=day
            ).exclude(pk=self.instance.pk)
            if clash.exists():
                self.add_error(
                    "effective_from",
                    _("A budget already starts on this day; choose another day."),
                )
        return cleaned


class BudgetRuleInlineFormSet(BaseInlineFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        if getattr(form, "in_effect", False) and "DELETE" in form.fields:
            form.fields["DELETE"].disabled = True


class BudgetRuleInline(admin.TabularInline):
    model = BudgetRule
    form = BudgetRuleAdminForm
    formset = BudgetRuleInlineFormSet
    extra = 0
    fields = ["daily_minutes", "effective_from", "note", "created_by", "created_at"]
    readonly_fields = ["created_by", "created_at"]


class BudgetRuleFormsetMixin:
    """New inline budgets go through the same service as every other caller."""

    def save_formset(self, request, form, formset, change):
        if formset.model is not BudgetRule:
            return super().save_formset(request, form, formset, change)
        rules = formset.save(commit=False)
        for rule in formset.deleted_objects:
            budget_rule_delete(rule=rule)
        for rule in rules:
            if rule.pk is None:
                budget_rule_create(
                    actor=request.user,
                    daily_minutes=rule.daily_minutes,
                    effective_from=rule.effective_from,
                    department=rule.department,
                    staff=rule.staff,
                    note=rule.note,
                )
            else:
                # Only rules not yet in effect get here: the form disables the others.
                rule.save()
        return None


class StaffProfileInline(admin.TabularInline):
    model = StaffProfile
    fk_name = "department"
    extra = 0
    fields = ["user", "employee_number", "title", "line_supervisor", "marketing_lead", "is_active"]
    autocomplete_fields = ["user", "line_supervisor", "marketing_lead"]
    show_change_link = True


def can_import(request) -> bool:
    user = request.user
    return is_admin(user) and user.has_perms(
        ["departments.change_staffprofile", "departments.change_department"]
    )


@admin.register(Department)
class DepartmentAdmin(BudgetRuleFormsetMixin, admin.ModelAdmin):
    list_display = ["name", "code", "kind", "parent", "head"]
    list_filter = ["kind"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["parent", "head"]
    inlines = [BudgetRuleInline, StaffProfileInline]

    def get_inline_instances(self, request, obj=None):
        # Inline budgets need the department scope only; people are listed for context.
        return super().get_inline_instances(request, obj) if obj else []

    def changelist_view(self, request, extra_context=None):
        extra_context = {"can_import": can_import(request), **(extra_context or {})}
        return super().changelist_view(request, extra_context)


class OrgImportForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_("A .csv (UTF-8) or .xlsx file of at most 5 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(importing.ALLOWED_EXTENSIONS)}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(importing.ALLOWED_EXTENSIONS):
            raise forms.ValidationError(
                _("Only CSV (.csv) and Excel (.xlsx) files can be imported.")
            )
        if upload.size > importing.MAX_IMPORT_BYTES:
            raise forms.ValidationError(_("The file is larger than 5 MB; split it up."))
        return upload


DEPARTMENT_COLUMN_HELP = [
    ("code", _("unique short code, e.g. ENG (letters, digits, - and _)")),
    ("name", _("department name")),
    ("kind", _("marketing or non_marketing")),
    ("parent_code", _("code of the parent department; empty at the top of the tree")),
    ("head_employee_number", _("optional column: employee number of the head")),
]
PEOPLE_COLUMN_HELP = [
    ("employee_number", _("unique; identifies the person on a re-import")),
    ("username", _("sign-in name; new people get no password until one is set")),
    ("first_name", ""),
    ("last_name", ""),
    ("email", ""),
    ("department_code", _("code of an existing department or one in the same workbook")),
    ("title", ""),
    ("line_supervisor_employee_number", _("may be empty")),
    ("marketing_lead_employee_number", _("a marketing lead in a marketing department")),
    ("is_marketing_lead", _("yes or no")),
    ("daily_budget_minutes", _("optional column: 0 to 480, a new budget from today")),
    ("active", _("optional column: yes or no")),
]


@admin.register(StaffProfile)
class StaffProfileAdmin(BudgetRuleFormsetMixin, admin.ModelAdmin):
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

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}_import"
        wrap = self.admin_site.admin_view
        return [
            path("import/", wrap(self.import_view), name=prefix),
            path(
                "import/departments.csv",
                wrap(self.departments_template_view),
                name=f"{prefix}_departments_template",
            ),
            path(
                "import/people.csv",
                wrap(self.people_template_view),
                name=f"{prefix}_people_template",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {"can_import": can_import(request), **(extra_context or {})}
        return super().changelist_view(request, extra_context)

    def import_view(self, request):
        if not can_import(request):
            raise PermissionDenied
        errors: list[importing.ImportIssue] = []
        if request.method == "POST":
            form = OrgImportForm(request.POST, request.FILES)
            if form.is_valid():
                upload = form.cleaned_data["file"]
                result = importing.org_import(file=upload, filename=upload.name, actor=request.user)
                if result.ok:
                    self.message_user(request, _import_summary(result), messages.SUCCESS)
                    return redirect("admin:departments_staffprofile_changelist")
                errors = result.errors
        else:
            form = OrgImportForm()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Import organisation"),
            "form": form,
            "errors": errors,
            "department_columns": DEPARTMENT_COLUMN_HELP,
            "people_columns": PEOPLE_COLUMN_HELP,
            "max_rows": settings.ALLHANDS_IMPORT_MAX_ROWS,
        }
        return TemplateResponse(request, "admin/departments/import.html", context)

    def departments_template_view(self, request):
        return self._template_response(request, importing.DEPARTMENTS)

    def people_template_view(self, request):
        return self._template_response(request, importing.PEOPLE)

    def _template_response(self, request, kind: str) -> HttpResponse:
        if not can_import(request):
            raise PermissionDenied
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="allhands-{kind}.csv"'
        # The byte-order mark makes Excel read the file as UTF-8 (Chinese names survive).
        response.write("\ufeff")
        csv.writer(response).writerows(importing.sample_rows(kind))
        return response


def _import_summary(result: importing.ImportResult) -> str:
    parts = [
        gettext("Departments: %(created)s created, %(updated)s updated, %(unchanged)s unchanged.")
        % {
            "created": result.departments_created,
            "updated": result.departments_updated,
            "unchanged": result.departments_unchanged,
        },
        gettext("People: %(created)s created, %(updated)s updated, %(unchanged)s unchanged.")
        % {
            "created": result.people_created,
            "updated": result.people_updated,
            "unchanged": result.people_unchanged,
        },
    ]
    if result.budgets_changed:
        parts.append(
            ngettext(
                "%(count)s new budget from today.",
                "%(count)s new budgets from today.",
                result.budgets_changed,
            )
            % {"count": result.budgets_changed}
        )
    return " ".join([gettext("Import done."), *parts])


@admin.register(BudgetRule)
class BudgetRuleAdmin(admin.ModelAdmin):
    form = BudgetRuleAdminForm
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
    actions = ["withdraw_future_rules"]

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not _in_effect(obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not _in_effect(obj)

    def get_actions(self, request):
        # The stock bulk delete would remove budgets already in effect.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        rule = budget_rule_create(
            actor=request.user,
            daily_minutes=obj.daily_minutes,
            effective_from=obj.effective_from,
            department=obj.department,
            staff=obj.staff,
            note=obj.note,
        )
        obj.pk, obj.created_by, obj.created_at = rule.pk, rule.created_by, rule.created_at

    def delete_model(self, request, obj):
        budget_rule_delete(rule=obj)

    @admin.action(
        description=_("Withdraw selected budgets not yet in effect"), permissions=["delete"]
    )
    def withdraw_future_rules(self, request, queryset):
        total = len(queryset)
        withdrawn = 0
        for rule in queryset.filter(effective_from__gt=timezone.localdate()):
            budget_rule_delete(rule=rule)
            withdrawn += 1
        kept = total - withdrawn
        self.message_user(
            request,
            ngettext("%(count)s budget withdrawn.", "%(count)s budgets withdrawn.", withdrawn)
            % {"count": withdrawn},
            messages.SUCCESS,
        )
        if kept:
            self.message_user(
                request,
                ngettext(
                    "%(count)s budget is already in effect and was kept.",
                    "%(count)s budgets are already in effect and were kept.",
                    kept,
                )
                % {"count": kept},
                messages.WARNING,
            )


@admin.register(Delegation)
class DelegationAdmin(admin.ModelAdmin):
    list_display = ["delegator", "delegate", "start_date", "end_date", "reason"]
    list_filter = ["start_date", "end_date"]
    search_fields = ["delegator__username", "delegate__username", "reason"]
    autocomplete_fields = ["delegator", "delegate"]
    date_hierarchy = "start_date"
