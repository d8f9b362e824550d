"""Payout periods and the reward calculation.

The calculation turns a period's approved time, completed tasks and collected revenue
into reward lines, one statement per person per period (rule 4). It is safe to run any
number of times, concurrently or after a crash:

- figures are read in bulk, then the people are written a batch per transaction that
  locks the period row and their statement rows (unique per person and period), replaces
  the calculated lines and recomputes the totals — so two runs serialise and end in the
  same state;
- revenue is computed cumulatively: what a person is due on a lead up to the end of the
  period, minus what earlier periods already gave them. Caps, tiers, credit splits and
  refunds after payout (clawback) all follow from that difference.
"""

from __future__ import annotations

import calendar
import datetime
import io
import json
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, DecimalField, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

import audit.services
from departments.models import Department, StaffProfile
from rewards import permissions
from rewards.models import (
    MONEY,
    Collection,
    CreditShare,
    Inquiry,
    Lead,
    PayoutPeriod,
    RewardLine,
    RewardRule,
    RoleModelCandidate,
    Statement,
)
from rewards.money import HUNDRED, ZERO, round_money
from tasks.history import record_change, record_changes
from tasks.models import AssistCategory, TaskAssignment, TimeLog

logger = logging.getLogger(__name__)

MAX_ADJUSTMENT = Decimal("1000000.00")
# What a recalculation replaces: every line the calculation writes, a clawback included
# (a lead's shortfall is worked out afresh each time). Manual adjustments stay.
RECALCULATED_SOURCES = (*RewardLine.COMPUTED, RewardLine.Source.CLAWBACK)
CANDIDATES_PER_DEPARTMENT = 3


# --------------------------------------------------------------------------- periods


def month_of(day: datetime.date) -> tuple[datetime.date, datetime.date]:
    return day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1])


def payout_period_for(*, day: datetime.date) -> PayoutPeriod:
    """The month's period, created when first needed."""
    start, end = month_of(day)
    try:
        with transaction.atomic():
            period, _created = PayoutPeriod.objects.get_or_create(
                start_date=start, defaults={"end_date": end}
            )
    except IntegrityError:
        period = PayoutPeriod.objects.get(start_date=start)
    return period


def _move_period(period: PayoutPeriod, status: str, actor, reason: str = "") -> None:
    previous = period.status
    period.status = status
    record_change(subject=period, from_state=previous, to_state=status, actor=actor, reason=reason)


@transaction.atomic
def payout_period_close(*, actor, period: PayoutPeriod) -> PayoutPeriod:
    """Close a finished month for logging (after its last day)."""
    period = PayoutPeriod.objects.select_for_update().get(pk=period.pk)
    if actor is not None and not permissions.can_manage_periods(actor):
        raise PermissionDenied
    if period.status != PayoutPeriod.Status.OPEN:
        raise ValidationError(_("Only an open period can be closed."))
    if period.end_date >= timezone.localdate():
        raise ValidationError(_("A period can be closed only after its last day."))
    _move_period(period, PayoutPeriod.Status.CLOSED, actor)
    period.closed_at = timezone.now()
    period.closed_by = actor
    period.save(update_fields=["status", "closed_at", "closed_by"])
    audit.services.record(action="period_closed", obj=period, actor=actor)
    return period


def payout_periods_close_due(*, today: datetime.date | None = None, grace_days: int) -> list[int]:
    """The period job (daily): open this month's and last month's periods if missing,
    close every open period whose grace time is over, and request its calculation (the
    calculation then proposes role models and tells the approvers)."""
    today = today or timezone.localdate()
    payout_period_for(day=today)
    payout_period_for(day=today.replace(day=1) - datetime.timedelta(days=1))
    due = PayoutPeriod.objects.filter(
        status=PayoutPeriod.Status.OPEN,
        end_date__lt=today - datetime.timedelta(days=grace_days),
    ).values_list("pk", flat=True)
    closed = []
    for pk in list(due):
        try:
            payout_period_close(actor=None, period=PayoutPeriod(pk=pk))
        except ValidationError:
            continue  # closed meanwhile by someone else
        payout_period_request_calculation(actor=None, period=PayoutPeriod(pk=pk))
        closed.append(pk)
    return closed


