"""Payout pages of finance and admins: the periods, one period with its calculation
progress and statements, the state changes (close, calculate, mark paid) and the payroll
exports. Every change goes through ``rewards.services.payouts``, which also decides who
may make it and when."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from departments.roles import is_admin
from departments.web import safe_next_url
from rewards import exports, permissions, selectors
from rewards.models import PayoutPeriod
from rewards.services import payouts
from tasks.history import history_of

RUNNING_STATES = (PayoutPeriod.CalculationState.QUEUED, PayoutPeriod.CalculationState.RUNNING)


def _require_manager(request: HttpRequest) -> None:
    if not permissions.can_manage_periods(request.user):
        raise PermissionDenied


def _period(pk: int) -> PayoutPeriod:
    try:
        return selectors.period_with_totals(pk=pk)
    except PayoutPeriod.DoesNotExist:
        raise Http404 from None


def _progress_context(period: PayoutPeriod, *, polled: bool = False) -> dict:
    running = period.calculation_state in RUNNING_STATES
    return {
        "period": period,
        "progress": payouts.period_progress(period),
        "polling": running,
        "failed": period.calculation_state == PayoutPeriod.CalculationState.FAILED,
        "finished_while_watching": polled and not running,
    }


@require_GET
def periods(request: HttpRequest) -> HttpResponse:
    _require_manager(request)
    context = {
        "periods": list(selectors.periods_with_totals()),
        "today": timezone.localdate(),
        "statuses": PayoutPeriod.Status,
    }
    return render(request, "rewards/period_list.html", context)


@require_GET
def period_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_manager(request)
    period = _period(pk)
    context = {
        **_progress_context(period),
        "statements": list(selectors.period_statements(period=period)),
        "statements_linkable": is_admin(request.user) or period.is_frozen,
        "history": history_of(period),
        "today": timezone.localdate(),
        "statuses": PayoutPeriod.Status,
    }
    return render(request, "rewards/period_detail.html", context)


@require_GET
def period_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress partial, polled by htmx while the calculation runs."""
    _require_manager(request)
    period = PayoutPeriod.objects.filter(pk=pk).first()
    if period is None:
        raise Http404
    return render(
        request,
        "rewards/_payout_progress.html",
        _progress_context(period, polled=bool(request.htmx)),
    )


def _change(request: HttpRequest, pk: int, action, success: str) -> HttpResponse:
    _require_manager(request)
    period = PayoutPeriod.objects.filter(pk=pk).first()
    if period is None:
        raise Http404
    next_url = safe_next_url(request, default=reverse("rewards:period_detail", args=[period.pk]))
    try:
        action(actor=request.user, period=period)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        period.refresh_from_db(fields=["calculation_state", "calculation_error"])
        if (
            period.calculation_state == PayoutPeriod.CalculationState.FAILED
            and period.calculation_error == "broker unavailable"
        ):
            messages.error(
                request,
                _(
                    "The background worker cannot be reached, so the calculation of "
                    "%(period)s did not start. Try again when it is back."
                )
                % {"period": str(period)},
            )
        else:
            messages.success(request, success % {"period": str(period)})
    return redirect(next_url)


@require_POST
def period_close(request: HttpRequest, pk: int) -> HttpResponse:
    return _change(
        request, pk, payouts.payout_period_close, _("Period %(period)s closed for logging.")
    )


@require_POST
def period_calculate(request: HttpRequest, pk: int) -> HttpResponse:
    return _change(
        request,
        pk,
        payouts.payout_period_request_calculation,
        _("Calculation of %(period)s started; its progress shows on the period's page."),
    )


@require_POST
def period_mark_paid(request: HttpRequest, pk: int) -> HttpResponse:
    return _change(
        request, pk, payouts.payout_period_mark_paid, _("Period %(period)s marked paid.")
    )


@require_GET
def period_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    _require_manager(request)
    if fmt not in exports.FORMATS:
        raise Http404
    period = PayoutPeriod.objects.filter(pk=pk).first()
    if period is None:
        raise Http404
    try:
        content = exports.period_export(period=period, fmt=fmt, actor=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("rewards:period_detail", pk=period.pk)
    response = HttpResponse(content, content_type=exports.CONTENT_TYPES[fmt])
    response["Content-Disposition"] = (
        f'attachment; filename="{exports.export_filename(period=period, fmt=fmt)}"'
    )
    return response


urlpatterns = [
    path("payouts/", periods, name="periods"),
    path("payouts/<int:pk>/", period_detail, name="period_detail"),
    path("payouts/<int:pk>/progress/", period_progress, name="period_progress"),
    path("payouts/<int:pk>/close/", period_close, name="period_close"),
    path("payouts/<int:pk>/calculate/", period_calculate, name="period_calculate"),
    path("payouts/<int:pk>/mark-paid/", period_mark_paid, name="period_mark_paid"),
    path("payouts/<int:pk>/export.<str:fmt>", period_export, name="period_export"),
]
