"""Assist work of the demo company: about four weeks of believable history.

Built the same way every time: one ``random.Random(2026)`` drives every choice, dates are
relative to ``timezone.localdate()``, and a second run finds the history and does nothing.
Days inside the edit window go through the services (the budget rule, history, ledgers);
older days cannot, so their rows are written directly with the same cap respected and
the same history rows recorded.
"""

from __future__ import annotations

import datetime
import importlib
import itertools
import random
from collections import defaultdict
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from departments.models import StaffProfile
from tasks import services
from tasks.history import record_change
from tasks.models import (
    AssistCategory,
    BudgetExtension,
    DayLedger,
    MarketingTask,
    StateChange,
    TaskAssignment,
    TaskComment,
    TimeLog,
)
from tasks.selectors import budgets_for_people_and_days, granted_extensions

DAY = datetime.timedelta(days=1)
HISTORY_DAYS = 28
STAFF = ["eng.1", "eng.2", "eng.3", "ops.1", "ops.2", "ops.3"]
LEADS = ["eng.lead", "ops.lead"]
SUBMITTED_WORKDAYS = 2  # the two most recent working days still wait for approval

SUBMITTED = TimeLog.Status.SUBMITTED
APPROVED = TimeLog.Status.APPROVED
REJECTED = TimeLog.Status.REJECTED
CONFIRMED = TimeLog.OutcomeStatus.CONFIRMED
FOLLOW_UP = TimeLog.OutcomeStatus.NEEDS_FOLLOW_UP

# What people write, per category: (description, outcome).
WORK = {
    "phone-marketing": [
        (
            "Called back contacts from the Guangzhou trade-show list",
            "Two asked for a quote; passed both to marketing",
        ),
        (
            "Follow-up calls to last quarter's trial customers",
            "One renewal likely, one wants a demo next week",
        ),
        (
            "Phoned a former colleague who now buys for a packaging firm",
            "Agreed to an introductory call with marketing",
        ),
        (
            "Called clients whose support contracts end next month",
            "Three confirmed they will renew",
        ),
    ],
    "customer-service": [
        (
            "Answered a client's questions about delivery times and tracking",
            "Client satisfied, no escalation",
        ),
        ("Helped a key account set up user accounts after go-live", "Closed the same day"),
        (
            "Handled a complaint about a late shipment with the client's buyer",
            "Credit note agreed; the annual order stays",
        ),
        (
            "Explained the new invoice layout to a client's accounts team",
            "No more questions from them",
        ),
    ],
    "online-marketing": [
        (
            "Wrote and scheduled two posts for the company WeChat account",
            "Published; about 300 reads on the first day",
        ),
        (
            "Answered technical questions in an industry forum thread",
            "The thread now links to our product page",
        ),
        ("Added answers from recent support tickets to the product FAQ", "Six new answers live"),
        ("Recorded a two-minute screen video of the reporting module", "Video on the product page"),
    ],
    "copy-material": [
        (
            "Wrote a technical explainer on data import for the newsletter",
            "Accepted for next month's issue",
        ),
        (
            "Collected photos and figures from a finished installation for a brochure",
            "Material handed to marketing",
        ),
        ("Proofread the English version of the product sheet", "Twelve corrections sent back"),
        ("Drafted the technical paragraph of a press release", "Used almost unchanged"),
    ],
    "proposal-input": [
        (
            "Reviewed the technical section of a tender response",
            "Corrected two requirements we cannot meet",
        ),
        ("Prepared an architecture diagram for a client proposal", "Diagram used in the proposal"),
        ("Estimated the effort for a client's custom report", "Estimate sent to marketing"),
        (
            "Checked a client's security questionnaire",
            "Answered 40 of 46 questions; flagged the rest",
        ),
    ],
    "marketing-meeting": [
        ("Weekly marketing sync: pipeline review", "Took two follow-up actions"),
        ("Campaign planning for the spring product launch", "I own the technical demo script"),
        ("Proposal kick-off with marketing and the client team", "Pilot scope clarified"),
    ],
    "client-visit": [
        (
            "Joined marketing on a site visit to a food distributor",
            "Client asked for a pilot proposal",
        ),
        (
            "Demonstrated the reporting module at a client's office",
            "Client will trial it for a month",
        ),
        (
            "Visited a distributor to review their order process",
            "Found two ways to shorten their ordering",
        ),
    ],
    "business-introduction": [
        (
            "Introduced a friend's company that needs a new inventory system",
            "Marketing booked a first meeting",
        ),
        (
            "Passed on a supplier looking for a logistics partner",
            "Qualified by marketing; proposal in preparation",
        ),
        ("Introduced the facilities manager of a new office park", "Meeting set for next week"),
    ],
}