@transaction.atomic
def payout_period_request_calculation(*, actor, period: PayoutPeriod) -> int:
    """Queue a calculation run; returns its run number."""
    period = PayoutPeriod.objects.select_for_update().get(pk=period.pk)
    if actor is not None and not permissions.can_manage_periods(actor):
        raise PermissionDenied
    if period.status not in (PayoutPeriod.Status.CLOSED, PayoutPeriod.Status.CALCULATED):
        raise ValidationError(
            _(
                "Only a period closed for logging can be calculated; "
                "approved and paid periods are final."
            )
        )
    period.calculation_run += 1
    period.calculation_state = PayoutPeriod.CalculationState.QUEUED
    period.calculation_done = 0
    period.calculation_error = ""
    period.save(
        update_fields=[
            "calculation_run",
            "calculation_state",
            "calculation_done",
            "calculation_error",
        ]
    )
    run = period.calculation_run
    audit.services.record(
        action="period_calculation_requested", obj=period, actor=actor, extra={"run": run}
    )
    from rewards.jobs import calculate_payout_period

    def queue():
        try:
            calculate_payout_period.delay(period.pk, run)
        except Exception:
            logger.exception("Could not queue the calculation of period %s", period.pk)
            # Only a run that never started: an eager run that failed keeps its own error.
            PayoutPeriod.objects.filter(
                pk=period.pk,
                calculation_run=run,
                calculation_state=PayoutPeriod.CalculationState.QUEUED,
            ).update(
                calculation_state=PayoutPeriod.CalculationState.FAILED,
                calculation_error="broker unavailable",
            )

    transaction.on_commit(queue)
    return run


# --------------------------------------------------------------------------- figures


def _rule_in_force(rules: list[RewardRule], day: datetime.date) -> RewardRule | None:
    """``rules`` sorted by effective_from ascending."""
    found = None
    for rule in rules:
        if rule.effective_from <= day:
            found = rule
        else:
            break
    return found


def _rules(kind: str) -> list[RewardRule]:
    return list(
        RewardRule.objects.filter(kind=kind).prefetch_related("tiers").order_by("effective_from")
    )


def _rule_spans(
    rules: list[RewardRule], start: datetime.date, end: datetime.date
) -> list[tuple[datetime.date, datetime.date]]:
    """``start``..``end`` cut where a rule takes effect, as (first, last) day pairs: the
    same rule is in force on every day of a span."""
    cuts = sorted({rule.effective_from for rule in rules if start < rule.effective_from <= end})
    firsts = [start, *cuts]
    lasts = [cut - datetime.timedelta(days=1) for cut in cuts] + [end]
    return list(zip(firsts, lasts, strict=True))


@dataclass
class LineDraft:
    source: str
    amount: Decimal
    explanation: dict
    lead_id: int | None = None


@dataclass
class PersonFigures:
    lines: list[LineDraft] = field(default_factory=list)


def _local_day(moment: datetime.datetime) -> datetime.date:
    return timezone.localtime(moment).date()


def support_lines(
    *,
    period: PayoutPeriod,
    minutes_by_day: dict[datetime.date, int],
    completed_tasks: list[tuple[int, str, datetime.date]],
    rules: list[RewardRule],
) -> list[LineDraft]:
    """Lines for approved support time and completed tasks, with the monthly cap.

    ``minutes_by_day`` may also hold the minutes of a span of days with one rule in force
    under the span's first day (see ``_rule_spans``): the lines are the same."""
    lines: list[LineDraft] = []
    minutes_by_rule: dict[int, int] = defaultdict(int)
    rule_by_id = {rule.pk: rule for rule in rules}
    for day, minutes in sorted(minutes_by_day.items()):
        rule = _rule_in_force(rules, day)
        if rule is not None and rule.amount_per_approved_hour > 0:
            minutes_by_rule[rule.pk] += minutes
    for rule_id, minutes in sorted(minutes_by_rule.items()):
        rule = rule_by_id[rule_id]
        amount = round_money(Decimal(minutes) * rule.amount_per_approved_hour / Decimal(60))
        if amount == 0:
            # A few minutes at a tiny rate round to nothing: no line, as for revenue, so
            # nobody signs off a statement of 0.00 and the period can still be approved.
            continue
        lines.append(
            LineDraft(
                source=RewardLine.Source.SUPPORT_TIME,
                amount=amount,
                explanation={
                    "minutes": minutes,
                    "hours": str((Decimal(minutes) / Decimal(60)).quantize(Decimal("0.01"))),
                    "rate": str(rule.amount_per_approved_hour),
                    "rule_from": rule.effective_from.isoformat(),
                },
            )
        )
    for task_id, title, day in completed_tasks:
        rule = _rule_in_force(rules, day)
        if rule is None or rule.amount_per_completed_task <= 0:
            continue
        lines.append(
            LineDraft(
                source=RewardLine.Source.TASK,
                amount=round_money(rule.amount_per_completed_task),
                explanation={
                    "task": task_id,
                    "title": title,
                    "completed_on": day.isoformat(),
                    "rate": str(rule.amount_per_completed_task),
                    "rule_from": rule.effective_from.isoformat(),
                },
            )
        )
    cap_rule = _rule_in_force(rules, period.end_date)
    total = sum((line.amount for line in lines), ZERO)
    if cap_rule is not None and cap_rule.monthly_cap_per_person is not None:
        cap = cap_rule.monthly_cap_per_person
        if total > cap:
            lines.append(
                LineDraft(
                    source=RewardLine.Source.SUPPORT_CAP,
                    amount=round_money(cap - total),
                    explanation={
                        "cap": str(cap),
                        "before": str(total),
                        "rule_from": cap_rule.effective_from.isoformat(),
                    },
                )
            )
    return lines


