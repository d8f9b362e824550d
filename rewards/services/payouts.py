"""Payout periods and the reward calculation.

The calculation turns a period's approved time, completed tasks and collected revenue
into reward lines, one statement per person per period (rule 4). It is safe to run any
number of times, concurrently or after a crash:

- figures are read in bulk, then the people whose calculated lines come out different
  (by a digest kept on the statement) are written a batch per transaction that locks the
  period row and their statement rows (unique per person and period), replaces the
  calculated lines and recomputes the totals — so two runs serialise and end in the same
  state, and a run that changes nothing writes nothing;
- revenue is computed cumulatively: what a person is due on a lead up to the end of the
  period, minus what earlier periods already gave them. Caps, tiers, credit splits and
  refunds after payout (clawback) all follow from that difference.
"""

from __future__ import annotations

import calendar
import datetime
import functools
import hashlib
import io
import json
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import (
    CharField,
    Count,
    DecimalField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.expressions import RawSQL
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
    """The rules of a kind by the day they take effect, each with its ``tier_list``."""
    return list(
        RewardRule.objects.filter(kind=kind)
        .prefetch_related(Prefetch("tiers", to_attr="tier_list"))
        .order_by("effective_from")
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


@dataclass(frozen=True)
class LineDraft:
    """A calculated line before it is written; never changed once made, so that one
    draft may stand in several people's lists."""

    source: str
    amount: Decimal
    explanation: dict
    lead_id: int | None = None

    @functools.cached_property
    def key(self) -> str:
        """The line as canonical text: two drafts with the same key write the same row."""
        return json.dumps(
            [self.source, self.lead_id, str(self.amount), self.explanation],
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
        )

    @functools.cached_property
    def digest(self) -> str:
        """The fingerprint of a statement with this line alone."""
        return _digest(self.key)


def _digest(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def lines_digest(lines: list[LineDraft]) -> str:
    """The fingerprint of a statement's calculated lines, whatever their order."""
    if len(lines) == 1:
        return lines[0].digest  # most people's, worked out once for everyone with it
    return _digest("\x1e".join(sorted(line.key for line in lines)))


def _rows(queryset: QuerySet) -> list[tuple]:
    """The rows of a ``values_list`` of whole numbers and text as the database gives
    them, without Django's converter calls for each value of each row (they need none).
    Not for dates, decimals or JSON: SQLite gives those as text or floats."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


@dataclass
class SupportRules:
    """A period's support rules, resolved once for everyone: the spans of days with one
    rule in force (see ``_rule_spans``), the rate of each, and the monthly cap."""

    rules: list[RewardRule]
    spans: list[tuple[datetime.date, datetime.date]]
    # (index of the span, rate, rule's first day) of the spans whose rule pays for time,
    # in the order of the rules.
    rates: list[tuple[int, str, str]]
    cap_rule: RewardRule | None

    @classmethod
    def of(cls, rules: list[RewardRule], period: PayoutPeriod) -> SupportRules:
        spans = _rule_spans(rules, period.start_date, period.end_date)
        in_force = [(index, _rule_in_force(rules, first)) for index, (first, _) in enumerate(spans)]
        rates = [
            (index, str(rule.amount_per_approved_hour), rule.effective_from.isoformat())
            for index, rule in sorted(in_force, key=lambda pair: pair[1].pk if pair[1] else 0)
            if rule is not None and rule.amount_per_approved_hour > 0
        ]
        cap_rule = _rule_in_force(rules, period.end_date)
        if cap_rule is not None and cap_rule.monthly_cap_per_person is None:
            cap_rule = None
        return cls(rules=rules, spans=spans, rates=rates, cap_rule=cap_rule)

    def lines(
        self,
        minutes_by_span: Sequence[int | None],
        completed_tasks: list[tuple[int, str, datetime.date]],
    ) -> list[LineDraft]:
        """One person's lines for approved support time (their minutes in each span) and
        completed tasks, with the monthly cap."""
        lines: list[LineDraft] = []
        for index, rate, rule_from in self.rates:
            minutes = minutes_by_span[index]
            if minutes:
                line = _support_time_line(minutes, rate, rule_from)
                if line is not None:
                    lines.append(line)
        for task_id, title, day in completed_tasks:
            rule = _rule_in_force(self.rules, day)
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
        if self.cap_rule is None:
            return lines
        cap = self.cap_rule.monthly_cap_per_person
        if not lines:
            return lines
        total = lines[0].amount if len(lines) == 1 else sum((line.amount for line in lines), ZERO)
        if total > cap:
            lines.append(
                LineDraft(
                    source=RewardLine.Source.SUPPORT_CAP,
                    amount=round_money(cap - total),
                    explanation={
                        "cap": str(cap),
                        "before": str(total),
                        "rule_from": self.cap_rule.effective_from.isoformat(),
                    },
                )
            )
        return lines


@functools.lru_cache(maxsize=4096)
def _support_time_line(minutes: int, rate: str, rule_from: str) -> LineDraft | None:
    """The line for ``minutes`` of approved support time at ``rate`` per hour: one draft
    for everyone with the same minutes under the same rule (most people's only line)."""
    amount = round_money(Decimal(minutes) * Decimal(rate) / Decimal(60))
    if amount == 0:
        # A few minutes at a tiny rate round to nothing: no line, as for revenue, so
        # nobody signs off a statement of 0.00 and the period can still be approved.
        return None
    return LineDraft(
        source=RewardLine.Source.SUPPORT_TIME,
        amount=amount,
        explanation={
            "minutes": minutes,
            "hours": str((Decimal(minutes) / Decimal(60)).quantize(Decimal("0.01"))),
            "rate": rate,
            "rule_from": rule_from,
        },
    )


class Received(NamedTuple):
    """A collection or refund as the calculation reads it."""

    pk: int
    kind: str
    received_on: datetime.date
    amount: Decimal

    @property
    def signed_amount(self) -> Decimal:
        return Collection.signed(self.kind, self.amount)


def lead_due(
    *, collections: list[Received], rules: list[RewardRule], until: datetime.date
) -> tuple[Decimal, dict]:
    """What a whole lead has earned up to ``until`` (before the credit split), unrounded,
    and the facts of the computation. ``rules`` as ``_rules`` gives them."""
    base = Decimal("0")
    collected = Decimal("0")
    held_back = Decimal("0")
    percents: set[str] = set()
    holdbacks: set[int] = set()
    latest_rule = None
    for collection in sorted(collections, key=lambda c: (c.received_on, c.pk)):
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
            (tier.bonus for tier in latest_rule.tier_list if tier.threshold <= collected),
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
) -> tuple[dict[int, list[LineDraft]], set[int], dict[int, tuple[int, int]]]:
    """Every person's computed lines for the period, from a fixed number of queries; and
    everyone's approved minutes and confirmed outcomes (for the role models).

    People with the same support minutes and nothing else share one list of lines: the
    lists are read, never changed."""
    figures: dict[int, list[LineDraft]] = {}
    support = SupportRules.of(_rules(RewardRule.Kind.SUPPORT), period)
    revenue_rules = _rules(RewardRule.Kind.DIRECT_REVENUE)

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
        tasks_done[staff_id].append((task_id, title, responded_at.astimezone(tz).date()))

    # One pass over the month's approved logs. Support minutes are summed per span of
    # days with one rule in force (usually the whole month), not per day: the rule of a
    # span's first day is the rule of each of its days. The support categories are named
    # by id: the logs need no join for them.
    support_categories = list(
        AssistCategory.objects.filter(reward_class=AssistCategory.RewardClass.SUPPORT)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    spans = support.spans if support_categories else []
    no_minutes = (None,) * len(support.spans)
    shared: dict[tuple[int | None, ...], list[LineDraft]] = {}
    approved_time: dict[int, tuple[int, int]] = {}
    for staff_id, total, outcomes, *by_span in _rows(
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
                    filter=Q(category_id__in=support_categories, day__gte=first, day__lte=last),
                )
                for index, (first, last) in enumerate(spans)
            },
        )
        .order_by()
        .values_list(
            "staff_id", "total", "outcomes", *(f"span_{index}" for index in range(len(spans)))
        )
    ):
        approved_time[staff_id] = (total, outcomes)
        if staff_id in tasks_done:
            figures[staff_id] = support.lines(by_span or no_minutes, tasks_done[staff_id])
        elif spans and any(by_span):
            key = tuple(by_span)
            lines = shared.get(key)
            if lines is None:
                lines = shared[key] = support.lines(key, [])
            figures[staff_id] = lines
    for staff_id, done in tasks_done.items():
        if staff_id not in figures:
            figures[staff_id] = support.lines(no_minutes, done)
    # Revenue: every lead with collections up to the end of the period.
    # The leads are named by a subquery: a list of their ids costs Django more than
    # the database takes to find them.
    received = Collection.objects.filter(received_on__lte=period.end_date)
    with_money = received.values("lead_id")
    collections: dict[int, list[Received]] = defaultdict(list)
    for lead_id, *values in received.order_by("pk").values_list(
        "lead_id", "pk", "kind", "received_on", "amount"
    ):
        collections[lead_id].append(Received(*values))
    leads = (
        Lead.objects.filter(pk__in=with_money)
        .order_by("pk")
        .values_list("pk", "client_name", "introducer_id")
    )
    shares: dict[int, list[tuple[int, Decimal]]] = defaultdict(list)
    for lead_id, staff_id, percent in CreditShare.objects.filter(
        lead_id__in=with_money
    ).values_list("lead_id", "staff_id", "percent"):
        shares[lead_id].append((staff_id, percent))
    # What each person's lines on each lead came to in the periods before.
    earlier: dict[int, dict[int, Decimal]] = defaultdict(dict)
    for staff_id, lead_id, total in (
        RewardLine.objects.filter(
            lead_id__in=with_money,
            statement__period__start_date__lt=period.start_date,
        )
        .values("statement__staff_id", "lead_id")
        .annotate(total=Sum("amount"))
        .values_list("statement__staff_id", "lead_id", "total")
    ):
        earlier[lead_id][staff_id] = round_money(total)  # SQLite sums decimals as floats
    revenue_lines: dict[int, list[LineDraft]] = defaultdict(list)
    for lead_id, client_name, introducer_id in leads:
        due, facts = lead_due(
            collections=collections[lead_id], rules=revenue_rules, until=period.end_date
        )
        split = shares.get(lead_id) or [(introducer_id, HUNDRED)]
        before = earlier.get(lead_id, {})
        percent_of = dict(split)
        for staff_id in sorted(percent_of.keys() | before.keys()):
            share = percent_of.get(staff_id, Decimal("0"))
            person_due = round_money(due * share / HUNDRED)
            already = before.get(staff_id, ZERO)
            amount = round_money(person_due - already)
            if amount == 0:
                continue
            revenue_lines[staff_id].append(
                LineDraft(
                    source=RewardLine.Source.LEAD if amount > 0 else RewardLine.Source.CLAWBACK,
                    amount=amount,
                    lead_id=lead_id,
                    explanation={
                        **facts,
                        "client": client_name,
                        "share": str(share),
                        "person_due": str(person_due),
                        "earlier": str(already),
                    },
                )
            )
    for staff_id, lines in revenue_lines.items():
        figures[staff_id] = [*figures.get(staff_id, ()), *lines]
    return figures, set(figures), approved_time


# --------------------------------------------------------------------------- calculation


def _statement_for_update(period: PayoutPeriod, staff_id: int) -> Statement:
    for _attempt in range(3):
        try:
            with transaction.atomic():
                # Made for a manual line: it has no calculated lines, and says so.
                Statement.objects.get_or_create(
                    period=period,
                    staff_id=staff_id,
                    defaults={"calculated_digest": lines_digest([])},
                )
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
    period: PayoutPeriod,
    lines_by_staff: dict[int, list[LineDraft]],
    digests: dict[int, str],
    run: int,
) -> tuple[dict[int, Statement], set[int]]:
    """These people's statements in the period, locked; each with ``manual_total``, the
    sum of the lines a recalculation keeps (None without any). A missing statement is
    created for someone with lines, at once with its total, run and digest: the ids of
    those found so (nothing left to update) come second."""
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
            Statement(
                period=period,
                staff_id=staff_id,
                total=total,
                calculated_run=run,
                calculated_digest=digests[staff_id],
            )
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
            and statement.calculated_digest == digests[statement.staff_id]
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