CATEGORY_WEIGHTS = {
    "ENG": {
        "proposal-input": 5, "copy-material": 3, "client-visit": 2, "marketing-meeting": 2,
        "online-marketing": 2, "phone-marketing": 1, "customer-service": 1,
        "business-introduction": 1,
    },
    "OPS": {
        "customer-service": 5, "phone-marketing": 3, "online-marketing": 2,
        "business-introduction": 2, "marketing-meeting": 1, "client-visit": 1,
        "copy-material": 1, "proposal-input": 1,
    },
}  # fmt: skip

REJECTION_REASONS = [
    "This looks like a duplicate of another entry that day.",
    "Too vague to approve: say what you did and for which client.",
    "According to the calendar this happened the day before; please log it on the right day.",
]

# Marketing tasks: key, title, category, estimate, assignees, created (working days ago),
# due (days from today, negative for the past), description.
TASKS = [
    ("case-study", "Customer case study: scanning rollout at Jiahe Foods", "copy-material", 180,
     ["eng.3", "ops.3"], 15, -7,
     "Interview the warehouse lead, write the technical part and collect photos and figures."),
    ("huaxin-visit", "Joint client visit to Huaxin Logistics", "client-visit", 120,
     ["eng.2", "ops.2"], 11, -10,
     "Demonstrate route planning and walk their dispatch team through our returns process."),
    ("expo", "Help at our stand at the Shenzhen logistics expo", "client-visit", 240,
     ["ops.1", "ops.2"], 7, 9,
     "Two shifts at the stand each; prepare the checklist and the brochures beforehand."),
    ("faq", "Refresh the online product FAQ", "online-marketing", 180,
     ["ops.2", "ops.3"], 5, 6,
     "Collect the most common support questions and rewrite the delivery and returns answers."),
    ("hengda", "Technical input for the Hengda warehouse proposal", "proposal-input", 240,
     ["eng.1", "eng.2", "eng.3"], 3, 3,
     "Integration estimate, target architecture and a phased rollout plan. Draft due Thursday."),
    ("trade-show", "Call back the spring trade-show contacts", "phone-marketing", 120,
     ["ops.1", "ops.2"], 1, 7,
     "The contact list is in the shared folder; start with the ones marked 'hot'."),
]  # fmt: skip

