"""Two-step sign-off of statements: the marketing lead recommends, the line supervisor
(or their active delegate) approves — executes — them (rule 3). Nobody signs their own.

Each action takes many statements and applies to all or none."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

import audit.services
from rewards.models import PayoutPeriod, Statement
from rewards.services.payouts import approve_period_when_complete
from tasks.history import record_changes


def _lock(statement_ids: Iterable[int]) -> list[Statement]:
    ids = sorted({int(pk) for pk in statement_ids})
    if not ids:
        raise ValidationError(_("Select at least one statement."))
    # Periods first, then statements: the same order as the calculation, so that a
    # sign-off and a recalculation queue for each other instead of deadlocking.
    period_ids = sorted(
        set(Statement.objects.filter(pk__in=ids).values_list("period_id", flat=True))
    )
    list(PayoutPeriod.objects.select_for_update().filter(pk__in=period_ids).order_by("pk"))
    statements = list(
        Statement.objects.select_for_update(of=("self",))
        .select_related("staff", "staff__user", "period")
        .filter(pk__in=ids)
        .order_by("pk")
    )
    if len(statements) != len(ids):
        raise ValidationError(
            _("Some of the selected statements no longer exist. Reload the page.")
        )
    for statement in statements:
        if statement.period.status not in (
            PayoutPeriod.Status.CALCULATED,
            PayoutPeriod.Status.CLOSED,
        ):
            raise ValidationError(
                _("The period %(period)s is not open for sign-off.") % {"period": statement.period}
            )
    return statements


def _expect(statements: list[Statement], allowed: set[str]) -> None:
    if any(statement.status not in allowed for statement in statements):
        raise ValidationError(
            _(
                "Some of the selected statements were already signed off or changed. "
                "Reload the page."
            )
        )


@transaction.atomic
def statements_recommend(*, actor, statement_ids: Iterable[int]) -> int:
    from rewards.permissions import can_recommend_statement

    statements = _lock(statement_ids)
    for statement in statements:
        if not can_recommend_statement(actor, statement):
            raise PermissionDenied
    _expect(statements, {Statement.Status.DRAFT, Statement.Status.RETURNED})
    now = timezone.now()
    by_status: dict[str, list[Statement]] = {}
    for statement in statements:
        by_status.setdefault(statement.status, []).append(statement)
    Statement.objects.filter(pk__in=[s.pk for s in statements]).update(
        status=Statement.Status.RECOMMENDED,
        recommended_by=actor,
        recommended_at=now,
        returned_note="",
    )
    for previous, group in by_status.items():
        record_changes(
            subjects=group, from_state=previous, to_state=Statement.Status.RECOMMENDED, actor=actor
        )
    audit.services.record_each(action="statement_recommended", objs=statements, actor=actor)
    return len(statements)


@transaction.atomic
def statements_return(*, actor, statement_ids: Iterable[int], note: str) -> int:
    """Send statements back to draft with a note (the lead before recommending, or the
    supervisor instead of approving)."""
    from rewards.permissions import can_approve_statement, can_recommend_statement

    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("Say what should change.")})
    statements = _lock(statement_ids)
    for statement in statements:
        if not (
            can_recommend_statement(actor, statement) or can_approve_statement(actor, statement)
        ):
            raise PermissionDenied
    _expect(statements, {Statement.Status.DRAFT, Statement.Status.RECOMMENDED})
    by_status: dict[str, list[Statement]] = {}
    for statement in statements:
        by_status.setdefault(statement.status, []).append(statement)
    Statement.objects.filter(pk__in=[s.pk for s in statements]).update(
        status=Statement.Status.RETURNED,
        returned_note=note,
        recommended_by=None,
        recommended_at=None,
    )
    for previous, group in by_status.items():
        record_changes(
            subjects=group,
            from_state=previous,
            to_state=Statement.Status.RETURNED,
            actor=actor,
            reason=note,
        )
    audit.services.record_each(
        action="statement_returned", objs=statements, actor=actor, extra={"note": note}
    )
    return len(statements)


@transaction.atomic
def statements_approve(*, actor, statement_ids: Iterable[int]) -> int:
    """The line supervisor executes the recommended rewards. A person without a
    marketing lead needs no recommendation."""
    from rewards.permissions import can_approve_statement

    statements = _lock(statement_ids)
    for statement in statements:
        if not can_approve_statement(actor, statement):
            raise PermissionDenied
    for statement in statements:
        allowed = {Statement.Status.RECOMMENDED}
        if statement.staff.marketing_lead_id is None:
            allowed.add(Statement.Status.DRAFT)
        if statement.status not in allowed:
            raise ValidationError(
                _(
                    "Only recommended statements can be approved; "
                    "ask the marketing lead to recommend them first."
                )
            )
    now = timezone.now()
    Statement.objects.filter(pk__in=[s.pk for s in statements]).update(
        status=Statement.Status.APPROVED, approved_by=actor, approved_at=now
    )
    by_status: dict[str, list[Statement]] = {}
    for statement in statements:
        by_status.setdefault(statement.status, []).append(statement)
    for previous, group in by_status.items():
        record_changes(
            subjects=group, from_state=previous, to_state=Statement.Status.APPROVED, actor=actor
        )
    audit.services.record_each(action="statement_approved", objs=statements, actor=actor)
    for period_id in {s.period_id for s in statements}:
        _approve_period_when_complete(period_id, actor)
    return len(statements)


def _approve_period_when_complete(period_id: int, actor) -> None:
    period = PayoutPeriod.objects.select_for_update().get(pk=period_id)
    approve_period_when_complete(period=period, actor=actor)
