"""timelogs pages: a staff member's day, week and month, their entries and their
budget extensions. Every write goes through ``tasks.services``; every object through
``tasks.permissions``."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from departments.web import add_service_errors, safe_next_url
from tasks import permissions, selectors, services
from tasks.forms.timelogs import (
    MINUTES_DATALIST_ID,
    QUICK_MINUTES,
    ExtensionRequestForm,
    TimeLogForm,
)
from tasks.history import history_of
from tasks.models import BudgetExtension

PAGE_SIZE = 50
# Dates only used for their weekday names in the calendar header: 1 January 2024 was a Monday.
MONDAY_TO_SUNDAY = [datetime.date(2024, 1, n) for n in range(1, 8)]


def _staff_profile(request: HttpRequest):
    """The profile of a person who may log time; 403 for everybody else."""
    if not permissions.can_log_time(request.user):
        raise PermissionDenied
    return request.user.profile


def _week_url(day: datetime.date) -> str:
    return f"{reverse('tasks:my_week')}?start={day.isoformat()}"


# --------------------------------------------------------------------------- today


@require_http_methods(["GET", "POST"])
def today(request: HttpRequest) -> HttpResponse:
    profile = _staff_profile(request)
    day = timezone.localdate()
    form = TimeLogForm(request.POST or None, user=request.user, initial={"day": day})
    if request.method == "POST" and form.is_valid():
        try:
            log = services.time_log_create(
                staff=profile, actor=request.user, **form.service_kwargs()
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("Logged %(minutes)d minutes for %(day)s.")
                % {"minutes": log.minutes, "day": date_format(log.day, "SHORT_DATE_FORMAT")},
            )
            return redirect("tasks:today")
    summary = selectors.days_summary(staff=profile, start=day, end=day)[0]
    context = {
        "form": form,
        "summary": summary,
        "today": day,
        "quick_minutes": QUICK_MINUTES,
        "datalist_id": MINUTES_DATALIST_ID,
    }
    return render(request, "tasks/today.html", context)


# --------------------------------------------------------------------------- week / month


def _parse_day(value: str | None) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _parse_month(value: str | None) -> datetime.date | None:
    try:
        return datetime.datetime.strptime(value, "%Y-%m").date() if value else None  # noqa: DTZ007
    except ValueError:
        return None


@require_GET
def my_week(request: HttpRequest) -> HttpResponse:
    profile = _staff_profile(request)
    today_ = timezone.localdate()
    requested = request.GET.get("start")
    anchor = _parse_day(requested)
    if requested and anchor is None:
        messages.warning(request, _("That date could not be read; here is the current week."))
    start, end = selectors.week_bounds(anchor or today_)
    days = selectors.days_summary(staff=profile, start=start, end=end)
    logs = [log for summary in days for log in summary.logs]
    previous_start = start - datetime.timedelta(days=7)
    next_start = start + datetime.timedelta(days=7)
    context = {
        "days": days,
        "start": start,
        "end": end,
        "today": today_,
        "total": sum(summary.counted for summary in days),
        "approved": sum(summary.approved for summary in days),
        "budget": sum(summary.budget for summary in days),
        "extension": sum(summary.extension for summary in days),
        "cap": sum(summary.cap for summary in days),
        "categories": selectors.category_totals(logs),
        "has_logs": bool(logs),
        "previous_url": _week_url(previous_start),
        "next_url": _week_url(next_start) if next_start <= today_ else "",
        "current_url": reverse("tasks:my_week") if not start <= today_ <= end else "",
    }
    return render(request, "tasks/week.html", context)


def _month_url(day: datetime.date) -> str:
    return f"{reverse('tasks:my_month')}?month={day:%Y-%m}"


@require_GET
def my_month(request: HttpRequest) -> HttpResponse:
    profile = _staff_profile(request)
    today_ = timezone.localdate()
    requested = request.GET.get("month")
    anchor = _parse_month(requested)
    if requested and anchor is None:
        messages.warning(request, _("That month could not be read; here is the current month."))
    start, end = selectors.month_bounds(anchor or today_)
    days = selectors.days_summary(staff=profile, start=start, end=end)
    logs = [log for summary in days for log in summary.logs]
    # Calendar rows from Monday to Sunday; None pads the days outside the month.
    lead_blanks = [None] * start.weekday()
    cells = lead_blanks + days
    cells += [None] * (-len(cells) % 7)
    weeks = [cells[n : n + 7] for n in range(0, len(cells), 7)]
    previous_month = (start - datetime.timedelta(days=1)).replace(day=1)
    next_month = end + datetime.timedelta(days=1)
    context = {
        "weeks": weeks,
        "weekday_names": MONDAY_TO_SUNDAY,
        "start": start,
        "end": end,
        "today": today_,
        "total": sum(summary.counted for summary in days),
        "approved": sum(summary.approved for summary in days),
        "budget": sum(summary.budget for summary in days),
        "extension": sum(summary.extension for summary in days),
        "cap": sum(summary.cap for summary in days),
        "days_with_logs": sum(1 for summary in days if summary.counted),
        "categories": selectors.category_totals(logs),
        "has_logs": bool(logs),
        "previous_url": _month_url(previous_month),
        "next_url": _month_url(next_month) if next_month <= today_ else "",
        "current_url": reverse("tasks:my_month") if not start <= today_ <= end else "",
    }
    return render(request, "tasks/month.html", context)


# --------------------------------------------------------------------------- one entry


@require_GET
def log_detail(request: HttpRequest, pk: int) -> HttpResponse:
    log = permissions.get_time_log_for_user(request.user, pk)
    context = {
        "log": log,
        "history": history_of(log),
        "can_change": permissions.can_change_time_log(request.user, log) and log.is_editable_status,
    }
    return render(request, "tasks/log_detail.html", context)


@require_http_methods(["GET", "POST"])
def log_edit(request: HttpRequest, pk: int) -> HttpResponse:
    log = permissions.get_time_log_for_user(request.user, pk, for_change=True)
    if not log.is_editable_status:
        messages.error(
            request,
            _("This entry was already %(status)s and can no longer be changed.")
            % {"status": log.get_status_display().lower()},
        )
        return redirect("tasks:log_detail", pk=log.pk)
    initial = {
        "day": log.day,
        "minutes": log.minutes,
        "category": log.category_id,
        "task": log.task_id,
        "description": log.description,
        "outcome": log.outcome,
        "duties_done": log.duties_done,
    }
    form = TimeLogForm(
        request.POST or None, user=request.user, current_task_id=log.task_id, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.time_log_update(actor=request.user, log=log, **form.service_kwargs())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Entry saved."))
            return redirect("tasks:log_detail", pk=log.pk)
    context = {
        "form": form,
        "log": log,
        "quick_minutes": QUICK_MINUTES,
        "datalist_id": MINUTES_DATALIST_ID,
    }
    return render(request, "tasks/log_form.html", context)


@require_POST
def log_delete(request: HttpRequest, pk: int) -> HttpResponse:
    log = permissions.get_time_log_for_user(request.user, pk, for_change=True)
    try:
        services.time_log_delete(actor=request.user, log=log)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("tasks:log_detail", pk=log.pk)
    messages.success(
        request,
        _("Entry of %(minutes)d minutes on %(day)s deleted.")
        % {"minutes": log.minutes, "day": date_format(log.day, "SHORT_DATE_FORMAT")},
    )
    return redirect(safe_next_url(request, _week_url(log.day)))


# --------------------------------------------------------------------------- extensions


@require_http_methods(["GET", "POST"])
def my_extensions(request: HttpRequest) -> HttpResponse:
    profile = _staff_profile(request)
    form = ExtensionRequestForm(request.POST or None, initial={"day": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            extension = services.extension_request(staff=profile, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("Your request for %(minutes)d extra minutes went to your line supervisor.")
                % {"minutes": extension.minutes},
            )
            return redirect("tasks:extension_detail", pk=extension.pk)
    extensions = BudgetExtension.objects.filter(staff=profile).select_related("decided_by")
    page = Paginator(extensions, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "has_supervisor": bool(profile.line_supervisor_id)}
    return render(request, "tasks/extensions.html", context)


@require_GET
def extension_detail(request: HttpRequest, pk: int) -> HttpResponse:
    extension = permissions.get_extension_for_user(request.user, pk)
    is_owner = extension.staff.user_id == request.user.pk
    context = {
        "extension": extension,
        "history": history_of(extension),
        "is_owner": is_owner,
        "is_pending": extension.status == BudgetExtension.Status.REQUESTED,
        "can_decide": permissions.can_decide_extension(request.user, extension),
    }
    return render(request, "tasks/extension_detail.html", context)


@require_POST
def extension_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    extension = permissions.get_extension_for_user(request.user, pk)
    try:
        services.extension_withdraw(actor=request.user, extension=extension)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Request withdrawn."))
    return redirect("tasks:extension_detail", pk=extension.pk)


urlpatterns = [
    path("today/", today, name="today"),
    path("week/", my_week, name="my_week"),
    path("month/", my_month, name="my_month"),
    path("logs/<int:pk>/", log_detail, name="log_detail"),
    path("logs/<int:pk>/edit/", log_edit, name="log_edit"),
    path("logs/<int:pk>/delete/", log_delete, name="log_delete"),
    path("extensions/", my_extensions, name="my_extensions"),
    path("extensions/<int:pk>/", extension_detail, name="extension_detail"),
    path("extensions/<int:pk>/withdraw/", extension_withdraw, name="extension_withdraw"),
]