# Logs the story needs: who, working days ago, minutes, category, task, description,
# outcome, status, rejection reason, outcome review (status, note).
STORY = [
    ("eng.3", 12, 90, "copy-material", "case-study",
     "Interviewed the Jiahe Foods warehouse lead for the case study",
     "Notes and three quotes collected", APPROVED, "", (CONFIRMED, "")),
    ("eng.3", 11, 60, "copy-material", "case-study",
     "Wrote the technical part of the scanning case study",
     "Draft with before and after figures sent to marketing", APPROVED, "",
     (CONFIRMED, "Clear and concrete; used as written.")),
    ("ops.3", 10, 60, "copy-material", "case-study",
     "Photographed the scanning stations and checked the figures with logistics",
     "Photos and verified figures handed over", APPROVED, "", (CONFIRMED, "")),
    ("eng.2", 8, 120, "client-visit", "huaxin-visit",
     "Joined marketing at Huaxin Logistics and demonstrated route planning",
     "Client asked for a pilot on two depots", APPROVED, "",
     (CONFIRMED, "Pilot proposal requested; well-prepared demo.")),
    ("ops.2", 8, 75, "client-visit", "huaxin-visit",
     "Walked Huaxin's dispatch team through our returns process",
     "They want a written summary of the process", APPROVED, "",
     (FOLLOW_UP, "Send Huaxin the written process summary you promised.")),
    ("ops.2", 4, 45, "client-visit", "expo",
     "Made the stand checklist and ordered brochures for the expo",
     "Checklist shared with marketing", APPROVED, "", None),
    ("ops.2", 3, 45, "online-marketing", "faq",
     "Collected the ten most common support questions for the FAQ refresh",
     "List agreed with marketing", APPROVED, "", (CONFIRMED, "")),
    ("ops.2", 1, 30, "online-marketing", "faq",
     "Rewrote the delivery and returns answers in the FAQ",
     "Four answers ready for review", SUBMITTED, "", None),
    ("eng.1", 2, 60, "proposal-input", "hengda",
     "Estimated the integration effort for the Hengda warehouse proposal",
     "35 person-days, risks listed", APPROVED, "",
     (FOLLOW_UP, "Please add the hardware costs to the estimate.")),
    ("eng.1", 1, 90, "proposal-input", "hengda",
     "Drew the target architecture for the Hengda proposal",
     "Diagram added to the draft", SUBMITTED, "", None),
    ("eng.1", 0, 45, "proposal-input", "hengda",
     "Added hardware costs and a phased rollout plan to the Hengda estimate",
     "Updated estimate sent to marketing", SUBMITTED, "", None),
    ("eng.2", 2, 120, "client-visit", None,
     "Ran the afternoon workshop at Jiahe Foods with marketing",
     "Client agreed the pilot scope", APPROVED, "", None),
    ("eng.2", 2, 45, "copy-material", None,
     "Wrote up the workshop notes for Jiahe Foods",
     "Notes sent to the client the same evening", APPROVED, "", None),
    ("ops.1", 5, 60, "customer-service", None,
     "Re-counted the stock in the east warehouse", "", REJECTED,
     "Stock counts are your own logistics work, not marketing assist. "
     "Please keep them in your regular timesheet.", None),
    ("eng.3", 14, 90, "marketing-meeting", None,
     "Sprint planning with the product team", "", REJECTED,
     "Sprint planning is engineering work, not a marketing meeting.", None),
    ("ops.3", 6, 60, "online-marketing", None,
     "Updated the office supplies order form", "", REJECTED,
     "An internal form is not online marketing; log it as office work.", None),
    ("eng.lead", 9, 60, "proposal-input", None,
     "Reviewed the technical section of the Huaxin pilot proposal",
     "Two risks added, scope trimmed", APPROVED, "", None),
    ("ops.lead", 7, 45, "business-introduction", None,
     "Introduced the operations director of a cold-chain company we buy from",
     "Marketing booked a first meeting", APPROVED, "", None),
    ("ops.lead", 13, 60, "client-visit", None,
     "Visited a key account with marketing to review service levels",
     "Client renewed the annual contract", APPROVED, "", None),
    ("eng.lead", 1, 30, "marketing-meeting", None,
     "Monthly marketing review: engineering's part of the pipeline",
     "Agreed who supports which proposal next month", SUBMITTED, "", None),
]  # fmt: skip

# Extensions: who, working days ago (negative: days ahead), minutes, reason, decision, note.
EXTENSIONS = [
    ("eng.2", 2, 60, "The client workshop at Jiahe Foods runs all afternoon.",
     BudgetExtension.Status.GRANTED, "Fine, the workshop matters."),
    ("ops.2", 3, 45, "I would like to finish the FAQ answers in one go.",
     BudgetExtension.Status.REFUSED,
     "The warehouse is short-staffed this week; please continue tomorrow."),
    ("ops.1", 1, 30, "Expecting a long call with a new client.",
     BudgetExtension.Status.WITHDRAWN, ""),
    ("eng.1", -1, 60, "The Hengda proposal is due; I need the afternoon for the estimate.",
     BudgetExtension.Status.REQUESTED, ""),
]  # fmt: skip

COMMENTS = [
    ("hengda", "eng.1", "I'll take the integration estimate; the data migration part needs eng.2."),
    ("hengda", "marketing", "Thanks. The client wants the draft by Thursday."),
    ("case-study", "marketing", "Jiahe approved the text. It goes into the April newsletter."),
    ("huaxin-visit", "marketing", "Huaxin asked for the pilot proposal. Great work, both of you."),
    ("expo", "ops.2", "Brochures are ordered; they arrive on Monday."),
    ("trade-show", "marketing", "Please log each call on this task so that we can follow up."),
    ("faq", "ops.3", "I can take the installation questions next week."),
]