def lead_due(
    *, collections: list[Collection], rules: list[RewardRule], until: datetime.date
) -> tuple[Decimal, dict]:
    """What a whole lead has earned up to ``until`` (before the credit split), unrounded,
    and the facts of the computation."""
    base = Decimal("0")
    collected = Decimal("0")
    held_back = Decimal("0")
    percents: set[str] = set()
    holdbacks: set[int] = set()
    latest_rule = None
    for collection in sorted(collections, key=lambda c: (c.received_on, c.pk or 0)):
        if collection.received_on > until:
            continue
        rule = _rule_in_force(rules, collection.received_on)
        holdback = rule.holdback_days if rule else 0
        if (
            collection.kind == Collection.Kind.COLLECTION
            and collection.received_on + datetime.timedelta(days=holdback) > until
        ):
            held_back += collection.amount
            holdbacks.add(holdback)
            continue
        collected += collection.signed_amount
        if rule is not None:
            base += collection.signed_amount * rule.percent_of_collected / HUNDRED
            percents.add(str(rule.percent_of_collected))
            latest_rule = rule
    tiers = Decimal("0")
    cap = None
    if latest_rule is not None:
        tiers = sum(
            (tier.bonus for tier in latest_rule.tiers.all() if tier.threshold <= collected),
            Decimal("0"),
        )
        cap = latest_rule.cap_per_lead
    due = base + tiers
    capped = cap is not None and due > cap
    if capped:
        due = cap
    due = max(due, Decimal("0"))
    facts = {
        "collected": str(round_money(collected)),
        "percents": sorted(percents),
        "base": str(round_money(base)),
        "tiers": str(round_money(tiers)),
        "cap": str(cap) if cap is not None else None,
        "capped": capped,
        "due": str(round_money(due)),
        "held_back": str(round_money(held_back)),
        "holdback_days": sorted(holdbacks),
    }
    return due, facts


def _gather(
    period: PayoutPeriod,
) -> tuple[dict[int, PersonFigures], set[int], dict[int, tuple[int, int]]]:
    """Every person's computed lines for the period, from a fixed number of queries; and
    everyone's approved minutes and confirmed outcomes (for the role models)."""
    figures: dict[int, PersonFigures] = defaultdict(PersonFigures)
    support_rules = _rules(RewardRule.Kind.SUPPORT)
    revenue_rules = _rules(RewardRule.Kind.DIRECT_REVENUE)

    # One pass over the month's approved logs. Support minutes are summed per span of
    # days with one rule in force (usually the whole month), not per day: the rule of a
    # span's first day is the rule of each of its days.
    spans = _rule_spans(support_rules, period.start_date, period.end_date)
    minutes: dict[int, dict[datetime.date, int]] = {}
    approved_time: dict[int, tuple[int, int]] = {}
    for staff_id, total, outcomes, *support in (
        TimeLog.objects.filter(
            day__gte=period.start_date,
            day__lte=period.end_date,
            status=TimeLog.Status.APPROVED,
        )
        .values("staff_id")
        .annotate(
            total=Sum("minutes"),
            outcomes=Count("pk", filter=Q(outcome_status="confirmed")),
            **{
                f"span_{index}": Sum(
                    "minutes",
                    filter=Q(
                        category__reward_class=AssistCategory.RewardClass.SUPPORT,
                        day__gte=first,
                        day__lte=last,
                    ),
                )
                for index, (first, last) in enumerate(spans)
            },
        )
        .order_by()
        .values_list(
            "staff_id",
            "total",
            "outcomes",
            *(f"span_{index}" for index in range(len(spans))),
        )
    ):
        approved_time[staff_id] = (total, outcomes)
        by_span = {
            first: span_total
            for (first, _last), span_total in zip(spans, support, strict=True)
            if span_total is not None
        }
        if by_span:
            minutes[staff_id] = by_span

    tz = timezone.get_current_timezone()
    start_moment = datetime.datetime.combine(period.start_date, datetime.time.min, tzinfo=tz)
    end_moment = start_moment + datetime.timedelta(
        days=(period.end_date - period.start_date).days + 1
    )
    tasks_done: dict[int, list] = defaultdict(list)
    for staff_id, task_id, title, responded_at in (
        TaskAssignment.objects.filter(
            status=TaskAssignment.Status.COMPLETED,
            # Direct-revenue work (introducing business) earns through its lead's
            # collections, never the support rate per task.
            task__category__reward_class=AssistCategory.RewardClass.SUPPORT,
            responded_at__gte=start_moment,
            responded_at__lt=end_moment,
            assignee__profile__isnull=False,
        )
        .values_list("assignee__profile", "task_id", "task__title", "responded_at")
        .order_by("task_id")
    ):
        tasks_done[staff_id].append((task_id, title, _local_day(responded_at)))

    for staff_id in set(minutes) | set(tasks_done):
        figures[staff_id].lines.extend(
            support_lines(
                period=period,
                minutes_by_day=minutes.get(staff_id, {}),
                completed_tasks=tasks_done.get(staff_id, []),
                rules=support_rules,
            )
        )

    # Revenue: every lead with collections up to the end of the period.
    collections: dict[int, list[Collection]] = defaultdict(list)
    for collection in Collection.objects.filter(received_on__lte=period.end_date).order_by("pk"):
        collections[collection.lead_id].append(collection)
    leads = {
        lead.pk: lead
        for lead in Lead.objects.filter(pk__in=list(collections)).only(
            "pk", "client_name", "introducer_id"
        )
    }
    shares: dict[int, list[tuple[int, Decimal]]] = defaultdict(list)
    for lead_id, staff_id, percent in CreditShare.objects.filter(
        lead_id__in=list(collections)
    ).values_list("lead_id", "staff_id", "percent"):
        shares[lead_id].append((staff_id, percent))
    earlier: dict[tuple[int, int], Decimal] = {
        # Rounded: SQLite sums decimals as floats.
        (row["statement__staff_id"], row["lead_id"]): round_money(row["total"])
        for row in RewardLine.objects.filter(
            lead_id__in=list(collections),
            statement__period__start_date__lt=period.start_date,
        )
        .values("statement__staff_id", "lead_id")
        .annotate(total=Sum("amount"))
    }
    for lead_id, lead in leads.items():
        due, facts = lead_due(
            collections=collections[lead_id], rules=revenue_rules, until=period.end_date
        )
        split = shares.get(lead_id) or [(lead.introducer_id, HUNDRED)]
        people = {staff_id for staff_id, _percent in split} | {
            staff_id for (staff_id, lid) in earlier if lid == lead_id
        }
        percent_of = dict(split)
        for staff_id in sorted(people):
            share = percent_of.get(staff_id, Decimal("0"))
            person_due = round_money(due * share / HUNDRED)
            already = earlier.get((staff_id, lead_id), ZERO)
            amount = round_money(person_due - already)
            if amount == 0:
                continue
            figures[staff_id].lines.append(
                LineDraft(
                    source=RewardLine.Source.LEAD if amount > 0 else RewardLine.Source.CLAWBACK,
                    amount=amount,
                    lead_id=lead_id,
                    explanation={
                        **facts,
                        "client": lead.client_name,
                        "share": str(share),
                        "person_due": str(person_due),
                        "earlier": str(already),
                    },
                )
            )
    return figures, set(figures), approved_time


