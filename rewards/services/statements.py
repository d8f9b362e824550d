"""Inquiries on statement lines and role-model nominations."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rewards.models import MAX_TEXT, Inquiry, RewardLine, RoleModelCandidate
from tasks.history import record_change


@transaction.atomic
def inquiry_raise(*, actor, line: RewardLine, question: str) -> Inquiry:
    line = RewardLine.objects.select_related("statement", "statement__staff").get(pk=line.pk)
    if line.statement.staff.user_id != actor.pk:
        raise PermissionDenied
    question = (question or "").strip()
    if not question:
        raise ValidationError({"question": _("Say what you disagree with.")})
    if len(question) > MAX_TEXT:
        raise ValidationError(
            {"question": _("Keep it under %(max)d characters.") % {"max": MAX_TEXT}}
        )
    if line.inquiries.filter(status=Inquiry.Status.OPEN).exists():
        raise ValidationError({"question": _("This line already has an open inquiry.")})
    inquiry = Inquiry.objects.create(line=line, raised_by=actor, question=question)
    record_change(
        subject=inquiry, from_state="", to_state=inquiry.status, actor=actor, reason=question
    )
    return inquiry


@transaction.atomic
def inquiry_answer(*, actor, inquiry: Inquiry, answer: str) -> Inquiry:
    """The approver (line supervisor or delegate) answers; a correction is a separate
    adjustment line (``payouts.reward_adjustment_add``)."""
    from rewards.permissions import can_answer_inquiry

    inquiry = (
        Inquiry.objects.select_for_update()
        .select_related("line__statement__staff")
        .get(pk=inquiry.pk)
    )
    if not can_answer_inquiry(actor, inquiry):
        raise PermissionDenied
    if inquiry.status != Inquiry.Status.OPEN:
        raise ValidationError(_("This inquiry was already answered."))
    answer = (answer or "").strip()
    if not answer:
        raise ValidationError({"answer": _("Write an answer.")})
    if len(answer) > MAX_TEXT:
        raise ValidationError(
            {"answer": _("Keep it under %(max)d characters.") % {"max": MAX_TEXT}}
        )
    inquiry.status = Inquiry.Status.ANSWERED
    inquiry.answer = answer
    inquiry.answered_by = actor
    inquiry.answered_at = timezone.now()
    inquiry.save(update_fields=["status", "answer", "answered_by", "answered_at"])
    record_change(
        subject=inquiry,
        from_state=Inquiry.Status.OPEN,
        to_state=inquiry.status,
        actor=actor,
        reason=answer,
    )
    return inquiry


@transaction.atomic
def role_model_nominate(
    *, actor, candidate: RoleModelCandidate, citation: str
) -> RoleModelCandidate:
    from rewards.permissions import can_nominate

    candidate = (
        RoleModelCandidate.objects.select_for_update()
        .select_related("staff", "period")
        .get(pk=candidate.pk)
    )
    if not can_nominate(actor, candidate):
        raise PermissionDenied
    citation = (citation or "").strip()
    if not citation:
        raise ValidationError(
            {"citation": _("Write a citation: what makes this person a role model?")}
        )
    if len(citation) > MAX_TEXT:
        raise ValidationError(
            {"citation": _("Keep it under %(max)d characters.") % {"max": MAX_TEXT}}
        )
    candidate.nominated = True
    candidate.citation = citation
    candidate.nominated_by = actor
    candidate.nominated_at = timezone.now()
    candidate.save(update_fields=["nominated", "citation", "nominated_by", "nominated_at"])
    record_change(
        subject=candidate, from_state="proposed", to_state="nominated", actor=actor, reason=citation
    )
    return candidate


@transaction.atomic
def role_model_withdraw(*, actor, candidate: RoleModelCandidate) -> RoleModelCandidate:
    from rewards.permissions import can_nominate

    candidate = (
        RoleModelCandidate.objects.select_for_update()
        .select_related("staff", "period")
        .get(pk=candidate.pk)
    )
    if not can_nominate(actor, candidate):
        raise PermissionDenied
    if not candidate.nominated:
        raise ValidationError(_("This person is not nominated."))
    candidate.nominated = False
    candidate.citation = ""
    candidate.save(update_fields=["nominated", "citation"])
    record_change(subject=candidate, from_state="nominated", to_state="proposed", actor=actor)
    return candidate
