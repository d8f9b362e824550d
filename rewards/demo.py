"""Rewards of the demo company: the reward rules, leads at every stage and three payout
periods — the month two months ago paid, last month calculated and half signed off, this
month open — with a role model on the honour board.

Built the same way every time: dates are relative to ``timezone.localdate()``, one
``random.Random(2027)`` drives the older time logs, and a second run finds the demo leads
and does nothing.

Everything that a service can do goes through it (client protection, the pipeline moves,
collections, the credit split, the calculation, the sign-off, payment): the story is one
timeline of events, run in order, each through its service. Services stamp "now", so each
event then gets the time it would have had: its rows and the history rows it recorded are
moved to that moment, never into the future. The time logs of the months before the
assist-work history cannot go through the services (the edit window refuses them); they
are written directly, within each day's budget, with their history and day ledgers.
"""

from __future__ import annotations

import datetime
import random
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import F, Max, Sum
from django.utils import timezone

from departments.models import StaffProfile
from rewards.models import (
    Collection,
    Lead,
    PayoutPeriod,
    RewardLine,
    RewardRule,
    RewardTier,
    RoleModelCandidate,
    Statement,
)
from rewards.services import leads as lead_services
from rewards.services import payouts, signoff
from rewards.services import statements as statement_services
from tasks import demo as assist_demo
from tasks.history import record_change
from tasks.models import AssistCategory, DayLedger, StateChange, TimeLog
from tasks.selectors import budgets_for_people_and_days, granted_extensions

DAY = datetime.timedelta(days=1)
STAFF = assist_demo.STAFF
SUPERVISORS = assist_demo.LEADS

# ------------------------------------------------------------------------- reward rules

SUPPORT_RULE = {
    "amount_per_approved_hour": Decimal("20.00"),
    "amount_per_completed_task": Decimal("30.00"),
    "monthly_cap_per_person": Decimal("600.00"),
    "note": "Basic reward for marketing support work, agreed by the management meeting.",
}
REVENUE_RULE = {
    "percent_of_collected": Decimal("3.00"),
    "cap_per_lead": Decimal("20000.00"),
    "holdback_days": 30,
    "note": "Large reward for introduced business, once the money is in and 30 days have passed.",
}
REVENUE_TIERS = [
    (Decimal("50000.00"), Decimal("500.00")),
    (Decimal("200000.00"), Decimal("2000.00")),
]
RULES_MONTHS_AGO = 12

# ------------------------------------------------------------------------- leads

# key: introducer, client, contact, need, estimated value.
LEADS = {
    "jiahe": (
        "ops.1",
        "Jiahe Foods Co., Ltd.",
        "Xu Gang, warehouse manager, xu.gang@jiahe-foods.cn",
        "Barcode scanning in their two cold stores, linked to the ordering system: paper pick "
        "lists cause about one wrong delivery a day.",
        "200000.00",
    ),
    "xinda": (
        "ops.3",
        "Xinda Cold Chain Logistics",
        "Ms. Tang, operations director, +86 138 0571 2290",
        "Temperature tracking and route planning for 40 refrigerated trucks, starting with a "
        "pilot in three depots.",
        "300000.00",
    ),
    "dongsheng": (
        "eng.3",
        "Dongsheng Retail",
        "Pan Wei, pan.wei@dongsheng-retail.com",
        "Replace the stock system of their 12 shops before the spring festival.",
        "90000.00",
    ),
    "ruifeng": (
        "ops.2",
        "Ruifeng Packaging",
        "Li Ting, purchasing, +86 135 1022 7781",
        "The reporting module for their order desk; a former colleague of mine buys for them.",
        "40000.00",
    ),
    "huaxin": (
        "eng.2",
        "Huaxin Logistics",
        "Zhou Bin, dispatch lead, zhou.bin@huaxin-log.cn",
        "Route planning and a returns process for two depots; they want a pilot proposal.",
        "150000.00",
    ),
    "hengda": (
        "eng.1",
        "Hengda Warehousing",
        "Mr. Fang, IT manager, +86 137 6650 3412",
        "A new warehouse opens in spring: integration with their ERP and a phased rollout.",
        "260000.00",
    ),
    "lanting": (
        "ops.1",
        "Lanting Office Park",
        "Ms. Gao, facilities, +86 139 2000 8811",
        "Visitor registration and parcel tracking for the 30 companies in the park.",
        "60000.00",
    ),
    "lanting-again": (
        "eng.2",
        "Lanting Office Park Co., Ltd.",
        "Wu Jun, IT manager, wu.jun@lanting-park.cn",
        "Met their IT manager at a developer meetup; he wants parcel lockers linked to their "
        "tenant directory.",
        "30000.00",
    ),
    "baiyun": (
        "ops.3",
        "Baiyun Medical Supplies",
        "Dr. He, +86 136 0020 4587",
        "Expiry-date tracking across three storerooms; asked for a quote after a support call.",
        "50000.00",
    ),
}

