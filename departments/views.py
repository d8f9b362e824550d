import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from departments import selectors, services
from departments.forms import BudgetRuleForm, DelegationForm, ProfileForm
from departments.models import BudgetRule
from departments.permissions import (
    can_delegate,
    can_edit_profile,
    can_manage_budget,
    get_delegation_for_user,
    get_profile_for_user,
)
from departments.roles import get_profile
from departments.web import add_service_errors


def home(request: HttpRequest) -> HttpResponse:
    """Each role lands where its daily work is."""
    from django.urls import NoReverseMatch, reverse

    from departments.roles import Role, roles_for

    roles = roles_for(request.user)
    destinations = [
        (Role.STAFF, "tasks:today"),
        (Role.LINE_SUPERVISOR, "tasks:approval_queue"),
        (Role.MARKETING_LEAD, "tasks:task_board"),
        (Role.FINANCE, "rewards:periods"),
    ]
    for role, url_name in destinations:
        if role in roles:
            try:
                return redirect(reverse(url_name))
            except NoReverseMatch:
                continue
    if get_profile(request.user) is None:
        return redirect("departments:org_chart")
    return redirect("departments:my_profile")


def _profile_page(request, profile):
    today = timezone.localdate()
    context = {
        "profile": profile,
        "budget_today": selectors.budget_minutes_for(staff=profile, day=today),
        "reports": selectors.reports_of(user=profile.user),
        "marketing_reports": selectors.marketing_reports_of(user=profile.user),
        "collaborators": selectors.collaborators_of(profile=profile),
        "can_edit": can_edit_profile(request.user, profile),
        "can_manage_budget": can_manage_budget(request.user, profile),
        "is_self": profile.user_id == request.user.pk,
    }
    return render(request, "departments/profile.html", context)


@require_GET
def my_profile(request: HttpRequest) -> HttpResponse:
    profile = get_profile(request.user)
    if profile is None:
        return render(request, "departments/no_profile.html", status=404)
    return _profile_page(request, get_profile_for_user(request.user, profile.pk))


@require_GET
def profile_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _profile_page(request, get_profile_for_user(request.user, pk))


@require_http_methods(["GET", "POST"])
def profile_edit(request: HttpRequest, pk: int) -> HttpResponse:
    profile = get_profile_for_user(request.user, pk, for_change=True)
    form = ProfileForm(request.POST or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        services.staff_profile_update(
            profile=profile, **{name: form.cleaned_data[name] for name in form.fields}
        )
        messages.success(request, _("Profile saved."))
        return redirect("departments:profile", pk=profile.pk)
    return render(request, "departments/profile_edit.html", {"profile": profile, "form": form})


@require_http_methods(["GET", "POST"])
def budget(request: HttpRequest, pk: int) -> HttpResponse:
    profile = get_profile_for_user(request.user, pk)
    may_manage = can_manage_budget(request.user, profile)
    if request.method == "POST" and not may_manage:
        raise PermissionDenied
    form = BudgetRuleForm(request.POST or None) if may_manage else None
    if request.method == "POST" and form.is_valid():
        try:
            services.budget_rule_create(actor=request.user, staff=profile, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Budget change saved."))
            return redirect("departments:budget", pk=profile.pk)
    today = timezone.localdate()
    upcoming = [today + datetime.timedelta(days=n) for n in range(7)]
    context = {
        "profile": profile,
        "form": form,
        "rules": BudgetRule.objects.filter(staff=profile).select_related("created_by"),
        "department_rules": BudgetRule.objects.filter(
            department_id=profile.department_id
        ).select_related("created_by"),
        "week": sorted(selectors.budget_minutes_for_days(staff=profile, days=upcoming).items()),
        "budget_today": selectors.budget_minutes_for(staff=profile, day=today),
        "today": today,
    }
    return render(request, "departments/budget.html", context)


@require_POST
def budget_rule_delete(request: HttpRequest, pk: int, rule_pk: int) -> HttpResponse:
    profile = get_profile_for_user(request.user, pk)
    if not can_manage_budget(request.user, profile):
        raise PermissionDenied
    rule = get_object_or_404(BudgetRule, pk=rule_pk, staff=profile)
    try:
        services.budget_rule_delete(rule=rule)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Budget change withdrawn."))
    return redirect("departments:budget", pk=profile.pk)


@require_GET
def org_chart(request: HttpRequest) -> HttpResponse:
    return render(request, "departments/org_chart.html", {"tree": selectors.org_chart()})


@require_http_methods(["GET", "POST"])
def delegations(request: HttpRequest) -> HttpResponse:
    may_delegate = can_delegate(request.user)
    if request.method == "POST" and not may_delegate:
        raise PermissionDenied
    form = DelegationForm(request.POST or None, user=request.user) if may_delegate else None
    if request.method == "POST" and form.is_valid():
        try:
            services.delegation_create(delegator=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Delegation saved."))
            return redirect("departments:delegations")
    context = {
        "form": form,
        "delegations": selectors.delegations_for(user=request.user),
        "today": timezone.localdate(),
    }
    return render(request, "departments/delegations.html", context)


@require_POST
def delegation_end(request: HttpRequest, pk: int) -> HttpResponse:
    delegation = get_delegation_for_user(request.user, pk)
    services.delegation_end(delegation=delegation)
    messages.success(request, _("Delegation ended."))
    return redirect("departments:delegations")


def _broker_status() -> str:
    from config.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as error:
        return f"error: {error.__class__.__name__}"
    return "ok"


def _database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:
        return f"error: {error.__class__.__name__}"
    return "ok"


@login_not_required
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _database_status(), "broker": _broker_status()}
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503
    )


@login_not_required
@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switch, also remembered on the profile for emails."""
    from django.conf import settings
    from django.views.i18n import set_language as django_set_language

    response = django_set_language(request)
    language = request.POST.get("language")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        services.staff_profile_set_language(user=request.user, language=language)
    return response