# --------------------------------------------------------------------------- calculation


def _statement_for_update(period: PayoutPeriod, staff_id: int) -> Statement:
    for _attempt in range(3):
        try:
            with transaction.atomic():
                Statement.objects.get_or_create(period=period, staff_id=staff_id)
        except IntegrityError:
            pass  # created by a concurrent run
        statement = (
            Statement.objects.select_for_update().filter(period=period, staff_id=staff_id).first()
        )
        if statement is not None:
            return statement
        # A concurrent run deleted it (left without lines) while we waited for the lock.
    return Statement.objects.select_for_update().get(period=period, staff_id=staff_id)


def _commit_without_waiting() -> None:
    """Let this transaction commit without waiting for its flush to disk (PostgreSQL);
    for a batch of the calculation that is a transaction of its own, never for a caller's
    larger transaction.

    A batch is redone by the next run if a database crash loses it, as if the worker had
    been killed; and whatever commits durably later (the period marked calculated, a
    sign-off that saw these statements) flushes the log up to there, this batch included."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def _statements_for_update(
    period: PayoutPeriod, lines_by_staff: dict[int, list[LineDraft]], run: int
) -> tuple[dict[int, Statement], set[int]]:
    """These people's statements in the period, locked; each with ``manual_total``, the
    sum of the lines a recalculation keeps (None without any). A missing statement is
    created for someone with lines, at once with its total and run: the ids of those
    found so (nothing left to update) come second."""
    locked = (
        Statement.objects.select_for_update(of=("self",))
        .filter(period=period)
        .annotate(
            manual_total=Subquery(
                RewardLine.objects.filter(statement=OuterRef("pk"))
                .exclude(source__in=RECALCULATED_SOURCES)
                .values("statement")
                .annotate(total=Sum("amount"))
                .values("total")
            )
        )
        .order_by("staff_id")
    )
    statements = {
        statement.staff_id: statement
        for statement in locked.filter(staff_id__in=sorted(lines_by_staff))
    }
    totals = {
        staff_id: round_money(sum((line.amount for line in lines), ZERO))
        for staff_id, lines in lines_by_staff.items()
        if lines and staff_id not in statements
    }
    if not totals:
        return statements, set()
    Statement.objects.bulk_create(
        [
            Statement(period=period, staff_id=staff_id, total=total, calculated_run=run)
            for staff_id, total in sorted(totals.items())
        ],
        ignore_conflicts=True,
    )
    fresh = set()
    for statement in locked.filter(staff_id__in=sorted(totals)):
        statements[statement.staff_id] = statement
        if (
            statement.status == Statement.Status.DRAFT
            and statement.manual_total is None
            and statement.recommended_by_id is None
            and statement.recommended_at is None
            and statement.total == totals[statement.staff_id]
            and statement.calculated_run == run
        ):
            fresh.add(statement.pk)
    return statements, fresh


def _delete_calculated_lines(statement_ids: list[int]) -> None:
    """The lines a recalculation replaces, with any inquiry about them. Written out: the
    ORM would load every line first to cascade to the inquiries."""
    quote = connection.ops.quote_name
    lines = RewardLine._meta
    inquiries = Inquiry._meta
    which = (
        f"{quote(lines.get_field('statement').column)} "
        f"IN ({', '.join(['%s'] * len(statement_ids))}) "
        f"AND {quote(lines.get_field('source').column)} "
        f"IN ({', '.join(['%s'] * len(RECALCULATED_SOURCES))})"
    )
    params = [*statement_ids, *RECALCULATED_SOURCES]
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {quote(inquiries.db_table)} "  # noqa: S608 - names from the models
            f"WHERE {quote(inquiries.get_field('line').column)} IN "
            f"(SELECT {quote(lines.pk.column)} FROM {quote(lines.db_table)} WHERE {which})",
            params,
        )
        cursor.execute(
            f"DELETE FROM {quote(lines.db_table)} WHERE {which}",  # noqa: S608
            params,
        )


COPY_NULL = "\\N"


def _copy_text(value: str) -> str:
    """``value`` as a field of PostgreSQL's COPY text format."""
    return (
        value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    )