XINDA_SPLIT = [
    ("ops.3", Decimal("60.00"), "Introduced the client and kept in touch with their buyer"),
    ("eng.3", Decimal("40.00"), "Shaped the technical proposal and ran the pilot workshop"),
]

# When (anchor, days from it), lead, what happens, details. Anchors: the paid month's
# first and last day, last month's first and last day, today.
LEAD_STORY = [
    (("paid_end", -110), "jiahe", "introduce", {}),
    (("paid_end", -100), "jiahe", "qualify", {}),
    (("paid_end", -75), "jiahe", "win", {"contract_amount": "240000.00"}),
    (("paid_end", -74), "jiahe", "key_role", {}),
    # Both instalments are past the 30-day hold-back by the end of the paid month, and
    # neither is before it (so no earlier month owes anything on them).
    (("paid_end", -50), "jiahe", "collect", {"amount": "140000.00", "note": "Invoice JH-0412"}),
    (("paid_end", -35), "jiahe", "collect", {"amount": "100000.00", "note": "Invoice JH-0468"}),
    (("paid_start", -40), "xinda", "introduce", {}),
    (("paid_start", -30), "xinda", "qualify", {}),
    (("paid_start", 1), "xinda", "win", {"contract_amount": "300000.00"}),
    (("paid_start", 2), "xinda", "split", {}),
    (("paid_start", 2), "xinda", "key_role", {}),
    (("paid_start", 4), "xinda", "collect", {"amount": "120000.00", "note": "Down payment, 40 %"}),
    (("last_start", -20), "dongsheng", "introduce", {}),
    (("last_start", -10), "dongsheng", "qualify", {}),
    (("last_start", 2), "ruifeng", "introduce", {}),
    (("last_start", 6), "ruifeng", "qualify", {}),
    (
        ("last_start", 12),
        "dongsheng",
        "lose",
        {"reason": "They chose a competitor with an installer in their city."},
    ),
    (("last_end", -8), "xinda", "collect", {"amount": "80000.00", "note": "Pilot depots live"}),
    (("last_end", -3), "ruifeng", "win", {"contract_amount": "45000.00"}),
    (("today", -25), "huaxin", "introduce", {}),
    (("today", -20), "huaxin", "qualify", {}),
    (("today", -12), "hengda", "introduce", {}),
    (("today", -9), "lanting", "introduce", {}),
    (("today", -6), "hengda", "qualify", {}),
    (("today", -4), "baiyun", "introduce", {}),
    (("today", -2), "lanting-again", "introduce", {}),
]

ROLE_MODEL = (
    "ops.3",
    "ops.lead",
    "Brought in Xinda Cold Chain Logistics: the contract was signed in the first days of the "
    "month and the 40 % down payment arrived the same week. She kept up her customer-service "
    "hours all month and helped Liu Yang prepare the pilot workshop.",
)

# ------------------------------------------------------------------------- older time logs

# How people logged assist work in the months before the assist-work history: the chance
# of logging on a working day, and the fewest quarter hours on such a day. eng.2 is the
# keen one whose support reward meets the monthly cap.
PACE = {
    "eng.1": (0.7, 2),
    "eng.2": (0.98, 7),
    "eng.3": (0.75, 2),
    "ops.1": (0.8, 2),
    "ops.2": (0.7, 2),
    "ops.3": (0.75, 2),
    "eng.lead": (0.2, 2),
    "ops.lead": (0.25, 2),
}
REJECTED_SHARE = 0.04


