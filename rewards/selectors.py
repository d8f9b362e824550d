"""Reads of the rewards pages. Each carries its joins and annotations so that a page's
query count does not grow with its rows."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db.models import Count, Prefetch, Q, QuerySet, Sum

from departments.selectors import active_delegators_for
from rewards.models import Inquiry, PayoutPeriod, RewardLine, RoleModelCandidate, Statement
from rewards.money import ZERO, round_money


def period_closed_for_logging(*, day: datetime.date) -> PayoutPeriod | None:
    """The period covering ``day`` if it no longer accepts time logs, else None."""
    return (
        PayoutPeriod.objects.filter(start_date__lte=day, end_date__gte=day)
        .exclude(status=PayoutPeriod.Status.OPEN)
        .first()
    )


# --------------------------------------------------------------------------- periods

EXPORTABLE_PERIODS = (PayoutPeriod.Status.APPROVED, PayoutPeriod.Status.PAID)
EXPORTED_STATEMENTS = Statement.SIGNED_OFF
SIGN_OFF_PERIODS = (PayoutPeriod.Status.CALCULATED,)


def _status_counts() -> dict:
    return {
        f"count_{status}": Count("statements", filter=Q(statements__status=status))
        for status in Statement.Status.values
    }


def periods_with_totals() -> QuerySet[PayoutPeriod]:
    """Every period with the sum of its statements and their count by status, in one
    query: ``statements_total``, ``statements_count`` and ``count_<status>``."""
    return PayoutPeriod.objects.annotate(
        statements_total=Sum("statements__total"),
        statements_count=Count("statements"),
        **_status_counts(),
    ).order_by("-start_date")


def period_with_totals(*, pk: int) -> PayoutPeriod:
    return periods_with_totals().select_related("closed_by", "approved_by", "paid_by").get(pk=pk)


def period_statements(*, period: PayoutPeriod) -> QuerySet[Statement]:
    """The period's statements with person, department and number of lines."""
    return (
        Statement.objects.filter(period=period)
        .select_related("staff", "staff__user", "staff__department")
        .annotate(lines_count=Count("lines"))
        .order_by("staff__department__name", "staff__user__last_name", "staff__employee_number")
    )


def exported_statements(*, period: PayoutPeriod) -> QuerySet[Statement]:
    """What payroll pays for a period: its approved (or paid) statements."""
    return (
        Statement.objects.filter(period=period, status__in=EXPORTED_STATEMENTS)
        .select_related("staff", "staff__user", "staff__department")
        .order_by("staff__employee_number", "pk")
    )


# --------------------------------------------------------------------------- statements


def statements_of(*, profile) -> QuerySet[Statement]:
    """A person's statements, newest period first, with the number of lines."""
    return (
        Statement.objects.filter(staff=profile)
        .select_related("period")
        .annotate(lines_count=Count("lines"))
        .order_by("-period__start_date")
    )


def rewards_so_far(*, profile) -> Decimal:
    """What a person has been granted: approved and paid statements."""
    total = Statement.objects.filter(staff=profile, status__in=EXPORTED_STATEMENTS).aggregate(
        total=Sum("total")
    )["total"]
    return round_money(total) if total is not None else ZERO


def statement_lines(*, statement: Statement) -> QuerySet[RewardLine]:
    """A statement's lines with their lead and inquiries (newest first)."""
    return (
        RewardLine.objects.filter(statement=statement)
        .select_related("lead", "created_by")
        .prefetch_related(
            Prefetch(
                "inquiries",
                queryset=Inquiry.objects.select_related("raised_by", "answered_by").order_by(
                    "-created_at", "-pk"
                ),
            )
        )
        .order_by("pk")
    )


def _with_lines(queryset: QuerySet[Statement]) -> QuerySet[Statement]:
    return queryset.select_related(
        "staff", "staff__user", "staff__department", "period", "recommended_by"
    ).prefetch_related(
        Prefetch("lines", queryset=RewardLine.objects.select_related("lead").order_by("pk"))
    )


def statements_to_recommend(*, user) -> QuerySet[Statement]:
    """Draft or returned statements of the people whose marketing lead ``user`` is, in
    calculated periods; never their own."""
    return _with_lines(
        Statement.objects.filter(
            staff__marketing_lead=user,
            status__in=(Statement.Status.DRAFT, Statement.Status.RETURNED),
            period__status__in=SIGN_OFF_PERIODS,
        )
        .exclude(staff__user=user)
        .order_by("-period__start_date", "staff__user__last_name", "staff__employee_number")
    )


def statements_to_approve(*, user, day: datetime.date) -> QuerySet[Statement]:
    """Statements ``user`` executes as line supervisor or active delegate: recommended
    ones, and drafts of people who have no marketing lead to recommend them."""
    supervisors = [user.pk, *active_delegators_for(user=user, day=day)]
    return _with_lines(
        Statement.objects.filter(
            Q(status=Statement.Status.RECOMMENDED)
            | Q(status=Statement.Status.DRAFT, staff__marketing_lead__isnull=True),
            staff__line_supervisor_id__in=supervisors,
            period__status__in=SIGN_OFF_PERIODS,
        )
        .exclude(staff__user=user)
        .order_by("-period__start_date", "staff__user__last_name", "staff__employee_number")
    )


# --------------------------------------------------------------------------- role models

CANDIDATE_PERIODS = (
    PayoutPeriod.Status.CALCULATED,
    PayoutPeriod.Status.APPROVED,
    PayoutPeriod.Status.PAID,
)


def _candidates() -> QuerySet[RoleModelCandidate]:
    return RoleModelCandidate.objects.select_related(
        "period", "department", "staff", "staff__user", "nominated_by"
    )


def honour_board() -> QuerySet[RoleModelCandidate]:
    """Every nominated role model, newest period first."""
    return (
        _candidates()
        .filter(nominated=True)
        .order_by("-period__start_date", "department__name", "-score", "pk")
    )


def candidates_for_nomination(*, user, day: datetime.date, everyone: bool = False):
    """Proposed candidates among the people ``user`` supervises (or everyone, for an
    admin), in calculated, approved or paid periods."""
    candidates = _candidates().filter(period__status__in=CANDIDATE_PERIODS)
    if not everyone:
        supervisors = [user.pk, *active_delegators_for(user=user, day=day)]
        candidates = candidates.filter(staff__line_supervisor_id__in=supervisors)
    return candidates.exclude(staff__user=user).order_by(
        "-period__start_date", "department__name", "-score", "pk"
    )