def _insert_lines(rows: list[tuple[int, LineDraft]]) -> None:
    """Computed lines as (statement id, draft); with COPY on PostgreSQL (Django's
    bulk_create spends more time preparing each row than the database takes)."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        RewardLine.objects.bulk_create(
            (
                RewardLine(
                    statement_id=statement_id,
                    source=line.source,
                    amount=line.amount,
                    explanation=line.explanation,
                    lead_id=line.lead_id,
                )
                for statement_id, line in rows
            ),
            batch_size=1000,
        )
        return
    meta = RewardLine._meta
    names = ["statement", "source", "amount", "explanation", "lead", "reason", "created_at"]
    columns = ", ".join(connection.ops.quote_name(meta.get_field(name).column) for name in names)
    moment = timezone.now().isoformat()
    buffer = io.StringIO()
    buffer.writelines(
        f"{statement_id}\t{_copy_text(line.source)}\t{line.amount}\t"
        f"{_copy_text(json.dumps(line.explanation))}\t"
        f"{COPY_NULL if line.lead_id is None else int(line.lead_id)}\t\t{moment}\n"
        for statement_id, line in rows
    )
    buffer.seek(0)
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(
            f"COPY {connection.ops.quote_name(meta.db_table)} ({columns}) FROM STDIN", buffer
        )


def statements_calculate(
    *,
    period: PayoutPeriod,
    lines_by_staff: dict[int, list[LineDraft]],
    run: int,
    done: int | None = None,
) -> dict[int, Statement | None]:
    """Replace the computed lines of these people's statements, in one transaction and
    a fixed number of queries. Approved and paid statements are kept as they are; a
    statement left without any line is removed. ``done``, if given, is recorded as the
    run's progress in the same transaction.

    The period row is locked first: two runs write one batch at a time, the sign-off
    of the last statement (which approves the period) and this write cannot interleave,
    and nothing is written into a period that became approved or paid meanwhile."""
    # Only a transaction of its own may skip the wait for the disk.
    own_transaction = not connection.in_atomic_block
    with transaction.atomic():
        period = PayoutPeriod.objects.select_for_update().get(pk=period.pk)
        if period.is_frozen or not lines_by_staff:
            return {}
        if own_transaction:
            _commit_without_waiting()
        if done is not None:
            PayoutPeriod.objects.filter(pk=period.pk, calculation_run=run).update(
                calculation_done=done
            )
        staff_ids = sorted(lines_by_staff)
        statements, fresh = _statements_for_update(period, lines_by_staff, run)
        result: dict[int, Statement | None] = dict.fromkeys(staff_ids)
        open_ones = []
        for staff_id in staff_ids:
            if staff_id not in statements and not lines_by_staff[staff_id]:
                continue  # no statement and nothing to write
            statement = statements[staff_id]
            if statement.status in (Statement.Status.APPROVED, Statement.Status.PAID):
                result[staff_id] = statement
            else:
                open_ones.append(statement)
        if not open_ones:
            return result
        _delete_calculated_lines([statement.pk for statement in open_ones])
        _insert_lines(
            [
                (statement.pk, line)
                for statement in open_ones
                for line in lines_by_staff[statement.staff_id]
            ]
        )
        empty = [
            statement
            for statement in open_ones
            if statement.manual_total is None and not lines_by_staff[statement.staff_id]
        ]
        if empty:
            Statement.objects.filter(pk__in=[statement.pk for statement in empty]).delete()
        gone = {statement.pk for statement in empty}
        kept = [statement for statement in open_ones if statement.pk not in gone]
        moved: dict[str, list[Statement]] = defaultdict(list)
        now = timezone.now()
        for statement in kept:
            if statement.status != Statement.Status.DRAFT:
                moved[statement.status].append(statement)
            # The manual lines stay and count in the total (rounded: SQLite sums decimals
            # as floats).
            statement.total = round_money(
                sum(
                    (line.amount for line in lines_by_staff[statement.staff_id]),
                    round_money(statement.manual_total or ZERO),
                )
            )
            statement.status = Statement.Status.DRAFT
            statement.recommended_by = None
            statement.recommended_at = None
            statement.calculated_run = run
            statement.updated_at = now
            result[statement.staff_id] = statement
        # One statement for the batch: the totals are summed by the database from the lines
        # just written (Django's bulk_update would build a CASE per row, slowly).
        Statement.objects.filter(
            pk__in=[statement.pk for statement in kept if statement.pk not in fresh]
        ).update(
            total=Coalesce(
                Subquery(
                    RewardLine.objects.filter(statement=OuterRef("pk"))
                    .values("statement")
                    .annotate(sum=Sum("amount"))
                    .values("sum")
                ),
                ZERO,
                output_field=DecimalField(**MONEY),
            ),
            status=Statement.Status.DRAFT,
            recommended_by=None,
            recommended_at=None,
            calculated_run=run,
            updated_at=now,
        )
        for previous, subjects in sorted(moved.items()):
            record_changes(
                subjects=subjects,
                from_state=previous,
                to_state=Statement.Status.DRAFT,
                actor=None,
                reason=gettext_noop("recalculated"),
            )
        return result


def statement_calculate(
    *, period: PayoutPeriod, staff_id: int, lines: list[LineDraft], run: int
) -> Statement | None:
    """One person's part of ``statements_calculate``."""
    return statements_calculate(period=period, lines_by_staff={staff_id: lines}, run=run).get(
        staff_id
    )


