"""Statement pages: a person's rewards, one statement with its explained lines,
inquiries and adjustments, the marketing lead's recommendation queue, the line
supervisor's approval queue, nominations and the honour board. Every write goes through
one service, which also decides who may make it."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from departments.roles import get_profile, is_admin
from departments.web import add_service_errors
from rewards import permissions, selectors
from rewards.explanations import explain
from rewards.forms.payouts import (
    AdjustmentForm,
    InquiryAnswerForm,
    InquiryForm,
    NominationForm,
    SignOffForm,
)
from rewards.models import Inquiry, RewardLine, RoleModelCandidate, Statement
from rewards.money import ZERO
from rewards.services import payouts, signoff
from rewards.services import statements as statement_services
from tasks.history import history_of

logger = logging.getLogger(__name__)

DATABASE_ERROR = gettext_lazy("Nothing was changed: the database reported an error. Try again.")
FINAL_STATEMENTS = Statement.SIGNED_OFF


# --------------------------------------------------------------------------- my rewards


@require_GET
def my_statements(request: HttpRequest) -> HttpResponse:
    profile = get_profile(request.user)
    context = {
        "profile": profile,
        "statements": list(selectors.statements_of(profile=profile)) if profile else [],
        "so_far": selectors.rewards_so_far(profile=profile) if profile else ZERO,
    }
    return render(request, "rewards/statement_list.html", context)


# --------------------------------------------------------------------------- one statement


@dataclass
class InquiryRow:
    inquiry: Inquiry
    form: InquiryAnswerForm | None = None


@dataclass
class LineRow:
    line: RewardLine
    explanation: str
    inquiries: list[InquiryRow] = field(default_factory=list)
    raise_form: InquiryForm | None = None


def _raise_form(line: RewardLine, data=None) -> InquiryForm:
    return InquiryForm(data, auto_id=f"id_line{line.pk}_%s")


def _answer_form(inquiry: Inquiry, data=None) -> InquiryAnswerForm:
    return InquiryAnswerForm(data, auto_id=f"id_inquiry{inquiry.pk}_%s")


def _render_statement(
    request: HttpRequest,
    statement: Statement,
    *,
    raise_forms: dict[int, InquiryForm] | None = None,
    answer_forms: dict[int, InquiryAnswerForm] | None = None,
    adjust_form: AdjustmentForm | None = None,
) -> HttpResponse:
    user = request.user
    raise_forms = raise_forms or {}
    answer_forms = answer_forms or {}
    is_owner = statement.staff.user_id == user.pk
    # One statement: whoever approves it answers every inquiry on it.
    can_answer = permissions.can_approve_statement(user, statement)
    can_adjust = permissions.can_adjust_rewards(user, statement.staff)
    changeable = (
        statement.period.status not in selectors.EXPORTABLE_PERIODS
        and statement.status not in FINAL_STATEMENTS
    )
    rows = []
    for line in selectors.statement_lines(statement=statement):
        inquiries = list(line.inquiries.all())
        has_open = any(inquiry.status == Inquiry.Status.OPEN for inquiry in inquiries)
        rows.append(
            LineRow(
                line=line,
                explanation=explain(line),
                inquiries=[
                    InquiryRow(
                        inquiry=inquiry,
                        form=answer_forms.get(inquiry.pk)
                        or (
                            _answer_form(inquiry)
                            if can_answer and inquiry.status == Inquiry.Status.OPEN
                            else None
                        ),
                    )
                    for inquiry in inquiries
                ],
                raise_form=raise_forms.get(line.pk)
                or (_raise_form(line) if is_owner and not has_open else None),
            )
        )
    context = {
        "statement": statement,
        "rows": rows,
        "is_owner": is_owner,
        "can_adjust": can_adjust,
        "changeable": changeable,
        "adjust_form": adjust_form or AdjustmentForm(),
        "history": history_of(statement),
    }
    return render(request, "rewards/statement_detail.html", context)


@require_GET
def statement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    statement = permissions.get_statement_for_user(request.user, pk)
    return _render_statement(request, statement)


def _statement_url(statement: Statement, anchor: str = "") -> str:
    url = reverse("rewards:statement_detail", args=[statement.pk])
    return f"{url}#{anchor}" if anchor else url


@require_POST
def inquiry_raise(request: HttpRequest, pk: int) -> HttpResponse:
    line = RewardLine.objects.filter(pk=pk).only("pk", "statement_id").first()
    if line is None:
        raise Http404
    statement = permissions.get_statement_for_user(request.user, line.statement_id)
    if statement.staff.user_id != request.user.pk:
        raise PermissionDenied
    form = _raise_form(line, request.POST)
    if form.is_valid():
        try:
            statement_services.inquiry_raise(
                actor=request.user, line=line, question=form.cleaned_data["question"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Your inquiry is sent to your line supervisor."))
            return redirect(_statement_url(statement, f"line-{line.pk}"))
    return _render_statement(request, statement, raise_forms={line.pk: form})


@require_POST
def inquiry_answer(request: HttpRequest, pk: int) -> HttpResponse:
    inquiry = Inquiry.objects.filter(pk=pk).select_related("line").first()
    if inquiry is None:
        raise Http404
    statement = permissions.get_statement_for_user(request.user, inquiry.line.statement_id)
    inquiry.line.statement = statement
    if not permissions.can_answer_inquiry(request.user, inquiry):
        raise PermissionDenied
    form = _answer_form(inquiry, request.POST)
    if form.is_valid():
        try:
            statement_services.inquiry_answer(
                actor=request.user, inquiry=inquiry, answer=form.cleaned_data["answer"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Answer saved."))
            return redirect(_statement_url(statement, f"line-{inquiry.line_id}"))
    return _render_statement(request, statement, answer_forms={inquiry.pk: form})


@require_POST
def statement_adjust(request: HttpRequest, pk: int) -> HttpResponse:
    statement = permissions.get_statement_for_user(request.user, pk)
    if not permissions.can_adjust_rewards(request.user, statement.staff):
        raise PermissionDenied
    form = AdjustmentForm(request.POST)
    if form.is_valid():
        try:
            payouts.reward_adjustment_add(
                actor=request.user,
                staff=statement.staff,
                period=statement.period,
                amount=form.cleaned_data["amount"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request, _("Adjustment added; the statement is back to draft for sign-off.")
            )
            return redirect(_statement_url(statement, "lines"))
    return _render_statement(request, statement, adjust_form=form)


# --------------------------------------------------------------------------- sign-off


def _sign_off(
    request: HttpRequest,
    *,
    statements,
    actions: tuple[str, ...],
    template: str,
    url_name: str,
) -> HttpResponse:
    form = SignOffForm(request.POST if request.method == "POST" else None, actions=actions)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data["action"] == SignOffForm.RECOMMEND:
                count = signoff.statements_recommend(
                    actor=request.user, statement_ids=data["statements"]
                )
                message = ngettext(
                    "%(count)d statement recommended.", "%(count)d statements recommended.", count
                )
            elif data["action"] == SignOffForm.APPROVE:
                count = signoff.statements_approve(
                    actor=request.user, statement_ids=data["statements"]
                )
                message = ngettext(
                    "%(count)d statement approved.", "%(count)d statements approved.", count
                )
            else:
                count = signoff.statements_return(
                    actor=request.user, statement_ids=data["statements"], note=data["note"]
                )
                message = ngettext(
                    "%(count)d statement returned.", "%(count)d statements returned.", count
                )
        except ValidationError as error:
            add_service_errors(form, error)
        except DatabaseError:
            # The services are atomic: nothing of the batch was written.
            logger.exception("Bulk sign-off of statements failed")
            form.add_error(None, DATABASE_ERROR)
            status = 503
        else:
            messages.success(request, message % {"count": count})
            return redirect(url_name)
    rows = [
        {"statement": statement, "lines": [(line, explain(line)) for line in statement.lines.all()]}
        for statement in statements
    ]
    selected = set(getattr(form, "cleaned_data", {}).get("statements") or [])
    context = {
        "rows": rows,
        "form": form,
        "selected": selected,
        "all_ids": ",".join(str(row["statement"].pk) for row in rows),
        "total": sum((row["statement"].total for row in rows), ZERO),
        "action_url": reverse(url_name),
    }
    return render(request, template, context, status=status)


@require_http_methods(["GET", "POST"])
def recommend_queue(request: HttpRequest) -> HttpResponse:
    if not permissions.can_use_recommend_queue(request.user):
        raise PermissionDenied
    return _sign_off(
        request,
        statements=selectors.statements_to_recommend(user=request.user),
        actions=(SignOffForm.RECOMMEND, SignOffForm.RETURN),
        template="rewards/signoff_recommend.html",
        url_name="rewards:recommend_queue",
    )


@require_http_methods(["GET", "POST"])
def approve_queue(request: HttpRequest) -> HttpResponse:
    if not permissions.can_use_reward_approvals(request.user):
        raise PermissionDenied
    return _sign_off(
        request,
        statements=selectors.statements_to_approve(user=request.user, day=timezone.localdate()),
        actions=(SignOffForm.APPROVE, SignOffForm.RETURN),
        template="rewards/signoff_approve.html",
        url_name="rewards:approve_queue",
    )


# --------------------------------------------------------------------------- role models


@require_GET
def honour_board(request: HttpRequest) -> HttpResponse:
    return render(
        request, "rewards/honour_board.html", {"role_models": list(selectors.honour_board())}
    )


def _nomination_form(candidate: RoleModelCandidate, data=None) -> NominationForm:
    return NominationForm(data, auto_id=f"id_candidate{candidate.pk}_%s")


def _render_nominations(
    request: HttpRequest, *, failed: tuple[int, NominationForm] | None = None
) -> HttpResponse:
    candidates = list(
        selectors.candidates_for_nomination(
            user=request.user, day=timezone.localdate(), everyone=is_admin(request.user)
        )
    )
    rows = [
        {
            "candidate": candidate,
            "hours": Decimal(candidate.approved_minutes) / Decimal(60),
            "form": failed[1]
            if failed is not None and failed[0] == candidate.pk
            else _nomination_form(candidate),
        }
        for candidate in candidates
    ]
    return render(request, "rewards/nominations.html", {"rows": rows})


@require_GET
def nominations(request: HttpRequest) -> HttpResponse:
    if not permissions.can_use_nominations(request.user):
        raise PermissionDenied
    return _render_nominations(request)


def _candidate_for_user(request: HttpRequest, pk: int) -> RoleModelCandidate:
    candidate = RoleModelCandidate.objects.select_related("staff", "period").filter(pk=pk).first()
    if candidate is None or not permissions.can_nominate(request.user, candidate):
        raise Http404
    if candidate.period.status not in selectors.CANDIDATE_PERIODS:
        raise Http404
    return candidate


@require_POST
def nominate(request: HttpRequest, pk: int) -> HttpResponse:
    candidate = _candidate_for_user(request, pk)
    form = _nomination_form(candidate, request.POST)
    if form.is_valid():
        try:
            statement_services.role_model_nominate(
                actor=request.user, candidate=candidate, citation=form.cleaned_data["citation"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("%(name)s is nominated and shown on the honour board.")
                % {"name": candidate.staff.display_name},
            )
            return redirect("rewards:nominations")
    return _render_nominations(request, failed=(candidate.pk, form))


@require_POST
def nomination_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    candidate = _candidate_for_user(request, pk)
    try:
        statement_services.role_model_withdraw(actor=request.user, candidate=candidate)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("The nomination of %(name)s is withdrawn.") % {"name": candidate.staff.display_name},
        )
    return redirect("rewards:nominations")


urlpatterns = [
    path("rewards/", my_statements, name="my_statements"),
    path("statements/<int:pk>/", statement_detail, name="statement_detail"),
    path("statements/<int:pk>/adjust/", statement_adjust, name="statement_adjust"),
    path("statements/lines/<int:pk>/inquiry/", inquiry_raise, name="inquiry_raise"),
    path("inquiries/<int:pk>/answer/", inquiry_answer, name="inquiry_answer"),
    path("rewards/recommend/", recommend_queue, name="recommend_queue"),
    path("rewards/approve/", approve_queue, name="approve_queue"),
    path("honour-board/", honour_board, name="honour_board"),
    path("rewards/nominations/", nominations, name="nominations"),
    path("rewards/candidates/<int:pk>/nominate/", nominate, name="nominate"),
    path(
        "rewards/candidates/<int:pk>/withdraw/",
        nomination_withdraw,
        name="nomination_withdraw",
    ),
]
