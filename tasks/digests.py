"""Approval reminders (daily) and weekly digests, by email in each recipient's language.

Each message is claimed in ``SentNotification`` (unique per kind, recipient and day or
week) inside the transaction that sends it, so a job run twice — or two runs at once —
sends it once; a failed send rolls the claim back and the next run tries again.
"""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Count, Min, Q, Sum
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from departments.models import Delegation, Department, StaffProfile
from departments.roles import ADMIN_GROUP
from tasks.models import (
    BudgetExtension,
    DepartmentDaySummary,
    MarketingTask,
    PersonDaySummary,
    SentNotification,
    StateChange,
    TimeLog,
)
from tasks.selectors import budgets_for_people_and_days

logger = logging.getLogger(__name__)

FAR_OVER_PERCENT = 100
FAR_UNDER_PERCENT = 10


def _language_of(user) -> str:
    try:
        return user.profile.language or settings.LANGUAGE_CODE
    except StaffProfile.DoesNotExist:
        return settings.LANGUAGE_CODE


def site_url(path: str) -> str:
    return settings.ALLHANDS_SITE_URL.rstrip("/") + path


def send_once(*, kind: str, key: str, recipient, template: str, context: dict) -> bool:
    """Render ``template`` (subject/txt/html) in the recipient's language and send it,
    unless it was already sent for ``kind``/``key``."""
    if not recipient.email:
        return False
    try:
        with transaction.atomic():
            SentNotification.objects.create(kind=kind, recipient=recipient, key=key)
            with translation.override(_language_of(recipient)):
                context = {**context, "recipient": recipient}
                subject = render_to_string(f"emails/{template}_subject.txt", context).strip()
                text = render_to_string(f"emails/{template}.txt", context)
                html = render_to_string(f"emails/{template}.html", context)
            message = EmailMultiAlternatives(subject, text, to=[recipient.email])
            message.attach_alternative(html, "text/html")
            message.send()
    except IntegrityError:
        return False  # already sent by an earlier or concurrent run
    return True


# --------------------------------------------------------------------------- reminders


@dataclass
class Pending:
    logs: int = 0
    oldest_log: datetime.datetime | None = None
    extensions: int = 0
    statements_to_approve: int = 0
    statements_to_recommend: int = 0

    @property
    def total(self) -> int:
        return (
            self.logs + self.extensions + self.statements_to_approve + self.statements_to_recommend
        )


def pending_for_approvers(*, now: datetime.datetime, after_days: int) -> dict[int, Pending]:
    """Items waiting longer than ``after_days`` per approver (line supervisors, and the
    marketing leads for recommendations)."""
    from rewards.models import Statement

    cutoff = now - datetime.timedelta(days=after_days)
    pending: dict[int, Pending] = defaultdict(Pending)
    for row in (
        TimeLog.objects.filter(status=TimeLog.Status.SUBMITTED, created_at__lt=cutoff)
        .exclude(staff__line_supervisor__isnull=True)
        .values("staff__line_supervisor_id")
        .annotate(count=Count("pk"), oldest=Min("created_at"))
    ):
        entry = pending[row["staff__line_supervisor_id"]]
        entry.logs, entry.oldest_log = row["count"], row["oldest"]
    for row in (
        BudgetExtension.objects.filter(
            status=BudgetExtension.Status.REQUESTED, created_at__lt=cutoff
        )
        .exclude(staff__line_supervisor__isnull=True)
        .values("staff__line_supervisor_id")
        .annotate(count=Count("pk"))
    ):
        pending[row["staff__line_supervisor_id"]].extensions = row["count"]
    for row in (
        Statement.objects.filter(status=Statement.Status.RECOMMENDED, updated_at__lt=cutoff)
        .exclude(staff__line_supervisor__isnull=True)
        .values("staff__line_supervisor_id")
        .annotate(count=Count("pk"))
    ):
        pending[row["staff__line_supervisor_id"]].statements_to_approve = row["count"]
    for row in (
        Statement.objects.filter(
            status__in=[Statement.Status.DRAFT, Statement.Status.RETURNED],
            updated_at__lt=cutoff,
            period__status="calculated",
        )
        .exclude(staff__marketing_lead__isnull=True)
        .values("staff__marketing_lead_id")
        .annotate(count=Count("pk"))
    ):
        pending[row["staff__marketing_lead_id"]].statements_to_recommend = row["count"]
    return {user_id: entry for user_id, entry in pending.items() if entry.total}