def payout_period_calculate(*, period_id: int, run: int | None = None) -> dict:
    """The whole calculation of one period. Idempotent; see the module docstring."""
    period = PayoutPeriod.objects.get(pk=period_id)
    if run is None:
        run = period.calculation_run
    if period.status not in (PayoutPeriod.Status.CLOSED, PayoutPeriod.Status.CALCULATED):
        return {"skipped": f"period is {period.status}"}
    PayoutPeriod.objects.filter(pk=period.pk, calculation_run=run).update(
        # A retry of a failed run starts clean: a finished run shows no stale error.
        calculation_state=PayoutPeriod.CalculationState.RUNNING,
        calculation_done=0,
        calculation_error="",
    )
    try:
        figures, people, approved_time = _gather(period)
        existing = set(Statement.objects.filter(period=period).values_list("staff_id", flat=True))
        everyone = sorted(people | existing)
        PayoutPeriod.objects.filter(pk=period.pk, calculation_run=run).update(
            calculation_total=len(everyone)
        )
        # People per transaction: 10,000 people take a few dozen transactions, a crash
        # loses little work and a sign-off waits briefly for the period row.
        size = max(1, settings.ALLHANDS_PAYOUT_BATCH)
        for index in range(0, len(everyone), size):
            batch = everyone[index : index + size]
            statements_calculate(
                period=period,
                lines_by_staff={staff_id: figures[staff_id].lines for staff_id in batch},
                run=run,
                done=index + len(batch),
            )
        role_model_candidates_propose(period=period, approved_time=approved_time)
    except Exception as error:
        PayoutPeriod.objects.filter(pk=period.pk, calculation_run=run).update(
            calculation_state=PayoutPeriod.CalculationState.FAILED,
            calculation_error=f"{error.__class__.__name__}: {error}"[:2000],
        )
        raise
    with transaction.atomic():
        period = PayoutPeriod.objects.select_for_update().get(pk=period.pk)
        if period.status == PayoutPeriod.Status.CLOSED:
            _move_period(period, PayoutPeriod.Status.CALCULATED, None)
        period.calculated_at = timezone.now()
        fields = ["status", "calculated_at"]
        if period.calculation_run == run:
            period.calculation_state = PayoutPeriod.CalculationState.DONE
            fields.append("calculation_state")
        period.save(update_fields=fields)
        if period.calculation_run == run:
            approve_period_when_complete(period=period, actor=None)
            transaction.on_commit(lambda: _queue_statements_ready(period.pk))
    return {"people": len(everyone), "run": run}


# --------------------------------------------------------------------------- role models


