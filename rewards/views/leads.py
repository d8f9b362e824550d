"""Lead pages: the introducer's "My leads" with the form to introduce a client, one lead
with its money, credit split and history (and, for its marketing lead, the forms that move
it on), and the marketing lead's pipeline. Every write goes through
``rewards.services.leads``; every object through ``rewards.permissions``."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from departments.models import Department
from departments.roles import get_profile
from departments.web import add_service_errors
from rewards import permissions
from rewards.forms.leads import (
    ClaimForm,
    CollectionForm,
    CreditShareFormSet,
    LeadForm,
    LoseForm,
    WinForm,
)
from rewards.models import Collection, Lead
from rewards.money import ZERO
from rewards.services import leads as services
from tasks.history import history_of
from tasks.selectors import assignable_people

PAGE_SIZE = 50
CARDS_PER_COLUMN = 50
PIPELINE_COLUMNS = [
    (Lead.Status.NEW, ("-created_at", "-pk")),
    (Lead.Status.QUALIFIED, ("-updated_at", "-pk")),
    (Lead.Status.WON, ("-won_on", "-pk")),
    (Lead.Status.PAID, ("-won_on", "-pk")),
    (Lead.Status.LOST, ("-updated_at", "-pk")),
]
CARD_RELATED = ("introducer__user", "introducer__department")


# --------------------------------------------------------------------------- my leads


def _render_my_leads(request: HttpRequest, form: LeadForm) -> HttpResponse:
    user = request.user
    mine = services.with_net_collected(
        Lead.objects.filter(introducer__user=user).select_related("marketing_lead")
    )
    shared = services.with_net_collected(
        Lead.objects.filter(credit_shares__staff__user=user)
        .exclude(introducer__user=user)
        .select_related(*CARD_RELATED)
    )
    context = {
        "form": form,
        "page": Paginator(mine, PAGE_SIZE).get_page(request.GET.get("page")),
        "shared": list(shared[:PAGE_SIZE]),
        "today": timezone.localdate(),
        "protection_days": settings.ALLHANDS_CLIENT_PROTECTION_DAYS,
    }
    return render(request, "rewards/my_leads.html", context)


@require_GET
def my_leads(request: HttpRequest) -> HttpResponse:
    if not permissions.can_introduce_lead(request.user):
        raise PermissionDenied
    return _render_my_leads(request, LeadForm())


@require_http_methods(["GET", "POST"])
def lead_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not permissions.can_introduce_lead(user):
        raise PermissionDenied
    form = LeadForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            lead = services.lead_introduce(staff=get_profile(user), **form.service_kwargs())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if lead.claim_status == Lead.Claim.PENDING:
                messages.warning(
                    request,
                    _(
                        "A colleague introduced this client earlier and it is still protected. "
                        "Your lead was recorded; the marketing lead decides whether it counts."
                    ),
                )
            else:
                messages.success(
                    request,
                    _("Thank you! “%(client)s” is protected for you until %(until)s.")
                    % {
                        "client": lead.client_name,
                        "until": date_format(lead.protected_until, "SHORT_DATE_FORMAT"),
                    },
                )
            return redirect("rewards:lead_detail", pk=lead.pk)
    if request.method == "POST" and request.POST.get("from") == "my_leads":
        return _render_my_leads(request, form)
    context = {"form": form, "protection_days": settings.ALLHANDS_CLIENT_PROTECTION_DAYS}
    return render(request, "rewards/lead_form.html", context)


# --------------------------------------------------------------------------- detail


def _state_label(state: str) -> str:
    """Names for the lead's own history states (the shared history template names the
    statuses): ``claim:pending``, ``collected:700.00``, ``key_role:confirmed``, ``split:set``."""
    kind, _sep, value = state.partition(":")
    if kind == "claim" and value in Lead.Claim.values:
        return str(Lead.Claim(value).label)
    if kind == "collected":
        return _("%(amount)s collected") % {"amount": f"{value} {settings.ALLHANDS_CURRENCY}"}
    labels = {
        "key_role:open": _("Key role not confirmed"),
        "key_role:confirmed": _("Key role confirmed"),
        "split:introducer": _("All credit to the introducer"),
        "split:set": _("Credit split set"),
    }
    return labels.get(state, state)


def _history(lead: Lead) -> list:
    changes = list(history_of(lead))
    for change in changes:
        change.from_state = _state_label(change.from_state)
        change.to_state = _state_label(change.to_state)
    return changes


def _split_formset(lead: Lead, shares: list, data=None) -> CreditShareFormSet:
    initial = [
        {"staff": share.staff_id, "percent": share.percent, "role": share.role} for share in shares
    ]
    if not initial:
        initial = [{"staff": lead.introducer_id, "percent": Decimal("100"), "role": ""}]
    return CreditShareFormSet(
        data, initial=initial, prefix="split", people=list(assignable_people())
    )


def _render_detail(
    request: HttpRequest,
    lead: Lead,
    *,
    status: int = 200,
    win_form: WinForm | None = None,
    lose_form: LoseForm | None = None,
    collection_form: CollectionForm | None = None,
    claim_form: ClaimForm | None = None,
    split_formset: CreditShareFormSet | None = None,
    split_errors: list[str] | None = None,
    open_form: str = "",
) -> HttpResponse:
    user = request.user
    today = timezone.localdate()
    collections = list(lead.collections.select_related("recorded_by"))
    net = sum((collection.signed_amount for collection in collections), ZERO)
    shares = list(
        lead.credit_shares.select_related("staff__user", "staff__department").order_by(
            "-percent", "pk"
        )
    )
    can_work = permissions.can_work_lead(user, lead)
    pending = lead.claim_status == Lead.Claim.PENDING and lead.status != Lead.Status.LOST
    context = {
        "lead": lead,
        "today": today,
        "collections": collections,
        "net_collected": net,
        "remaining": (lead.contract_amount - net) if lead.contract_amount is not None else None,
        "shares": shares,
        "history": _history(lead),
        "is_introducer": lead.introducer.user_id == user.pk,
        "can_work": can_work,
        "claim_pending": pending,
        "split_errors": split_errors or [],
        "open_form": open_form,
    }
    if can_work:
        money_in = lead.status in (Lead.Status.WON, Lead.Status.PAID)
        context.update(
            {
                "earlier": (
                    Lead.objects.select_related(*CARD_RELATED).get(pk=lead.conflicting_lead_id)
                    if pending and lead.conflicting_lead_id
                    else None
                ),
                "can_qualify": not pending and lead.can_move_to(Lead.Status.QUALIFIED),
                "can_win": not pending and lead.can_move_to(Lead.Status.WON),
                "can_lose": lead.can_move_to(Lead.Status.LOST),
                "can_collect": money_in,
                "can_split": money_in,
                "can_confirm": lead.status != Lead.Status.LOST and not lead.key_role_confirmed,
                "win_form": win_form or WinForm(prefix="win", initial={"won_on": today}),
                "lose_form": lose_form or LoseForm(prefix="lose"),
                "collection_form": collection_form
                or CollectionForm(
                    prefix="collection",
                    initial={"received_on": today, "kind": Collection.Kind.COLLECTION},
                ),
                "claim_form": claim_form or ClaimForm(prefix="claim"),
                "split_formset": (split_formset or _split_formset(lead, shares))
                if money_in
                else None,
            }
        )
    return render(request, "rewards/lead_detail.html", context, status=status)


@require_GET
def lead_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, permissions.get_lead_for_user(request.user, pk))


def _done(request: HttpRequest, lead: Lead, message: str) -> HttpResponse:
    messages.success(request, message)
    return redirect("rewards:lead_detail", pk=lead.pk)


def _refused(request: HttpRequest, lead: Lead, error: ValidationError) -> HttpResponse:
    """A rule about the lead as a whole (not a field): say it on top of the page."""
    messages.error(request, " ".join(error.messages))
    return redirect("rewards:lead_detail", pk=lead.pk)


@require_POST
def lead_transition(request: HttpRequest, pk: int) -> HttpResponse:
    lead = permissions.get_lead_for_user(request.user, pk, for_change=True)
    action = request.POST.get("action")
    actor = request.user
    if action == "qualify":
        try:
            services.lead_qualify(actor=actor, lead=lead)
        except ValidationError as error:
            return _refused(request, lead, error)
        return _done(request, lead, _("The lead is qualified."))
    if action == "win":
        form = WinForm(request.POST, prefix="win")
        if form.is_valid():
            try:
                services.lead_win(actor=actor, lead=lead, **form.cleaned_data)
            except ValidationError as error:
                if not hasattr(error, "error_dict"):
                    return _refused(request, lead, error)
                add_service_errors(form, error)
            else:
                return _done(request, lead, _("Contract signed: the lead is won."))
        return _render_detail(request, lead, win_form=form, open_form="win")
    if action == "lose":
        form = LoseForm(request.POST, prefix="lose")
        if form.is_valid():
            try:
                services.lead_lose(actor=actor, lead=lead, reason=form.cleaned_data["reason"])
            except ValidationError as error:
                if not hasattr(error, "error_dict"):
                    return _refused(request, lead, error)
                add_service_errors(form, error)
            else:
                return _done(request, lead, _("The lead is marked lost."))
        return _render_detail(request, lead, lose_form=form, open_form="lose")
    messages.error(request, _("Choose what to do with the lead."))
    return redirect("rewards:lead_detail", pk=lead.pk)


@require_POST
def lead_collection(request: HttpRequest, pk: int) -> HttpResponse:
    lead = permissions.get_lead_for_user(request.user, pk, for_change=True)
    form = CollectionForm(request.POST, prefix="collection")
    if form.is_valid():
        try:
            collection = services.collection_add(actor=request.user, lead=lead, **form.cleaned_data)
        except ValidationError as error:
            if not hasattr(error, "error_dict"):
                return _refused(request, lead, error)
            add_service_errors(form, error)
        else:
            if collection.kind == Collection.Kind.REFUND:
                return _done(request, lead, _("Refund recorded."))
            return _done(request, lead, _("Collection recorded."))
    return _render_detail(request, lead, collection_form=form, open_form="collection")


@require_POST
def lead_split(request: HttpRequest, pk: int) -> HttpResponse:
    lead = permissions.get_lead_for_user(request.user, pk, for_change=True)
    formset = _split_formset(lead, [], data=request.POST)
    split_errors: list[str] = []
    if formset.is_valid():
        try:
            services.credit_split_set(actor=request.user, lead=lead, shares=formset.shares())
        except ValidationError as error:
            if not hasattr(error, "error_dict"):
                return _refused(request, lead, error)
            split_errors = [
                message for messages_ in error.message_dict.values() for message in messages_
            ]
        else:
            return _done(request, lead, _("Credit split saved."))
    return _render_detail(
        request, lead, split_formset=formset, split_errors=split_errors, open_form="split"
    )


@require_POST
def lead_claim(request: HttpRequest, pk: int) -> HttpResponse:
    lead = permissions.get_lead_for_user(request.user, pk, for_change=True)
    form = ClaimForm(request.POST, prefix="claim")
    if form.is_valid():
        accept = form.cleaned_data["decision"] == "accept"
        try:
            services.lead_decide_claim(
                actor=request.user, lead=lead, accept=accept, note=form.cleaned_data["note"]
            )
        except ValidationError as error:
            if not hasattr(error, "error_dict"):
                return _refused(request, lead, error)
            add_service_errors(form, error)
        else:
            if accept:
                return _done(request, lead, _("Second claim accepted: both leads go on."))
            return _done(request, lead, _("Second claim rejected: this lead is lost."))
    return _render_detail(request, lead, claim_form=form, open_form="claim")


@require_POST
def lead_key_role(request: HttpRequest, pk: int) -> HttpResponse:
    lead = permissions.get_lead_for_user(request.user, pk, for_change=True)
    try:
        services.lead_confirm_key_role(actor=request.user, lead=lead)
    except ValidationError as error:
        return _refused(request, lead, error)
    return _done(request, lead, _("Key role confirmed."))


# --------------------------------------------------------------------------- pipeline


def _column_totals(leads: QuerySet[Lead]) -> dict[str, dict]:
    """Count and sums per status, in two queries whatever the number of leads."""
    totals = {
        row["status"]: {
            "count": row["count"],
            "estimated": row["estimated"] or ZERO,
            "contract": row["contract"] or ZERO,
            "collected": ZERO,
        }
        for row in leads.order_by()
        .values("status")
        .annotate(
            count=Count("pk"), estimated=Sum("estimated_value"), contract=Sum("contract_amount")
        )
    }
    money = (
        Collection.objects.filter(lead__in=leads.values("pk"))
        .order_by()
        .values("lead__status")
        .annotate(
            collected=Sum("amount", filter=Q(kind=Collection.Kind.COLLECTION)),
            refunded=Sum("amount", filter=Q(kind=Collection.Kind.REFUND)),
        )
    )
    for row in money:
        if row["lead__status"] in totals:
            totals[row["lead__status"]]["collected"] = (row["collected"] or ZERO) - (
                row["refunded"] or ZERO
            )
    return totals


@require_GET
def pipeline(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not permissions.can_use_pipeline(user):
        raise PermissionDenied
    mine = Lead.objects.filter(marketing_lead=user)
    departments = list(
        Department.objects.filter(pk__in=mine.order_by().values("introducer__department")).order_by(
            "name"
        )
    )
    department = next(
        (d for d in departments if str(d.pk) == request.GET.get("department", "")), None
    )
    leads = mine.filter(introducer__department=department) if department else mine
    totals = _column_totals(leads)
    empty = {"count": 0, "estimated": ZERO, "contract": ZERO, "collected": ZERO}
    columns = []
    for status, ordering in PIPELINE_COLUMNS:
        cards = list(
            services.with_net_collected(leads.filter(status=status))
            .select_related(*CARD_RELATED)
            .order_by(*ordering)[:CARDS_PER_COLUMN]
        )
        column_totals = totals.get(status, empty)
        columns.append(
            {
                "status": status,
                "label": Lead.Status(status).label,
                "cards": cards,
                "more": column_totals["count"] - len(cards),
                **column_totals,
            }
        )
    pending = list(
        leads.filter(claim_status=Lead.Claim.PENDING)
        .exclude(status=Lead.Status.LOST)
        .select_related(
            *CARD_RELATED,
            "conflicting_lead__introducer__user",
            "conflicting_lead__introducer__department",
        )
        .order_by("created_at", "pk")
    )
    context = {
        "columns": columns,
        "pending": pending,
        "departments": departments,
        "department": department,
        "today": timezone.localdate(),
    }
    return render(request, "rewards/pipeline.html", context)


urlpatterns = [
    path("leads/", my_leads, name="my_leads"),
    path("leads/new/", lead_create, name="lead_create"),
    path("leads/<int:pk>/", lead_detail, name="lead_detail"),
    path("leads/<int:pk>/transition/", lead_transition, name="lead_transition"),
    path("leads/<int:pk>/collections/", lead_collection, name="lead_collection"),
    path("leads/<int:pk>/split/", lead_split, name="lead_split"),
    path("leads/<int:pk>/claim/", lead_claim, name="lead_claim"),
    path("leads/<int:pk>/key-role/", lead_key_role, name="lead_key_role"),
    path("pipeline/", pipeline, name="pipeline"),
]
