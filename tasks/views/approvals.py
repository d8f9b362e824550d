"""Approvals pages: the line supervisor's queue of reports' time and extension requests,
and the marketing lead's outcome reviews. Each decision goes through one service, which
also decides who may take it."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from departments.web import add_service_errors, safe_next_url
from tasks import permissions, selectors, selectors_approvals, selectors_outcomes, services
from tasks.forms.approvals import (
    BulkDecisionForm,
    ExtensionDecisionForm,
    OutcomeFilterForm,
    OutcomeReviewForm,
    QueueFilterForm,
)
from tasks.models import BudgetExtension, TimeLog

logger = logging.getLogger(__name__)

PAGE_SIZE = 50
DATABASE_ERROR = gettext_lazy("Nothing was changed: the database reported an error. Try again.")


def _querystring(request: HttpRequest, names) -> str:
    kept = QueryDict(mutable=True)
    for name in names:
        value = request.GET.get(name)
        if value:
            kept[name] = value
    return f"?{kept.urlencode()}" if kept else ""


def _auto_id(prefix: str, pk: int) -> str:
    return f"id_{prefix}{pk}_%s"


# --------------------------------------------------------------------------- time


@require_http_methods(["GET", "POST"])
def approval_queue(request: HttpRequest) -> HttpResponse:
    if not permissions.can_use_approval_queue(request.user):
        raise PermissionDenied
    decision = BulkDecisionForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and decision.is_valid():
        data = decision.cleaned_data
        try:
            if data["action"] == BulkDecisionForm.APPROVE:
                count = services.time_logs_approve(actor=request.user, log_ids=data["logs"])
                message = ngettext(
                    "%(count)d entry approved.", "%(count)d entries approved.", count
                )
            else:
                count = services.time_logs_reject(
                    actor=request.user, log_ids=data["logs"], reason=data["reason"]
                )
                message = ngettext(
                    "%(count)d entry rejected; the person is told why by email.",
                    "%(count)d entries rejected; each person is told why by email.",
                    count,
                )
        except ValidationError as error:
            add_service_errors(decision, error)
        except DatabaseError:
            # The service is atomic: nothing of the batch was written.
            logger.exception("Bulk decision on time logs failed")
            decision.add_error(None, DATABASE_ERROR)
            status = 503
        else:
            messages.success(request, message % {"count": count})
            return redirect(
                reverse("tasks:approval_queue") + _querystring(request, QueueFilterForm.FIELDS)
            )
    today = timezone.localdate()
    choices = selectors_approvals.queue_choices(user=request.user, day=today)
    filters = QueueFilterForm(
        request.GET, people=choices.active_people, categories=choices.categories
    )
    queue = selectors_approvals.approval_queue(
        user=request.user, day=today, choices=choices, **filters.values()
    )
    request.nav_pending_count = queue.all_entries  # what the navigation badge counts
    selected = set(getattr(decision, "cleaned_data", {}).get("logs") or [])
    for queue_day in queue.days:
        queue_day.checked = bool(selected) and all(log.pk in selected for log in queue_day.logs)
    context = {
        "queue": queue,
        "filters": filters,
        "form": decision,
        "selected": selected,
        "action_url": reverse("tasks:approval_queue")
        + _querystring(request, QueueFilterForm.FIELDS),
    }
    return render(request, "tasks/approval_queue.html", context, status=status)


# --------------------------------------------------------------------------- extensions


@dataclass
class ExtensionRow:
    extension: BudgetExtension
    form: ExtensionDecisionForm
    figures: selectors_approvals.DayFigures
    decided: bool = False


def _extension_form(extension: BudgetExtension, data=None) -> ExtensionDecisionForm:
    return ExtensionDecisionForm(data, auto_id=_auto_id("ext", extension.pk))


def _render_extension_queue(
    request: HttpRequest, *, next_url: str, failed: ExtensionRow | None = None
) -> HttpResponse:
    today = timezone.localdate()
    page = Paginator(
        selectors.pending_extensions(user=request.user, day=today), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    extensions = list(page.object_list)
    if failed is not None and all(e.pk != failed.extension.pk for e in extensions):
        extensions.insert(0, failed.extension)
    figures = selectors_approvals.day_figures(pairs=[(e.staff, e.day) for e in extensions])
    rows = [
        failed
        if failed is not None and failed.extension.pk == extension.pk
        else ExtensionRow(
            extension=extension,
            form=_extension_form(extension),
            figures=figures[(extension.staff.pk, extension.day)],
        )
        for extension in extensions
    ]
    if failed is not None:
        failed.figures = figures[(failed.extension.staff.pk, failed.extension.day)]
    context = {"page": page, "rows": rows, "next_url": next_url}
    return render(request, "tasks/extension_queue.html", context)


@require_GET
def extension_queue(request: HttpRequest) -> HttpResponse:
    if not permissions.can_use_approval_queue(request.user):
        raise PermissionDenied
    return _render_extension_queue(request, next_url=request.get_full_path())


@require_POST
def extension_decide(request: HttpRequest, pk: int) -> HttpResponse:
    extension = permissions.get_extension_for_user(request.user, pk, for_decision=True)
    form = _extension_form(extension, request.POST)
    next_url = safe_next_url(request, default=reverse("tasks:extension_queue"))
    if form.is_valid():
        try:
            extension = services.extension_decide(
                actor=request.user,
                extension=extension,
                grant=form.cleaned_data["decision"] == ExtensionDecisionForm.GRANT,
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if extension.status == BudgetExtension.Status.GRANTED:
                message = _("Extension of %(minutes)d minutes for %(name)s granted.")
            else:
                message = _("Extension of %(minutes)d minutes for %(name)s refused.")
            message %= {"minutes": extension.minutes, "name": extension.staff.display_name}
            if request.htmx:
                row = ExtensionRow(
                    extension=extension, form=form, figures=_figures_of(extension), decided=True
                )
                return render(
                    request,
                    "tasks/_approval_extension_row.html",
                    {"row": row, "next_url": next_url, "message": message},
                )
            messages.success(request, message)
            return redirect(next_url)
    row = ExtensionRow(extension=extension, form=form, figures=_figures_of(extension))
    if request.htmx:
        return render(
            request, "tasks/_approval_extension_row.html", {"row": row, "next_url": next_url}
        )
    if not any(name in form.fields for name in form.errors):
        # Nothing to correct on the form (e.g. decided meanwhile): say so where they were.
        for error in form.non_field_errors():
            messages.error(request, error)
        return redirect(next_url)
    return _render_extension_queue(request, next_url=next_url, failed=row)


def _figures_of(extension: BudgetExtension) -> selectors_approvals.DayFigures:
    return selectors_approvals.day_figures(pairs=[(extension.staff, extension.day)])[
        (extension.staff.pk, extension.day)
    ]


# --------------------------------------------------------------------------- outcomes


@dataclass
class OutcomeRow:
    log: TimeLog
    form: OutcomeReviewForm
    decided: bool = False


def _outcome_form(log: TimeLog, data=None) -> OutcomeReviewForm:
    return OutcomeReviewForm(data, auto_id=_auto_id("outcome", log.pk))


def _render_outcome_queue(
    request: HttpRequest, *, next_url: str, failed: OutcomeRow | None = None
) -> HttpResponse:
    filters = OutcomeFilterForm(request.GET, user=request.user)
    page = Paginator(
        selectors_outcomes.outcomes_to_review(user=request.user, **filters.values()), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    rows = [OutcomeRow(log=log, form=_outcome_form(log)) for log in page.object_list]
    if failed is not None:
        rows = [failed if row.log.pk == failed.log.pk else row for row in rows]
        if all(row is not failed for row in rows):
            rows.insert(0, failed)
    context = {
        "page": page,
        "rows": rows,
        "filters": filters,
        "next_url": next_url,
        "filter_query": _querystring(request, ["task"]),
    }
    return render(request, "tasks/outcome_queue.html", context)


@require_GET
def outcome_queue(request: HttpRequest) -> HttpResponse:
    if not permissions.can_use_outcome_queue(request.user):
        raise PermissionDenied
    return _render_outcome_queue(request, next_url=request.get_full_path())


@require_POST
def log_review_outcome(request: HttpRequest, pk: int) -> HttpResponse:
    log = permissions.get_time_log_for_user(request.user, pk)
    if not permissions.can_review_outcome(request.user, log):
        raise PermissionDenied
    form = _outcome_form(log, request.POST)
    next_url = safe_next_url(request, default=reverse("tasks:outcome_queue"))
    if form.is_valid():
        try:
            log = services.time_log_review_outcome(
                actor=request.user,
                log=log,
                outcome_status=form.cleaned_data["outcome_status"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            message = _("Outcome of %(name)s's entry of %(minutes)d minutes: %(status)s.") % {
                "name": log.staff.display_name,
                "minutes": log.minutes,
                "status": log.get_outcome_status_display(),
            }
            if request.htmx:
                return render(
                    request,
                    "tasks/_approval_outcome_row.html",
                    {
                        "row": OutcomeRow(log=log, form=form, decided=True),
                        "next_url": next_url,
                        "message": message,
                    },
                )
            messages.success(request, message)
            return redirect(next_url)
    row = OutcomeRow(log=log, form=form)
    if request.htmx:
        return render(
            request, "tasks/_approval_outcome_row.html", {"row": row, "next_url": next_url}
        )
    if not any(name in form.fields for name in form.errors):
        for error in form.non_field_errors():
            messages.error(request, error)
        return redirect(next_url)
    return _render_outcome_queue(request, next_url=next_url, failed=row)


urlpatterns = [
    path("approvals/", approval_queue, name="approval_queue"),
    path("approvals/extensions/", extension_queue, name="extension_queue"),
    path("extensions/<int:pk>/decide/", extension_decide, name="extension_decide"),
    path("outcomes/", outcome_queue, name="outcome_queue"),
    path("logs/<int:pk>/outcome/", log_review_outcome, name="log_review_outcome"),
]