@dataclass
class Entry:
    user: str
    day: datetime.date
    minutes: int
    category: str
    description: str
    outcome: str = ""
    status: str = SUBMITTED
    task: str | None = None
    reason: str = ""
    review: tuple[str, str] | None = None
    log: TimeLog | None = None


def _categories() -> dict[str, AssistCategory]:
    # The categories come from a data migration; a flushed test database may lack them.
    seed = importlib.import_module("tasks.migrations.0002_seed_categories")
    for order, (code, name, name_zh, reward_class) in enumerate(seed.CATEGORIES, start=1):
        AssistCategory.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "name_zh_hans": name_zh,
                "reward_class": reward_class,
                "order": order * 10,
            },
        )
    return {category.code: category for category in AssistCategory.objects.filter(code__in=WORK)}


def _at(day: datetime.date, hour: int, minute: int, now: datetime.datetime) -> datetime.datetime:
    moment = datetime.datetime.combine(
        day, datetime.time(hour, minute), tzinfo=timezone.get_current_timezone()
    )
    return min(moment, now)


def _next_workday(day: datetime.date) -> datetime.date:
    day += DAY
    while day.weekday() >= 5:
        day += DAY
    return day


def _already_seeded(users) -> bool:
    return (
        TimeLog.objects.filter(staff__user__username__in=STAFF + LEADS).exists()
        or MarketingTask.objects.filter(created_by=users["marketing"]).exists()
    )


@transaction.atomic
def seed_assist_work() -> dict[str, int]:
    names = [*STAFF, *LEADS, "marketing", "gm"]
    users = {user.username: user for user in get_user_model().objects.filter(username__in=names)}
    if len(users) < len(names):
        raise RuntimeError("Seed the organisation first (departments.demo.seed_organisation).")
    if not _already_seeded(users):
        _Seeder(users).run()
    return {
        "time_logs": TimeLog.objects.filter(staff__user__username__in=STAFF + LEADS).count(),
        "tasks": MarketingTask.objects.filter(created_by=users["marketing"]).count(),
        "extensions": BudgetExtension.objects.filter(
            staff__user__username__in=STAFF + LEADS
        ).count(),
    }