def _update_statements(statements: list[Statement], *, run: int, now) -> None:
    """Write recalculated statements back in one query, each with its own total and digest
    as a CASE written out (Django's bulk_update, or a CASE of When objects, spends seconds
    building a few hundred conditions). The totals are the ones worked out under the
    statements' locks: their manual lines and the calculated lines just written."""
    quote = connection.ops.quote_name
    pk = f"{quote(Statement._meta.db_table)}.{quote(Statement._meta.pk.column)}"

    def each(value, output_field) -> RawSQL:
        return RawSQL(  # noqa: S611 - names from the models, values bound
            f"CASE {pk} {' '.join(['WHEN %s THEN %s'] * len(statements))} END",
            [item for statement in statements for item in (statement.pk, value(statement))],
            output_field=output_field,
        )

    Statement.objects.filter(pk__in=[statement.pk for statement in statements]).update(
        total=each(lambda statement: statement.total, DecimalField(**MONEY)),
        status=Statement.Status.DRAFT,
        recommended_by=None,
        recommended_at=None,
        calculated_run=run,
        calculated_digest=each(lambda statement: statement.calculated_digest, CharField()),
        updated_at=now,
    )


def statements_calculate(
    *,
    period: PayoutPeriod,
    lines_by_staff: dict[int, list[LineDraft]],
    run: int,
    done: int | None = None,
) -> dict[int, Statement | None]:
    """Replace the computed lines of these people's statements, in one transaction and
    a fixed number of queries. Approved and paid statements are kept as they are, and so
    is a statement whose calculated lines come out the same (its recommendation and its
    inquiries stand); a statement left without any line is removed. ``done``, if given,
    is recorded as the run's progress in the same transaction.

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
        digests = {staff_id: lines_digest(lines) for staff_id, lines in lines_by_staff.items()}
        statements, fresh = _statements_for_update(period, lines_by_staff, digests, run)
        result: dict[int, Statement | None] = dict.fromkeys(staff_ids)
        open_ones = []
        for staff_id in staff_ids:
            if staff_id not in statements and not lines_by_staff[staff_id]:
                continue  # no statement and nothing to write
            statement = statements[staff_id]
            if statement.pk not in fresh and (
                statement.status in Statement.SIGNED_OFF
                or statement.calculated_digest == digests[staff_id]
            ):
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
            statement.calculated_digest = digests[statement.staff_id]
            statement.updated_at = now
            result[statement.staff_id] = statement
        changed = [statement for statement in kept if statement.pk not in fresh]
        if changed:
            _update_statements(changed, run=run, now=now)
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
        digests: dict[int, str] = {}
        signed_off = set()  # approved and paid statements stay as they are
        for staff_id, status, digest in _rows(
            Statement.objects.filter(period=period)
            .order_by()
            .values_list("staff_id", "status", "calculated_digest")
        ):
            digests[staff_id] = digest
            if status in Statement.SIGNED_OFF:
                signed_off.add(staff_id)
        everyone = sorted(people | set(digests))
        # Only the people whose lines come out different are written; the batches check
        # again under their locks.
        changed = [
            staff_id
            for staff_id in everyone
            if staff_id not in signed_off
            and (staff_id in digests or figures.get(staff_id))
            and digests.get(staff_id) != lines_digest(figures.get(staff_id, []))
        ]
        unchanged = len(everyone) - len(changed)
        PayoutPeriod.objects.filter(pk=period.pk, calculation_run=run).update(
            calculation_total=len(everyone), calculation_done=unchanged
        )
        # People per transaction: 10,000 people take a few dozen transactions, a crash
        # loses little work and a sign-off waits briefly for the period row.
        size = max(1, settings.ALLHANDS_PAYOUT_BATCH)
        for index in range(0, len(changed), size):
            batch = changed[index : index + size]
            statements_calculate(
                period=period,
                lines_by_staff={staff_id: figures.get(staff_id, []) for staff_id in batch},
                run=run,
                done=unchanged + index + len(batch),
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
            if changed:  # a run that changed nothing has nothing new to tell
                transaction.on_commit(lambda: _queue_statements_ready(period.pk))
    return {"people": len(everyone), "run": run}


# --------------------------------------------------------------------------- role models


# A score is hours of approved time, plus 10 per lead won, 2 per confirmed outcome and 1
# per 10,000.00 collected; scaled by 60,000 it is a whole number for whole fen.
SCORE_SCALE = Decimal(60_000)
SCORE_MINUTE, SCORE_WON, SCORE_OUTCOME, SCORE_YUAN = 1_000, 600_000, 120_000, 6


def role_model_candidates_propose(
    *, period: PayoutPeriod, approved_time: dict[int, tuple[int, int]] | None = None
) -> int:
    """Propose up to three candidates per department from the period's figures.
    Nominated candidates are kept, and so is a proposal that comes out the same; the rest
    are replaced. ``approved_time``: each person's approved minutes and confirmed outcomes
    in the period, if already read. Returns the number of proposals written."""
    if approved_time is None:
        approved_time = {
            staff_id: (total, outcomes)
            for staff_id, total, outcomes in TimeLog.objects.filter(
                day__gte=period.start_date,
                day__lte=period.end_date,
                status=TimeLog.Status.APPROVED,
            )
            .values("staff_id")
            .annotate(
                total=Sum("minutes"), outcomes=Count("pk", filter=Q(outcome_status="confirmed"))
            )
            .values_list("staff_id", "total", "outcomes")
        }
    won: dict[int, int] = dict(
        Lead.objects.filter(won_on__gte=period.start_date, won_on__lte=period.end_date)
        .values("introducer_id")
        .annotate(count=Count("pk"))
        .values_list("introducer_id", "count")
    )
    revenue: dict[int, Decimal] = defaultdict(Decimal)
    for introducer_id, kind, total in (
        Collection.objects.filter(
            received_on__gte=period.start_date, received_on__lte=period.end_date
        )
        .values("lead__introducer_id", "kind")
        .annotate(total=Sum("amount"))
        .values_list("lead__introducer_id", "kind", "total")
    ):
        revenue[introducer_id] += Collection.signed(kind, total)
    scored = approved_time.keys() | won.keys() | revenue.keys()
    # Everyone eligible, filtered here: the people with figures would be a list of
    # thousands of parameters.
    by_department: dict[int, list[tuple[int | Decimal, int]]] = defaultdict(list)
    for staff_id, department_id in _rows(
        StaffProfile.objects.filter(is_active=True)
        .exclude(department__kind=Department.Kind.MARKETING)
        .values_list("pk", "department_id")
    ):
        if staff_id not in scored:
            continue
        minutes, outcomes = approved_time.get(staff_id, (0, 0))
        # Exact: whole numbers unless money was collected.
        key = (
            minutes * SCORE_MINUTE
            + won.get(staff_id, 0) * SCORE_WON
            + outcomes * SCORE_OUTCOME
            + revenue.get(staff_id, 0) * SCORE_YUAN
        )
        if key > 0:
            by_department[department_id].append((key, staff_id))
    proposals = {}
    for department_id, keys in by_department.items():
        for key, staff_id in sorted(keys, reverse=True)[:CANDIDATES_PER_DEPARTMENT]:
            minutes, outcomes = approved_time.get(staff_id, (0, 0))
            proposals[staff_id] = (
                department_id,
                minutes,
                won.get(staff_id, 0),
                round_money(max(revenue.get(staff_id, ZERO), ZERO)),
                outcomes,
                (Decimal(key) / SCORE_SCALE).quantize(Decimal("0.0001")),
            )
    with transaction.atomic():
        fields = (
            "department_id",
            "approved_minutes",
            "leads_won",
            "revenue_collected",
            "outcomes_confirmed",
            "score",
        )
        stale = []
        kept = set()
        for pk, staff_id, nominated, *figures in (
            RoleModelCandidate.objects.filter(period=period)
            .select_for_update()
            .values_list("pk", "staff_id", "nominated", *fields)
        ):
            if nominated or proposals.get(staff_id) == tuple(figures):
                kept.add(staff_id)
            else:
                stale.append(pk)
        if stale:
            RoleModelCandidate.objects.filter(pk__in=stale, nominated=False).delete()
        new = [
            RoleModelCandidate(
                period=period, staff_id=staff_id, **dict(zip(fields, figures, strict=True))
            )
            for staff_id, figures in proposals.items()
            if staff_id not in kept
        ]
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
    if statement.status in Statement.SIGNED_OFF:
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