def _month_start(day: datetime.date, months_back: int) -> datetime.date:
    year, month = divmod(day.year * 12 + day.month - 1 - months_back, 12)
    return datetime.date(year, month + 1, 1)


def _workday(day: datetime.date) -> datetime.date:
    while day.weekday() >= 5:
        day += DAY
    return day


def _already_seeded() -> bool:
    first = lead_services.normalise_client(LEADS["jiahe"][1])
    return Lead.objects.filter(client_key=first).exists() or Statement.objects.exists()


@transaction.atomic
def seed_rewards() -> dict[str, int]:
    names = [*STAFF, *SUPERVISORS, "marketing", "finance", "gm"]
    users = {user.username: user for user in get_user_model().objects.filter(username__in=names)}
    if len(users) < len(names):
        raise RuntimeError("Seed the organisation first (departments.demo.seed_organisation).")
    if not _already_seeded():
        _Seeder(users).run()
    return {
        "leads": Lead.objects.count(),
        "periods": PayoutPeriod.objects.count(),
        "statements": Statement.objects.count(),
    }


@dataclass(order=True)
class _Event:
    moment: datetime.datetime
    order: int
    run: Callable[[datetime.datetime], None] = field(compare=False)


class _Seeder:
    def __init__(self, users):
        self.rng = random.Random(2027)  # noqa: S311 - demo data, not secrets
        self.users = users
        self.profiles = {
            profile.user.username: profile
            for profile in StaffProfile.objects.select_related(
                "user", "department", "line_supervisor"
            ).filter(user__username__in=[*STAFF, *SUPERVISORS])
        }
        self.today = timezone.localdate()
        self.now = timezone.now()
        self.paid_start, self.paid_end = payouts.month_of(_month_start(self.today, 2))
        self.last_start, self.last_end = payouts.month_of(_month_start(self.today, 1))
        self.anchors = {
            "paid_start": self.paid_start,
            "paid_end": self.paid_end,
            "last_start": self.last_start,
            "last_end": self.last_end,
            "today": self.today,
        }
        self.leads: dict[str, Lead] = {}
        self.events: list[_Event] = []

    def at(self, day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
        moment = datetime.datetime.combine(
            day, datetime.time(hour, minute), tzinfo=timezone.get_current_timezone()
        )
        return min(moment, self.now)

    def run(self) -> None:
        self.seed_rules()
        self.seed_older_time()
        self.plan_leads()
        self.plan_periods()
        for event in sorted(self.events):
            with self.dated(event.moment):
                event.run(event.moment)

    def add(self, moment: datetime.datetime, run: Callable[[datetime.datetime], None]) -> None:
        self.events.append(_Event(moment, len(self.events), run))

    @contextmanager
    def dated(self, moment: datetime.datetime) -> Iterator[None]:
        """The history that the block records happened at ``moment``."""
        last = StateChange.objects.aggregate(last=Max("pk"))["last"] or 0
        yield
        StateChange.objects.filter(pk__gt=last).update(at=moment)

    # ---------------------------------------------------------------- rules

    def seed_rules(self) -> None:
        start = _month_start(self.today, RULES_MONTHS_AGO)
        RewardRule.objects.get_or_create(
            kind=RewardRule.Kind.SUPPORT, effective_from=start, defaults=SUPPORT_RULE
        )
        revenue, _created = RewardRule.objects.get_or_create(
            kind=RewardRule.Kind.DIRECT_REVENUE, effective_from=start, defaults=REVENUE_RULE
        )
        for threshold, bonus in REVENUE_TIERS:
            RewardTier.objects.get_or_create(
                rule=revenue, threshold=threshold, defaults={"bonus": bonus}
            )

    # ---------------------------------------------------------------- older time logs

    def seed_older_time(self) -> None:
        """Approved assist work in the paid and the calculated month, on the working days
        before the assist-work history starts."""
        history_starts = self.today - (assist_demo.HISTORY_DAYS - 1) * DAY
        last_day = min(self.last_end, history_starts - DAY)
        days = [
            self.paid_start + n * DAY
            for n in range((last_day - self.paid_start).days + 1)
            if (self.paid_start + n * DAY).weekday() < 5
        ]
        if not days:
            return
        people = [self.profiles[name] for name in [*STAFF, *SUPERVISORS]]
        caps = budgets_for_people_and_days(people=people, days=days)
        for key, minutes in granted_extensions(people=people, start=days[0], end=days[-1]).items():
            caps[key] = caps.get(key, 0) + minutes
        used: dict[tuple[int, datetime.date], int] = defaultdict(int)
        for row in (
            TimeLog.objects.filter(staff__in=people, day__gte=days[0], day__lte=days[-1])
            .exclude(status=TimeLog.Status.REJECTED)
            .values("staff_id", "day")
            .annotate(total=Sum("minutes"))
        ):
            used[(row["staff_id"], row["day"])] = row["total"]
        categories = {
            category.code: category
            for category in AssistCategory.objects.filter(code__in=assist_demo.WORK)
        }

        logs: list[TimeLog] = []
        for day in days:
            for name in [*STAFF, *SUPERVISORS]:
                profile = self.profiles[name]
                chance, fewest = PACE[name]
                if self.rng.random() > chance:
                    continue
                cap = caps.get((profile.pk, day), 0)
                left = cap - used[(profile.pk, day)]
                if left < 30:
                    continue
                total = 15 * self.rng.randint(min(fewest, left // 15), left // 15)
                parts = [total] if total < 60 or self.rng.random() < 0.5 else None
                if parts is None:
                    first = 15 * self.rng.randint(1, total // 15 - 1)
                    parts = [first, total - first]
                weights = assist_demo.CATEGORY_WEIGHTS[profile.department.code]
                for minutes in parts:
                    code = self.rng.choices(list(weights), weights=list(weights.values()))[0]
                    description, outcome = self.rng.choice(assist_demo.WORK[code])
                    rejected = self.rng.random() < REJECTED_SHARE
                    logs.append(
                        self.write_log(
                            profile=profile,
                            day=day,
                            minutes=minutes,
                            category=categories[code],
                            description=description,
                            outcome=outcome,
                            reason=self.rng.choice(assist_demo.REJECTION_REASONS)
                            if rejected
                            else "",
                        )
                    )
                used[(profile.pk, day)] += total
        self.backdate_logs(logs)
        self.refresh_ledgers(days)

    def write_log(self, *, profile, day, minutes, category, description, outcome, reason):
        """As ``time_log_create`` and the supervisor's decision would have written it."""
        status = TimeLog.Status.REJECTED if reason else TimeLog.Status.APPROVED
        supervisor = profile.line_supervisor
        log = TimeLog.objects.create(
            staff=profile,
            day=day,
            minutes=minutes,
            category=category,
            description=description,
            outcome=outcome,
            duties_done=True,
            status=status,
            decided_by=supervisor,
            decided_at=self.now,
            rejection_reason=reason,
        )
        record_change(
            subject=log, from_state="", to_state=TimeLog.Status.SUBMITTED, actor=profile.user
        )
        record_change(
            subject=log,
            from_state=TimeLog.Status.SUBMITTED,
            to_state=status,
            actor=supervisor,
            reason=reason,
        )
        return log

    def backdate_logs(self, logs: list[TimeLog]) -> None:
        log_type = ContentType.objects.get_for_model(TimeLog)
        changes = defaultdict(list)
        for change in StateChange.objects.filter(
            content_type=log_type, object_id__in=[log.pk for log in logs]
        ).order_by("pk"):
            changes[change.object_id].append(change)
        moved = []
        for log in logs:
            created = self.at(log.day, 16 + self.rng.randint(0, 2), self.rng.randint(0, 59))
            decided = self.at(_workday(log.day + DAY), 9, self.rng.randint(0, 59))
            log.created_at, log.decided_at, log.updated_at = created, decided, decided
            for change in changes[log.pk]:
                change.at = created if change.to_state == TimeLog.Status.SUBMITTED else decided
                moved.append(change)
        TimeLog.objects.bulk_update(
            logs, ["created_at", "decided_at", "updated_at"], batch_size=200
        )
        StateChange.objects.bulk_update(moved, ["at"], batch_size=200)

    def refresh_ledgers(self, days: list[datetime.date]) -> None:
        logs = TimeLog.objects.filter(
            staff__in=self.profiles.values(), day__gte=days[0], day__lte=days[-1]
        )
        totals = dict.fromkeys(logs.values_list("staff_id", "day").distinct(), 0)
        for row in (
            logs.exclude(status=TimeLog.Status.REJECTED)
            .values("staff_id", "day")
            .annotate(total=Sum("minutes"))
        ):
            totals[(row["staff_id"], row["day"])] = row["total"]
        for (staff_id, day), minutes in sorted(totals.items()):
            DayLedger.objects.update_or_create(
                staff_id=staff_id, day=day, defaults={"logged_minutes": minutes, "dirty": True}
            )

    # ---------------------------------------------------------------- leads

    def plan_leads(self) -> None:
        for index, ((anchor, offset), key, action, details) in enumerate(LEAD_STORY):
            day = self.anchors[anchor] + offset * DAY
            # Office hours; events on one day keep their order in the story.
            moment = self.at(day, 10 + offset % 5, index % 60)
            self.add(moment, self._lead_event(key, action, day, details))

    def _lead_event(self, key: str, action: str, day: datetime.date, details: dict):
        def run(moment: datetime.datetime) -> None:
            self.lead_step(key, action, day, details, moment)

        return run

    def lead_step(self, key, action, day, details, moment) -> None:
        marketing = self.users["marketing"]
        if action == "introduce":
            introducer, client, contact, need, estimate = LEADS[key]
            lead = lead_services.lead_introduce(
                staff=self.profiles[introducer],
                client_name=client,
                contact=contact,
                need=need,
                estimated_value=Decimal(estimate),
            )
            Lead.objects.filter(pk=lead.pk).update(
                created_at=moment,
                protected_until=day + settings.ALLHANDS_CLIENT_PROTECTION_DAYS * DAY,
            )
            self.leads[key] = lead
        lead = self.leads[key]
        if action == "qualify":
            lead_services.lead_qualify(actor=marketing, lead=lead)
        elif action == "win":
            lead_services.lead_win(
                actor=marketing,
                lead=lead,
                contract_amount=Decimal(details["contract_amount"]),
                won_on=day,
            )
        elif action == "lose":
            lead_services.lead_lose(actor=marketing, lead=lead, reason=details["reason"])
        elif action == "key_role":
            lead_services.lead_confirm_key_role(actor=marketing, lead=lead)
        elif action == "split":
            lead_services.credit_split_set(
                actor=marketing,
                lead=lead,
                shares=[
                    (self.profiles[name], percent, role) for name, percent, role in XINDA_SPLIT
                ],
            )
        elif action == "collect":
            collection = lead_services.collection_add(
                actor=marketing,
                lead=lead,
                received_on=day,
                amount=Decimal(details["amount"]),
                note=details["note"],
            )
            Collection.objects.filter(pk=collection.pk).update(created_at=moment)
        Lead.objects.filter(pk=lead.pk).update(updated_at=moment)

    # ---------------------------------------------------------------- periods

    def plan_periods(self) -> None:
        grace = settings.ALLHANDS_LOGGING_GRACE_DAYS
        finance, marketing = self.users["finance"], self.users["marketing"]
        paid = payouts.payout_period_for(day=self.paid_start)
        last = payouts.payout_period_for(day=self.last_start)
        payouts.payout_period_for(day=self.today)

        closed = _workday(self.last_start + grace * DAY)
        recommended = _workday(closed + 2 * DAY)
        approved = _workday(recommended + 2 * DAY)
        nominated = _workday(approved + DAY)
        paid_on = _workday(nominated + 2 * DAY)
        self.add(self.at(closed, 9, 5), lambda at: self.close(paid, finance, at))
        self.add(self.at(closed, 9, 10), lambda at: self.calculate(paid, at))
        self.add(
            self.at(recommended, 10, 30),
            lambda at: self.recommend(paid, marketing, [*STAFF, *SUPERVISORS], at),
        )
        for hour, supervisor in ((14, "eng.lead"), (15, "ops.lead"), (16, "gm")):
            self.add(
                self.at(approved, hour),
                lambda at, name=supervisor: self.approve(paid, self.users[name], at),
            )
        self.add(self.at(nominated, 11), lambda at: self.nominate(paid, at))
        self.add(self.at(paid_on, 15), lambda at: self.mark_paid(paid, finance, at))

        closed = _workday(self.today.replace(day=1) + grace * DAY)
        recommended = _workday(closed + DAY)
        self.add(self.at(closed, 9, 5), lambda at: self.close(last, finance, at))
        self.add(self.at(closed, 9, 10), lambda at: self.calculate(last, at))
        # Engineering's are recommended and wait for eng.lead; the rest wait for marketing.
        self.add(
            self.at(recommended, 11),
            lambda at: self.recommend(last, marketing, ["eng.1", "eng.2", "eng.3"], at),
        )

    def close(self, period: PayoutPeriod, actor, moment: datetime.datetime) -> None:
        payouts.payout_period_close(actor=actor, period=period)
        PayoutPeriod.objects.filter(pk=period.pk).update(closed_at=moment)

    def calculate(self, period: PayoutPeriod, moment: datetime.datetime) -> None:
        """What finance's Calculate button starts, run here and now rather than queued."""
        PayoutPeriod.objects.filter(pk=period.pk).update(
            calculation_run=F("calculation_run") + 1,
            calculation_state=PayoutPeriod.CalculationState.QUEUED,
        )
        period.refresh_from_db()
        payouts.payout_period_calculate(period_id=period.pk, run=period.calculation_run)
        PayoutPeriod.objects.filter(pk=period.pk).update(calculated_at=moment)
        Statement.objects.filter(period=period).update(updated_at=moment)
        RewardLine.objects.filter(statement__period=period).update(created_at=moment)

    def recommend(self, period, actor, names: list[str], moment) -> None:
        ids = list(
            Statement.objects.filter(period=period, staff__user__username__in=names).values_list(
                "pk", flat=True
            )
        )
        if ids:
            signoff.statements_recommend(actor=actor, statement_ids=ids)
            Statement.objects.filter(pk__in=ids).update(recommended_at=moment, updated_at=moment)

    def approve(self, period: PayoutPeriod, supervisor, moment: datetime.datetime) -> None:
        ids = list(
            Statement.objects.filter(
                period=period,
                staff__line_supervisor=supervisor,
                status=Statement.Status.RECOMMENDED,
            ).values_list("pk", flat=True)
        )
        if ids:
            signoff.statements_approve(actor=supervisor, statement_ids=ids)
            Statement.objects.filter(pk__in=ids).update(approved_at=moment, updated_at=moment)
            PayoutPeriod.objects.filter(pk=period.pk, approved_at__isnull=False).update(
                approved_at=moment
            )

    def nominate(self, period: PayoutPeriod, moment: datetime.datetime) -> None:
        name, supervisor, citation = ROLE_MODEL
        candidate = RoleModelCandidate.objects.filter(
            period=period, staff=self.profiles[name]
        ).first()
        if candidate is None:
            return  # not among the proposals: nobody is nominated rather than a made-up one
        statement_services.role_model_nominate(
            actor=self.users[supervisor], candidate=candidate, citation=citation
        )
        RoleModelCandidate.objects.filter(pk=candidate.pk).update(nominated_at=moment)

    def mark_paid(self, period: PayoutPeriod, actor, moment: datetime.datetime) -> None:
        payouts.payout_period_mark_paid(actor=actor, period=period)
        PayoutPeriod.objects.filter(pk=period.pk).update(paid_at=moment)