class _Seeder:
    def __init__(self, users):
        self.rng = random.Random(2026)  # noqa: S311 - demo data, not secrets
        self.users = users
        self.profiles = {
            profile.user.username: profile
            for profile in StaffProfile.objects.select_related("user", "department").filter(
                user__username__in=STAFF + LEADS
            )
        }
        self.categories = _categories()
        self.today = timezone.localdate()
        self.now = timezone.now()
        self.first_day = self.today - (HISTORY_DAYS - 1) * DAY
        self.editable_from = services.earliest_editable_day(self.today)
        # Working days, the most recent first: "n working days ago" is workdays[n].
        self.workdays = [
            day for day in (self.today - n * DAY for n in range(HISTORY_DAYS)) if day.weekday() < 5
        ]
        self.tasks: dict[str, MarketingTask] = {}

    def supervisor_of(self, username: str):
        return self.profiles[username].line_supervisor

    def run(self) -> None:
        self.seed_extensions()
        self.seed_tasks()
        entries = self.story() + self.fill()
        entries.sort(key=lambda entry: (entry.day, entry.user, entry.minutes))
        for entry in entries:
            self.write(entry)
        self.decide(entries)
        self.settle_tasks()
        self.review_outcomes(entries)
        self.comment()
        self.refresh_ledgers()
        self.backdate(entries)

    # ---------------------------------------------------------------- extensions

    def seed_extensions(self) -> None:
        for username, ago, minutes, reason, status, note in EXTENSIONS:
            day = self.workdays[ago] if ago >= 0 else self.today - ago * DAY
            extension = services.extension_request(
                staff=self.profiles[username], day=day, minutes=minutes, reason=reason
            )
            if status in (BudgetExtension.Status.GRANTED, BudgetExtension.Status.REFUSED):
                services.extension_decide(
                    actor=self.supervisor_of(username),
                    extension=extension,
                    grant=status == BudgetExtension.Status.GRANTED,
                    note=note,
                )
            elif status == BudgetExtension.Status.WITHDRAWN:
                services.extension_withdraw(actor=self.users[username], extension=extension)

    # ---------------------------------------------------------------- tasks

    def seed_tasks(self) -> None:
        marketing = self.users["marketing"]
        for key, title, category, estimate, assignees, _created, due, description in TASKS:
            task = services.task_create(
                actor=marketing,
                title=title,
                category=self.categories[category],
                due_date=self.today + max(due, 0) * DAY,
                estimated_minutes=estimate,
                assignees=[self.users[name] for name in assignees],
                description=description,
            )
            if due < 0:
                # A task is created with a due date ahead; these were, weeks ago.
                MarketingTask.objects.filter(pk=task.pk).update(due_date=self.today + due * DAY)
            self.tasks[key] = task
        self.respond("case-study", "eng.3", start=True)
        self.respond("case-study", "ops.3", start=True)
        self.respond("huaxin-visit", "eng.2", start=True)
        self.respond("huaxin-visit", "ops.2", start=True)
        self.respond("expo", "ops.2", start=True)
        self.respond("faq", "ops.2", start=True)
        self.respond("hengda", "eng.1", start=True)
        self.respond(
            "hengda",
            "eng.3",
            decline="Fully booked on the release this week; eng.2 knows the site.",
        )

    def assignment(self, key: str, username: str) -> TaskAssignment:
        return TaskAssignment.objects.get(task=self.tasks[key], assignee=self.users[username])

    def respond(self, key: str, username: str, *, start=False, decline="", complete="") -> None:
        actor, assignment = self.users[username], self.assignment(key, username)
        if start:
            services.assignment_start(actor=actor, assignment=assignment)
        if decline:
            services.assignment_decline(actor=actor, assignment=assignment, reason=decline)
        if complete:
            services.assignment_complete(actor=actor, assignment=assignment, outcome=complete)

    def settle_tasks(self) -> None:
        self.respond(
            "case-study", "eng.3", complete="Technical part written and approved by Jiahe."
        )
        self.respond("case-study", "ops.3", complete="Photos and figures delivered.")
        self.respond("huaxin-visit", "eng.2", complete="Demo done; Huaxin wants a two-depot pilot.")
        self.respond("huaxin-visit", "ops.2", complete="Returns process presented.")
        services.task_cancel(
            actor=self.users["marketing"],
            task=self.tasks["expo"],
            reason="The organiser cancelled this year's expo.",
        )
        for key in self.tasks:
            self.tasks[key].refresh_from_db()

    def comment(self) -> None:
        for key, username, body in COMMENTS:
            services.task_comment_add(actor=self.users[username], task=self.tasks[key], body=body)

    # ---------------------------------------------------------------- time logs

    def story(self) -> list[Entry]:
        entries = []
        for row in STORY:
            username, ago, minutes, category, task, description, outcome, *rest = row
            status, reason, review = rest
            entries.append(
                Entry(
                    user=username,
                    day=self.workdays[ago],
                    minutes=minutes,
                    category=category,
                    description=description,
                    outcome=outcome,
                    status=status,
                    task=task,
                    reason=reason,
                    review=review,
                )
            )
        return entries

    def fill(self) -> list[Entry]:
        """Everyday work around the story, never over a day's cap."""
        people = [self.profiles[name] for name in STAFF + LEADS]
        caps = budgets_for_people_and_days(people=people, days=self.workdays)
        for key, minutes in granted_extensions(
            people=people, start=self.first_day, end=self.today
        ).items():
            caps[key] = caps.get(key, 0) + minutes
        used: dict[tuple[int, datetime.date], int] = defaultdict(int)
        for row in (
            TimeLog.objects.filter(staff__in=people, day__gte=self.first_day)
            .exclude(status=REJECTED)
            .values("staff_id", "day")
            .annotate(total=Sum("minutes"))
        ):
            used[(row["staff_id"], row["day"])] = row["total"]
        for entry in self.story():
            # Rejected ones too: they count against the cap until the supervisor decides.
            used[(self.profiles[entry.user].pk, entry.day)] += entry.minutes

        entries = []
        for username in STAFF + LEADS:
            profile = self.profiles[username]
            weights = CATEGORY_WEIGHTS[profile.department.code]
            chance = 0.2 if username in LEADS else 0.75
            for index, day in enumerate(reversed(self.workdays)):
                ago = len(self.workdays) - 1 - index
                if self.rng.random() > chance:
                    continue
                left = caps[(profile.pk, day)] - used[(profile.pk, day)]
                if left < 15:
                    continue
                total = 15 * self.rng.randint(2, max(2, min(left, caps[(profile.pk, day)]) // 15))
                total = min(total, left - left % 15)
                for minutes in self.split(total):
                    category = self.rng.choices(list(weights), weights=list(weights.values()))[0]
                    description, outcome = self.rng.choice(WORK[category])
                    status = SUBMITTED if ago < SUBMITTED_WORKDAYS else APPROVED
                    reason = ""
                    if status == APPROVED and self.rng.random() < 0.05:
                        status, reason = REJECTED, self.rng.choice(REJECTION_REASONS)
                    entries.append(
                        Entry(
                            user=username,
                            day=day,
                            minutes=minutes,
                            category=category,
                            description=description,
                            outcome="" if self.rng.random() < 0.2 else outcome,
                            status=status,
                            reason=reason,
                        )
                    )
                used[(profile.pk, day)] += total
        return entries

    def split(self, total: int) -> list[int]:
        parts = self.rng.choice([1, 1, 2, 2, 3])
        quarters = total // 15
        parts = min(parts, quarters)
        cuts = sorted(self.rng.sample(range(1, quarters), parts - 1)) if parts > 1 else []
        bounds = [0, *cuts, quarters]
        return [15 * (b - a) for a, b in itertools.pairwise(bounds)]

    def write(self, entry: Entry) -> None:
        profile = self.profiles[entry.user]
        task = self.tasks.get(entry.task) if entry.task else None
        if entry.day >= self.editable_from:
            entry.log = services.time_log_create(
                staff=profile,
                day=entry.day,
                minutes=entry.minutes,
                category=self.categories[entry.category],
                description=entry.description,
                outcome=entry.outcome,
                duties_done=True,
                task=task,
            )
            return
        # Older than the edit window: the services refuse it, so write the row as the
        # service would have, and its decision with it.
        decided = entry.status != SUBMITTED
        log = TimeLog.objects.create(
            staff=profile,
            day=entry.day,
            minutes=entry.minutes,
            category=self.categories[entry.category],
            task=task,
            description=entry.description,
            outcome=entry.outcome,
            duties_done=True,
            status=entry.status,
            decided_by=self.supervisor_of(entry.user) if decided else None,
            decided_at=self.now if decided else None,
            rejection_reason=entry.reason,
        )
        record_change(subject=log, from_state="", to_state=SUBMITTED, actor=profile.user)
        if decided:
            record_change(
                subject=log,
                from_state=SUBMITTED,
                to_state=entry.status,
                actor=log.decided_by,
                reason=entry.reason,
            )
        entry.log = log

    def decide(self, entries: list[Entry]) -> None:
        """Approvals inside the window go through the service, one batch per approver.
        Rejections are written directly: the service would e-mail the demo people."""
        batches: dict[str, list[int]] = defaultdict(list)
        for entry in entries:
            if entry.day < self.editable_from or entry.status == SUBMITTED:
                continue
            supervisor = self.supervisor_of(entry.user)
            if entry.status == APPROVED:
                batches[supervisor.username].append(entry.log.pk)
                continue
            TimeLog.objects.filter(pk=entry.log.pk).update(
                status=REJECTED,
                decided_by=supervisor,
                decided_at=self.now,
                rejection_reason=entry.reason,
            )
            record_change(
                subject=entry.log,
                from_state=SUBMITTED,
                to_state=REJECTED,
                actor=supervisor,
                reason=entry.reason,
            )
        for username, ids in sorted(batches.items()):
            services.time_logs_approve(actor=self.users[username], log_ids=ids)

    def review_outcomes(self, entries: list[Entry]) -> None:
        for entry in entries:
            if entry.review:
                outcome_status, note = entry.review
                services.time_log_review_outcome(
                    actor=self.users["marketing"],
                    log=entry.log,
                    outcome_status=outcome_status,
                    note=note,
                )

    def refresh_ledgers(self) -> None:
        logs = TimeLog.objects.filter(staff__in=self.profiles.values())
        # A day whose every entry was rejected keeps a ledger of zero.
        totals = dict.fromkeys(logs.values_list("staff_id", "day").distinct(), 0)
        for row in (
            logs.exclude(status=REJECTED).values("staff_id", "day").annotate(total=Sum("minutes"))
        ):
            totals[(row["staff_id"], row["day"])] = row["total"]
        for (staff_id, day), minutes in sorted(totals.items()):
            DayLedger.objects.update_or_create(
                staff_id=staff_id, day=day, defaults={"logged_minutes": minutes, "dirty": True}
            )

    # ---------------------------------------------------------------- timestamps

    def backdate(self, entries: list[Entry]) -> None:
        """Give rows and their history the times they would have had, never in the future."""
        rng, now = self.rng, self.now
        changes = _history_by_subject(TimeLog, [entry.log.pk for entry in entries])
        rows = TimeLog.objects.in_bulk([entry.log.pk for entry in entries])
        logs, moved = [], []
        for entry in entries:
            log = rows[entry.log.pk]
            created = _at(entry.day, 16 + rng.randint(0, 2), rng.randint(0, 59), now)
            decided = _at(_next_workday(entry.day), 9, rng.randint(0, 59), now)
            reviewed = _at(_next_workday(entry.day) + DAY, 11, rng.randint(0, 59), now)
            log.created_at = log.updated_at = created
            if log.decided_at:
                log.decided_at = log.updated_at = decided
            if log.outcome_at:
                log.outcome_at = log.updated_at = reviewed
            logs.append(log)
            for change in changes[log.pk]:
                if change.to_state == SUBMITTED:
                    change.at = created
                elif change.to_state.startswith("outcome:"):
                    change.at = reviewed
                else:
                    change.at = decided
                moved.append(change)
        TimeLog.objects.bulk_update(
            logs, ["created_at", "updated_at", "decided_at", "outcome_at"], batch_size=200
        )

        extensions = list(
            BudgetExtension.objects.filter(staff__in=self.profiles.values()).order_by("pk")
        )
        ext_changes = _history_by_subject(BudgetExtension, [e.pk for e in extensions])
        for extension in extensions:
            asked = _at(min(extension.day, self.today) - DAY, 17, rng.randint(0, 59), now)
            answered = _at(min(extension.day, self.today) - DAY, 18, rng.randint(0, 59), now)
            extension.created_at = asked
            if extension.decided_at:
                extension.decided_at = answered
            for change in ext_changes[extension.pk]:
                change.at = (
                    asked if change.to_state == BudgetExtension.Status.REQUESTED else answered
                )
                moved.append(change)
        BudgetExtension.objects.bulk_update(extensions, ["created_at", "decided_at"])

        created_ago = {task[0]: task[5] for task in TASKS}
        tasks = list(self.tasks.values())
        task_changes = _history_by_subject(MarketingTask, [task.pk for task in tasks])
        assignment_changes = _history_by_subject(
            TaskAssignment,
            list(TaskAssignment.objects.filter(task__in=tasks).values_list("pk", flat=True)),
        )
        for key, task in self.tasks.items():
            start = _at(self.workdays[created_ago[key]], 10, 15, now)
            end = min(now, start + datetime.timedelta(days=9))
            task.created_at = task.updated_at = start
            trail = list(task_changes[task.pk])
            for assignment in task.assignments.all():
                trail.extend(assignment_changes[assignment.pk])
            trail.sort(key=lambda change: change.pk)
            for position, change in enumerate(trail):
                change.at = start + (end - start) * position / max(len(trail) - 1, 1)
                moved.append(change)
            comments = list(task.comments.order_by("pk"))
            for position, comment in enumerate(comments, start=1):
                comment.created_at = start + (end - start) * position / (len(comments) + 1)
            TaskComment.objects.bulk_update(comments, ["created_at"])
            if trail:
                task.updated_at = trail[-1].at
            TaskAssignment.objects.filter(task=task, responded_at__isnull=False).update(
                responded_at=end
            )
        MarketingTask.objects.bulk_update(tasks, ["created_at", "updated_at"])
        StateChange.objects.bulk_update(moved, ["at"], batch_size=200)


def _history_by_subject(model, pks: list[int]) -> dict[int, list[StateChange]]:
    content_type = ContentType.objects.get_for_model(model)
    trail: dict[int, list[StateChange]] = defaultdict(list)
    for change in StateChange.objects.filter(content_type=content_type, object_id__in=pks).order_by(
        "pk"
    ):
        trail[change.object_id].append(change)
    return trail