def send_approval_reminders(*, today: datetime.date | None = None) -> int:
    """To each approver with items waiting too long, and to their active delegates."""
    today = today or timezone.localdate()
    pending = pending_for_approvers(
        now=timezone.now(), after_days=settings.ALLHANDS_REMINDER_AFTER_DAYS
    )
    if not pending:
        return 0
    user_model = get_user_model()
    users = {
        user.pk: user
        for user in user_model.objects.filter(pk__in=list(pending), is_active=True).select_related(
            "profile"
        )
    }
    delegates: dict[int, list] = defaultdict(list)
    for delegation in Delegation.objects.filter(
        delegator_id__in=list(pending), start_date__lte=today, end_date__gte=today
    ).select_related("delegate", "delegate__profile"):
        if delegation.delegate.is_active:
            delegates[delegation.delegator_id].append(delegation.delegate)
    sent = 0
    for user_id, entry in pending.items():
        approver = users.get(user_id)
        if approver is None:
            continue
        context = {
            "approver": approver,
            "pending": entry,
            "after_days": settings.ALLHANDS_REMINDER_AFTER_DAYS,
            "queue_url": site_url(reverse("tasks:approval_queue")),
        }
        for recipient in [approver, *delegates.get(user_id, [])]:
            sent += send_once(
                kind=f"reminder:{user_id}",
                key=today.isoformat(),
                recipient=recipient,
                template="approval_reminder",
                context={**context, "on_behalf": recipient.pk != approver.pk},
            )
    return sent


# --------------------------------------------------------------------------- digests