def role_model_candidates_propose(
    *, period: PayoutPeriod, approved_time: dict[int, tuple[int, int]] | None = None
) -> int:
    """Propose up to three candidates per department from the period's figures.
    Nominated candidates are kept; the rest are replaced. ``approved_time``: each
    person's approved minutes and confirmed outcomes in the period, if already read."""
    figures: dict[int, dict] = defaultdict(
        lambda: {"minutes": 0, "won": 0, "revenue": Decimal("0"), "outcomes": 0}
    )
    if approved_time is None:
        approved_time = {
            row["staff_id"]: (row["total"], row["outcomes"])
            for row in TimeLog.objects.filter(
                day__gte=period.start_date,
                day__lte=period.end_date,
                status=TimeLog.Status.APPROVED,
            )
            .values("staff_id")
            .annotate(
                total=Sum("minutes"), outcomes=Count("pk", filter=Q(outcome_status="confirmed"))
            )
        }
    for staff_id, (total, outcomes) in approved_time.items():
        figures[staff_id]["minutes"] = total
        figures[staff_id]["outcomes"] = outcomes
    for row in (
        Lead.objects.filter(won_on__gte=period.start_date, won_on__lte=period.end_date)
        .values("introducer_id")
        .annotate(count=Count("pk"))
    ):
        figures[row["introducer_id"]]["won"] = row["count"]
    for row in (
        Collection.objects.filter(
            received_on__gte=period.start_date, received_on__lte=period.end_date
        )
        .values("lead__introducer_id", "kind")
        .annotate(total=Sum("amount"))
    ):
        sign = -1 if row["kind"] == Collection.Kind.REFUND else 1
        figures[row["lead__introducer_id"]]["revenue"] += sign * row["total"]
    # Everyone eligible, filtered here: the people with figures would be a list of
    # thousands of parameters.
    profiles = {
        staff_id: department_id
        for staff_id, department_id in StaffProfile.objects.filter(is_active=True)
        .exclude(department__kind=Department.Kind.MARKETING)
        .values_list("pk", "department_id")
        if staff_id in figures
    }

    def score(f):
        return (
            Decimal(f["minutes"]) / Decimal(60)
            + Decimal(f["won"]) * Decimal(10)
            + f["revenue"] / Decimal(10000)
            + Decimal(f["outcomes"]) * Decimal(2)
        )

    by_department: dict[int, list] = defaultdict(list)
    for staff_id, department_id in profiles.items():
        value = score(figures[staff_id])
        if value > 0:
            by_department[department_id].append((value, staff_id))
    with transaction.atomic():
        RoleModelCandidate.objects.filter(period=period, nominated=False).delete()
        kept = set(
            RoleModelCandidate.objects.filter(period=period).values_list("staff_id", flat=True)
        )
        new = []
        for department_id, scored in by_department.items():
            for value, staff_id in sorted(scored, reverse=True)[:CANDIDATES_PER_DEPARTMENT]:
                if staff_id in kept:
                    continue
                f = figures[staff_id]
                new.append(
                    RoleModelCandidate(
                        period=period,
                        department_id=department_id,
                        staff_id=staff_id,
                        approved_minutes=f["minutes"],
                        leads_won=f["won"],
                        revenue_collected=round_money(max(f["revenue"], Decimal("0"))),
                        outcomes_confirmed=f["outcomes"],
                        score=value.quantize(Decimal("0.0001")),
                    )
                )
        RoleModelCandidate.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


# --------------------------------------------------------------------------- adjustments


def ensure_period_changeable(period: PayoutPeriod) -> None:
    if period.status == PayoutPeriod.Status.PAID:
        raise ValidationError(
            _(
                "The period %(period)s is paid and can no longer change; "
                "record the correction in a later period."
            )
            % {"period": str(period)}
        )
    if period.status == PayoutPeriod.Status.APPROVED:
        raise ValidationError(
            _("The period %(period)s is approved; record the correction in a later period.")
            % {"period": str(period)}
        )


@transaction.atomic
def reward_adjustment_add(
    *, actor, staff: StaffProfile, period: PayoutPeriod, amount: Decimal, reason: str
) -> RewardLine:
    """A manual line, positive or negative, with a reason (kept by recalculations)."""
    if not permissions.can_adjust_rewards(actor, staff):
        raise PermissionDenied
    period = PayoutPeriod.objects.select_for_update().get(pk=period.pk)
    ensure_period_changeable(period)
    errors = {}
    if not isinstance(amount, Decimal) or not amount.is_finite():
        errors["amount"] = _("Enter an amount such as 50.00 or -20.00.")
    elif amount == 0:
        errors["amount"] = _("An adjustment of zero changes nothing.")
    elif abs(amount) > MAX_ADJUSTMENT or amount != round_money(amount):
        errors["amount"] = _("Enter an amount to the fen, below one million.")
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = _("Say why the amount is adjusted.")
    if errors:
        raise ValidationError(errors)
    statement = _statement_for_update(period, staff.pk)
    if statement.status in (Statement.Status.APPROVED, Statement.Status.PAID):
        raise ValidationError(
            _("This statement is already approved; record the correction in a later period.")
        )
    line = RewardLine.objects.create(
        statement=statement,
        source=RewardLine.Source.ADJUSTMENT,
        amount=amount,
        reason=reason,
        explanation={"by": actor.get_username()},
        created_by=actor,
    )
    previous = statement.status
    statement.total = round_money(statement.lines.aggregate(total=Sum("amount"))["total"] or ZERO)
    statement.status = Statement.Status.DRAFT
    # Changed after a recommendation: the marketing lead recommends it again.
    statement.recommended_by = None
    statement.recommended_at = None
    statement.save(
        update_fields=["total", "status", "recommended_by", "recommended_at", "updated_at"]
    )
    record_change(
        subject=statement,
        from_state=previous,
        to_state=statement.status,
        actor=actor,
        reason=reason,
    )
    audit.services.record(
        action="adjustment_added",
        obj=line,
        actor=actor,
        extra={"statement": statement.pk, "amount": amount, "reason": reason},
    )
    return line


