"""Writes to the organisation. Every caller (views, admin, import, API, jobs) uses these."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

import audit.services
from departments.models import BudgetRule, Delegation, Department, StaffProfile


@transaction.atomic
def budget_rule_create(
    *,
    actor,
    daily_minutes: int,
    effective_from: datetime.date,
    department: Department | None = None,
    staff: StaffProfile | None = None,
    note: str = "",
    allow_past: bool = False,
    audited: bool = True,
) -> BudgetRule:
    """Add a budget that applies from ``effective_from`` on.

    A change never rewrites the past: the day must be today or later (``allow_past``
    exists only for loading history, e.g. the demo data). ``audited=False`` is for the
    organisation import, which records one audit entry for the whole file.
    """
    if department is not None and staff is not None:
        raise ValidationError(_("A budget applies to a department or to a person, not both."))
    if not allow_past and effective_from < timezone.localdate():
        raise ValidationError(
            {
                "effective_from": _(
                    "A budget change cannot start in the past; choose today or later."
                )
            }
        )
    rule = BudgetRule(
        department=department,
        staff=staff,
        daily_minutes=daily_minutes,
        effective_from=effective_from,
        note=note,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    rule.full_clean(validate_constraints=False)
    existing = BudgetRule.objects.select_for_update().filter(
        department=department, staff=staff, effective_from=effective_from
    )
    if existing.exists():
        raise ValidationError(
            {"effective_from": _("A budget already starts on this day; choose another day.")}
        )
    rule.save()
    if audited:
        audit.services.record(
            action="budget_set", obj=rule, actor=actor, extra=_budget_details(rule)
        )
    return rule


@transaction.atomic
def budget_rule_delete(*, rule: BudgetRule) -> None:
    """Only a rule that has not yet taken effect can be withdrawn."""
    if rule.effective_from <= timezone.localdate():
        raise ValidationError(_("This budget is already in effect and cannot be removed."))
    audit.services.record(action="budget_withdrawn", obj=rule, extra=_budget_details(rule))
    rule.delete()


def _budget_details(rule: BudgetRule) -> dict:
    return {
        "department": rule.department.code if rule.department_id else None,
        "staff": rule.staff.employee_number if rule.staff_id else None,
        "daily_minutes": rule.daily_minutes,
        "effective_from": rule.effective_from,
        "note": rule.note,
    }


@transaction.atomic
def delegation_create(
    *,
    delegator,
    delegate,
    start_date: datetime.date,
    end_date: datetime.date,
    reason: str = "",
) -> Delegation:
    delegation = Delegation(
        delegator=delegator,
        delegate=delegate,
        start_date=start_date,
        end_date=end_date,
        reason=reason,
    )
    delegation.full_clean()
    if end_date < timezone.localdate():
        raise ValidationError({"end_date": _("A delegation cannot end in the past.")})
    if not getattr(delegate, "is_active", False):
        raise ValidationError({"delegate": _("The delegate's account is not active.")})
    delegation.save()
    audit.services.record(
        action="delegation_added",
        obj=delegation,
        actor=delegator,
        extra=_delegation_details(delegation),
    )
    return delegation


def _delegation_details(delegation: Delegation) -> dict:
    return {
        "delegator": delegation.delegator.get_username(),
        "delegate": delegation.delegate.get_username(),
        "start_date": delegation.start_date,
        "end_date": delegation.end_date,
    }


@transaction.atomic
def delegation_end(*, delegation: Delegation) -> Delegation | None:
    """End a delegation now: it stops covering today (dropped if it had not begun before).

    A delegation that is already over keeps its end date: ending it must never reopen it.
    """
    today = timezone.localdate()
    details = _delegation_details(delegation)
    if delegation.start_date >= today:
        audit.services.record(
            action="delegation_ended", obj=delegation, extra={**details, "withdrawn": True}
        )
        delegation.delete()
        return None
    yesterday = today - datetime.timedelta(days=1)
    if delegation.end_date > yesterday:
        delegation.end_date = yesterday
        delegation.save(update_fields=["end_date"])
        audit.services.record(
            action="delegation_ended", obj=delegation, extra={**details, "ended_on": yesterday}
        )
    return delegation


@transaction.atomic
def staff_profile_update(*, profile: StaffProfile, **fields) -> StaffProfile:
    allowed = {"title", "goals", "primary_duties", "auxiliary_duties", "language"}
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"Unknown profile fields: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(profile, name, value)
    profile.full_clean()
    profile.save(update_fields=[*fields, "updated_at"])
    return profile


def staff_profile_set_language(*, user, language: str) -> None:
    StaffProfile.objects.filter(user=user).update(language=language)