def previous_week(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    start = today - datetime.timedelta(days=today.weekday() + 7)
    return start, start + datetime.timedelta(days=6)


@dataclass
class PersonWeek:
    profile: StaffProfile
    budget: int = 0
    logged: int = 0
    approved: int = 0
    outcomes: int = 0

    @property
    def percent(self) -> int:
        return round(100 * self.logged / self.budget) if self.budget else 0

    @property
    def far_over(self) -> bool:
        return self.budget > 0 and self.percent >= FAR_OVER_PERCENT

    @property
    def far_under(self) -> bool:
        return self.percent <= FAR_UNDER_PERCENT


@dataclass
class TeamWeek:
    people: list[PersonWeek] = field(default_factory=list)

    @property
    def budget(self) -> int:
        return sum(p.budget for p in self.people)

    @property
    def logged(self) -> int:
        return sum(p.logged for p in self.people)

    @property
    def percent(self) -> int:
        return round(100 * self.logged / self.budget) if self.budget else 0

    @property
    def far_over(self) -> list[PersonWeek]:
        return [p for p in self.people if p.far_over]

    @property
    def far_under(self) -> list[PersonWeek]:
        return [p for p in self.people if p.far_under]

    @property
    def highlights(self) -> list[PersonWeek]:
        ranked = sorted(self.people, key=lambda p: (-p.outcomes, -p.approved))
        return [p for p in ranked if p.approved or p.outcomes][:3]


def team_weeks(*, start: datetime.date, end: datetime.date) -> dict[int, TeamWeek]:
    """Every line supervisor's team for the week, from the summary tables."""
    reports = list(
        StaffProfile.objects.filter(is_active=True, line_supervisor__isnull=False)
        .exclude(department__kind=Department.Kind.MARKETING)
        .select_related("user")
    )
    working_days = [
        start + datetime.timedelta(days=n)
        for n in range((end - start).days + 1)
        if (start + datetime.timedelta(days=n)).weekday() < 5
    ]
    budgets = budgets_for_people_and_days(people=reports, days=working_days)
    figures = {
        row["staff_id"]: row
        for row in PersonDaySummary.objects.filter(staff__in=reports, day__gte=start, day__lte=end)
        .values("staff_id")
        .annotate(
            submitted=Sum("submitted_minutes"),
            approved=Sum("approved_minutes"),
            outcomes=Sum("outcomes_confirmed"),
        )
    }
    teams: dict[int, TeamWeek] = defaultdict(TeamWeek)
    for profile in reports:
        row = figures.get(profile.pk, {})
        teams[profile.line_supervisor_id].people.append(
            PersonWeek(
                profile=profile,
                budget=sum(budgets[(profile.pk, day)] for day in working_days),
                logged=(row.get("submitted") or 0) + (row.get("approved") or 0),
                approved=row.get("approved") or 0,
                outcomes=row.get("outcomes") or 0,
            )
        )
    return teams


def lead_weeks(*, start: datetime.date, end: datetime.date) -> dict[int, dict]:
    """Every marketing lead's week: tasks done and overdue, outcomes confirmed, leads moved."""
    from django.contrib.contenttypes.models import ContentType

    from rewards.models import Lead

    tz = timezone.get_current_timezone()
    start_at = datetime.datetime.combine(start, datetime.time.min, tzinfo=tz)
    end_at = datetime.datetime.combine(
        end + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz
    )
    weeks: dict[int, dict] = defaultdict(
        lambda: {"tasks_done": 0, "tasks_overdue": 0, "outcomes_confirmed": 0, "leads_moved": 0}
    )
    task_type = ContentType.objects.get_for_model(MarketingTask)
    done_ids = StateChange.objects.filter(
        content_type=task_type, to_state=MarketingTask.Status.DONE, at__gte=start_at, at__lt=end_at
    ).values("object_id")
    for row in (
        MarketingTask.objects.filter(pk__in=done_ids)
        .values("created_by_id")
        .annotate(n=Count("pk"))
    ):
        weeks[row["created_by_id"]]["tasks_done"] = row["n"]
    for row in (
        MarketingTask.objects.filter(
            status__in=[MarketingTask.Status.OPEN, MarketingTask.Status.IN_PROGRESS],
            due_date__lt=end + datetime.timedelta(days=1),
        )
        .values("created_by_id")
        .annotate(n=Count("pk"))
    ):
        weeks[row["created_by_id"]]["tasks_overdue"] = row["n"]
    for row in (
        TimeLog.objects.filter(
            outcome_status=TimeLog.OutcomeStatus.CONFIRMED,
            outcome_at__gte=start_at,
            outcome_at__lt=end_at,
        )
        .values("outcome_by_id")
        .annotate(n=Count("pk"))
    ):
        weeks[row["outcome_by_id"]]["outcomes_confirmed"] = row["n"]
    lead_type = ContentType.objects.get_for_model(Lead)
    moved = StateChange.objects.filter(
        content_type=lead_type, at__gte=start_at, at__lt=end_at
    ).values("object_id")
    for row in (
        Lead.objects.filter(pk__in=moved).values("marketing_lead_id").annotate(n=Count("pk"))
    ):
        if row["marketing_lead_id"]:
            weeks[row["marketing_lead_id"]]["leads_moved"] = row["n"]
    return weeks


def organisation_week(*, start: datetime.date, end: datetime.date) -> dict:
    from rewards.models import Collection

    rows = DepartmentDaySummary.objects.filter(day__gte=start, day__lte=end)
    totals = rows.aggregate(submitted=Sum("submitted_minutes"), approved=Sum("approved_minutes"))
    eligible = StaffProfile.objects.filter(
        is_active=True, department__kind=Department.Kind.NON_MARKETING
    ).count()
    participants = (
        PersonDaySummary.objects.filter(day__gte=start, day__lte=end)
        .filter(Q(submitted_minutes__gt=0) | Q(approved_minutes__gt=0))
        .values("staff_id")
        .distinct()
        .count()
    )
    by_department = list(
        rows.values("department__name")
        .annotate(minutes=Sum("submitted_minutes") + Sum("approved_minutes"))
        .order_by("-minutes")
    )
    collected = Collection.objects.filter(received_on__gte=start, received_on__lte=end).aggregate(
        money=Sum("amount", filter=Q(kind="collection")),
        refunds=Sum("amount", filter=Q(kind="refund")),
    )
    return {
        "eligible": eligible,
        "participants": participants,
        "participation": round(100 * participants / eligible) if eligible else 0,
        "minutes": (totals["submitted"] or 0) + (totals["approved"] or 0),
        "by_department": by_department,
        "collected": (collected["money"] or 0) - (collected["refunds"] or 0),
    }


def send_weekly_digests(*, today: datetime.date | None = None) -> int:
    today = today or timezone.localdate()
    start, end = previous_week(today)
    key = f"{start.isocalendar().year}-W{start.isocalendar().week:02d}"
    user_model = get_user_model()
    teams = team_weeks(start=start, end=end)
    leads = lead_weeks(start=start, end=end)
    wanted = set(teams) | set(leads)
    managers = list(
        user_model.objects.filter(is_active=True)
        .filter(Q(is_superuser=True) | Q(groups__name=ADMIN_GROUP))
        .select_related("profile")
        .distinct()
    )
    users = {
        user.pk: user
        for user in user_model.objects.filter(pk__in=wanted, is_active=True).select_related(
            "profile"
        )
    }
    common = {"start": start, "end": end, "site_url": site_url("/")}
    sent = 0
    for user_id, team in teams.items():
        if user_id in users:
            sent += send_once(
                kind="digest:supervisor",
                key=key,
                recipient=users[user_id],
                template="digest_supervisor",
                context={**common, "team": team},
            )
    for user_id, figures in leads.items():
        if user_id in users and any(figures.values()):
            sent += send_once(
                kind="digest:marketing",
                key=key,
                recipient=users[user_id],
                template="digest_marketing",
                context={**common, "figures": figures},
            )
    if managers:
        organisation = organisation_week(start=start, end=end)
        for manager in managers:
            sent += send_once(
                kind="digest:management",
                key=key,
                recipient=manager,
                template="digest_management",
                context={**common, "org": organisation, "currency": settings.ALLHANDS_CURRENCY},
            )
    return sent