def next_open_period(*, after: datetime.date | None = None) -> PayoutPeriod:
    """Where corrections of a paid period go: the current month's period, or later."""
    day = after or timezone.localdate()
    while True:
        period = payout_period_for(day=day)
        if period.status in (
            PayoutPeriod.Status.OPEN,
            PayoutPeriod.Status.CLOSED,
            PayoutPeriod.Status.CALCULATED,
        ):
            return period
        day = period.end_date + datetime.timedelta(days=1)


@transaction.atomic
def payout_period_approve(*, actor, period: PayoutPeriod) -> PayoutPeriod:
    """Approve a calculated period by hand. It is also approved by itself when the last
    statement is approved; this is for integrations that want to say so explicitly."""
    period = PayoutPeriod.objects.select_for_update().get(pk=period.pk)
    if not permissions.can_manage_periods(actor):
        raise PermissionDenied
    if period.status != PayoutPeriod.Status.CALCULATED:
        raise ValidationError(_("Only a calculated period can be approved."))
    if period.calculation_state in (
        PayoutPeriod.CalculationState.QUEUED,
        PayoutPeriod.CalculationState.RUNNING,
    ):
        raise ValidationError(_("A calculation of this period is running; wait until it ends."))
    pending = Statement.objects.filter(period=period).exclude(status=Statement.Status.APPROVED)
    count = pending.count()
    if count:
        raise ValidationError(
            ngettext(
                "%(count)d statement still waits for its line supervisor's approval.",
                "%(count)d statements still wait for their line supervisors' approval.",
                count,
            )
            % {"count": count}
        )
    if not approve_period_when_complete(period=period, actor=actor):
        raise ValidationError(_("This period has no statements to approve."))
    return period


@transaction.atomic
def payout_period_mark_paid(*, actor, period: PayoutPeriod) -> PayoutPeriod:
    period = PayoutPeriod.objects.select_for_update().get(pk=period.pk)
    if not permissions.can_manage_periods(actor):
        raise PermissionDenied
    if period.status != PayoutPeriod.Status.APPROVED:
        raise ValidationError(_("Only an approved period can be marked paid."))
    approved = list(Statement.objects.filter(period=period, status=Statement.Status.APPROVED))
    Statement.objects.filter(pk__in=[s.pk for s in approved]).update(status=Statement.Status.PAID)
    record_changes(
        subjects=approved,
        from_state=Statement.Status.APPROVED,
        to_state=Statement.Status.PAID,
        actor=actor,
    )
    _move_period(period, PayoutPeriod.Status.PAID, actor)
    period.paid_at = timezone.now()
    period.paid_by = actor
    period.save(update_fields=["status", "paid_at", "paid_by"])
    audit.services.record(
        action="period_paid", obj=period, actor=actor, extra={"statements": len(approved)}
    )
    return period


def _queue_statements_ready(period_id: int) -> None:
    from rewards.jobs import notify_statements_ready

    try:
        notify_statements_ready.delay(period_id)
    except Exception:
        logger.exception("Could not queue the notification of period %s", period_id)


def approve_period_when_complete(*, period: PayoutPeriod, actor) -> bool:
    """A calculated period is approved once every statement in it is approved — but not
    while a calculation is queued or running (it could still add a draft). The caller
    holds the period row lock."""
    if period.status != PayoutPeriod.Status.CALCULATED:
        return False
    if period.calculation_state in (
        PayoutPeriod.CalculationState.QUEUED,
        PayoutPeriod.CalculationState.RUNNING,
    ):
        return False
    statements = Statement.objects.filter(period=period)
    if not statements.exists() or statements.exclude(status=Statement.Status.APPROVED).exists():
        return False
    _move_period(
        period, PayoutPeriod.Status.APPROVED, actor, gettext_noop("all statements approved")
    )
    period.approved_at = timezone.now()
    period.approved_by = actor
    period.save(update_fields=["status", "approved_at", "approved_by"])
    audit.services.record(
        action="period_approved",
        obj=period,
        actor=actor,
        summary=gettext_noop("all statements approved"),
    )
    return True


def period_progress(period: PayoutPeriod) -> int:
    if not period.calculation_total:
        return 100 if period.calculation_state == PayoutPeriod.CalculationState.DONE else 0
    return min(100, round(100 * period.calculation_done / period.calculation_total))
