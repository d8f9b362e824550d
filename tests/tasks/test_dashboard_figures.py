"""Every number each dashboard shows, checked against a direct computation over the raw
rows (time logs, budget rules, tasks, leads, collections, statements), on a seeded month
(or twelve) whose logs were approved, rejected or left waiting and then rolled up.

The pages read the summary tables; these tests walk the raw rows one by one, so a figure
that drifts from the logs it summarises fails here. The query counts of every dashboard
are the same for one month and for twelve months of data.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from departments.models import StaffProfile
from departments.selectors import budget_minutes_for
from rewards.models import Collection, Lead, PayoutPeriod, Statement
from tasks.dashboards import DateRange, add_months, hours, percent, ratio
from tasks.history import record_change
from tasks.models import (
    AssistCategory,
    DayLedger,
    MarketingTask,
    StateChange,
    TaskAssignment,
    TimeLog,
)
from tasks.selectors import week_bounds
from tasks.summaries import summaries_rebuild
from tests.factories import (
    BudgetRuleFactory,
    DepartmentFactory,
    StaffProfileFactory,
    UserFactory,
)

FEBRUARY = DateRange(datetime.date(2026, 2, 1), datetime.date(2026, 2, 28))
YEAR = DateRange(datetime.date(2025, 3, 1), datetime.date(2026, 2, 28))
ZERO = Decimal("0.00")


def _moment(day: datetime.date, hour: int = 11) -> datetime.datetime:
    return datetime.datetime.combine(
        day, datetime.time(hour), tzinfo=timezone.get_current_timezone()
    )


def _local(moment: datetime.datetime) -> datetime.date:
    return timezone.localtime(moment).date()


# --------------------------------------------------------------------------- the seed


class Seed:
    """A month (or several) of activity around the standing ``org`` users."""

    def __init__(self, org):
        self.org = org
        self.categories = {c.code: c for c in AssistCategory.objects.all()}
        self.idle = StaffProfileFactory(
            user=UserFactory(username="idle", first_name="Ida", last_name="Idle"),
            department=org.engineering,
            line_supervisor=org.supervisor,
        )
        self.lead2 = StaffProfileFactory(
            user=UserFactory(username="lead2"), department=org.marketing, is_marketing_lead=True
        ).user
        # A marketing person's logs never count for the organisation (not eligible).
        BudgetRuleFactory(staff=org.outsider.profile, daily_minutes=60)
        BudgetRuleFactory(
            department=org.operations,
            daily_minutes=90,
            effective_from=datetime.date(2025, 9, 1),
        )
        # A statement outside every range: counted only in "so far".
        january = PayoutPeriod.objects.create(
            start_date=datetime.date(2024, 1, 1),
            end_date=datetime.date(2024, 1, 31),
            status=PayoutPeriod.Status.PAID,
        )
        Statement.objects.create(
            period=january,
            staff=org.staff_profile,
            total=Decimal("999.99"),
            status=Statement.Status.PAID,
        )
        self.leads = 0

    def log(self, profile, day, minutes, code, status, *, confirmed=False, age_days=0):
        log = TimeLog.objects.create(
            staff=profile,
            day=day,
            minutes=minutes,
            category=self.categories[code],
            description="Assist work",
            duties_done=True,
            status=status,
            rejection_reason="Not marketing" if status == TimeLog.Status.REJECTED else "",
            outcome_status=TimeLog.OutcomeStatus.CONFIRMED if confirmed else "",
        )
        if age_days:
            TimeLog.objects.filter(pk=log.pk).update(
                created_at=timezone.now() - datetime.timedelta(days=age_days)
            )
        DayLedger.objects.update_or_create(staff=profile, day=day, defaults={"dirty": True})
        return log

    def lead(self, introducer, day, status, *, marketing_lead=None, contract=None):
        self.leads += 1
        lead = Lead.objects.create(
            introducer=introducer,
            marketing_lead=marketing_lead or self.org.lead,
            client_name=f"Client {self.leads}",
            client_key=f"client {self.leads}",
            need="Software",
            status=status,
            contract_amount=contract,
            won_on=day if contract else None,
            protected_until=day + datetime.timedelta(days=90),
        )
        Lead.objects.filter(pk=lead.pk).update(created_at=_moment(day))
        return lead

    def collect(self, lead, day, amount, kind=Collection.Kind.COLLECTION):
        Collection.objects.create(
            lead=lead,
            kind=kind,
            received_on=day,
            amount=Decimal(amount),
            recorded_by=self.org.lead,
        )

    def task(self, creator, title, due, status, *, done_on=None):
        task = MarketingTask.objects.create(
            title=title,
            category=self.categories["phone-marketing"],
            created_by=creator,
            due_date=due,
            estimated_minutes=60,
            status=status,
        )
        if done_on:
            record_change(subject=task, from_state="in_progress", to_state="done", actor=creator)
            StateChange.objects.filter(object_id=task.pk, to_state="done").update(
                at=_moment(done_on, 23)  # late in the evening: the local day counts
            )
        return task

    def month(self, first: datetime.date) -> None:
        org = self.org
        last = add_months(first, 1) - datetime.timedelta(days=1)
        days = DateRange(first, last).days()
        for index, day in enumerate(days):
            working = day.weekday() < 5
            if working:
                if index % 3 == 0:
                    self.log(
                        org.staff_profile,
                        day,
                        60,
                        "phone-marketing",
                        TimeLog.Status.APPROVED,
                        confirmed=index % 2 == 0,
                    )
                elif index % 3 == 1:
                    self.log(
                        org.staff_profile,
                        day,
                        45,
                        "client-visit",
                        TimeLog.Status.SUBMITTED,
                        age_days=(0, 5, 10)[(index // 3) % 3],
                    )
                else:
                    self.log(org.staff_profile, day, 30, "phone-marketing", TimeLog.Status.REJECTED)
                    self.log(
                        org.staff_profile,
                        day,
                        20,
                        "client-visit",
                        TimeLog.Status.APPROVED,
                        confirmed=True,
                    )
                if index % 4 == 0:
                    self.log(
                        org.outsider.profile,
                        day,
                        70,
                        "business-introduction",
                        TimeLog.Status.APPROVED,
                    )
                self.log(org.other_staff.profile, day, 120, "phone-marketing", "approved")
            elif day.weekday() == 5:
                self.log(org.staff_profile, day, 15, "online-marketing", TimeLog.Status.SUBMITTED)
        # Leads introduced on the 3rd, in every state; money on the 10th.
        third, tenth = first.replace(day=3), first.replace(day=10)
        self.lead(org.staff_profile, third, Lead.Status.NEW)
        self.lead(org.staff_profile, third, Lead.Status.QUALIFIED)
        won = self.lead(org.staff_profile, third, Lead.Status.WON, contract=Decimal("5000"))
        paid = self.lead(org.staff_profile, third, Lead.Status.PAID, contract=Decimal("3000"))
        self.lead(org.staff_profile, third, Lead.Status.LOST)
        other = self.lead(org.outsider.profile, third, Lead.Status.WON, contract=Decimal("900"))
        self.lead(org.other_staff.profile, third, Lead.Status.QUALIFIED, marketing_lead=self.lead2)
        self.collect(won, tenth, "1000.50")
        self.collect(paid, tenth, "2000.00")
        self.collect(paid, first.replace(day=12), "300.25", Collection.Kind.REFUND)
        self.collect(other, tenth, "500.00")
        # The payout period of the month: approved, paid and draft statements.
        period = PayoutPeriod.objects.create(
            start_date=first, end_date=last, status=PayoutPeriod.Status.APPROVED
        )
        Statement.objects.create(
            period=period,
            staff=org.staff_profile,
            total=Decimal("123.45"),
            status=Statement.Status.APPROVED,
        )
        Statement.objects.create(
            period=period,
            staff=org.outsider.profile,
            total=Decimal("67.80"),
            status=Statement.Status.PAID,
        )
        Statement.objects.create(
            period=period,
            staff=org.other_staff.profile,
            total=Decimal("50.00"),
            status=Statement.Status.DRAFT,
        )
        # Tasks: one done in the month, one overdue, one running, one of another lead.
        done = self.task(org.lead, f"Done {first}", last, "done", done_on=first.replace(day=15))
        overdue = self.task(org.lead, f"Overdue {first}", last, "open")
        running = self.task(
            org.lead, f"Running {first}", datetime.date(2026, 12, 31), "in_progress"
        )
        self.task(self.lead2, f"Elsewhere {first}", last, "done", done_on=first.replace(day=16))
        TaskAssignment.objects.create(
            task=done,
            assignee=org.staff,
            status=TaskAssignment.Status.COMPLETED,
            outcome="Two meetings",
            responded_at=_moment(first.replace(day=14)),
        )
        TaskAssignment.objects.create(task=overdue, assignee=org.staff)
        TaskAssignment.objects.create(
            task=running, assignee=org.staff, status=TaskAssignment.Status.STARTED
        )


def seed(org, rng: DateRange) -> Seed:
    activity = Seed(org)
    for month in rng.months():
        activity.month(month.start)
    summaries_rebuild(start=rng.start, end=rng.end)
    return activity


def _query(rng: DateRange, **extra) -> dict:
    return {"start": rng.start.isoformat(), "end": rng.end.isoformat(), **extra}


# --------------------------------------------------------------------------- direct figures


def _counted(log: TimeLog) -> bool:
    return log.status != TimeLog.Status.REJECTED


def _budget(profile: StaffProfile, day: datetime.date) -> int:
    return budget_minutes_for(staff=profile, day=day) if day.weekday() < 5 else 0


def _name(profile: StaffProfile) -> str:
    return profile.user.get_full_name() or profile.user.get_username()


def _logs(rng: DateRange, **filters) -> list[TimeLog]:
    return list(
        TimeLog.objects.filter(day__gte=rng.start, day__lte=rng.end, **filters).select_related(
            "category", "staff"
        )
    )


def _category_rows(logs: list[TimeLog], *, in_hours: bool) -> tuple[list, list]:
    totals: dict[str, int] = defaultdict(int)
    for log in logs:
        if _counted(log):
            totals[log.category.label] += log.minutes
    grand = sum(totals.values())
    ordered = sorted(totals.items(), key=lambda item: (-item[1], item[0]))
    convert = hours if in_hours else int
    rows = [[label, convert(minutes), percent(minutes, grand)] for label, minutes in ordered]
    return rows, ["Total", convert(grand), 100 if grand else None]


def _money(values) -> Decimal:
    return sum(values, ZERO).quantize(Decimal("0.01"))


def _net(collections) -> Decimal:
    return _money(
        c.amount if c.kind == Collection.Kind.COLLECTION else -c.amount for c in collections
    )


def _rewarded(statement: Statement, rng: DateRange) -> bool:
    return (
        statement.status in (Statement.Status.APPROVED, Statement.Status.PAID)
        and statement.period.start_date <= rng.end
        and statement.period.end_date >= rng.start
    )


def _people_logged(rng: DateRange) -> set[int]:
    return {log.staff_id for log in _logs(rng) if _counted(log)}


def _eligible() -> list[StaffProfile]:
    return [
        p
        for p in StaffProfile.objects.select_related("department")
        if p.is_active and not p.department.is_marketing
    ]


# --------------------------------------------------------------------------- my dashboard


@pytest.mark.parametrize("rng", [FEBRUARY, YEAR], ids=["month", "year"])
def test_my_dashboard_matches_the_raw_rows(login, org, today, rng):
    seed(org, rng)
    profile = org.staff_profile

    dashboard = (
        login(org.staff).get(reverse("tasks:dashboard_me"), _query(rng)).context["dashboard"]
    )

    logs = _logs(rng, staff=profile)
    expected_days, totals = [], [0, 0, 0]
    for day in rng.days():
        budget = _budget(profile, day)
        logged = sum(log.minutes for log in logs if log.day == day and _counted(log))
        approved = sum(log.minutes for log in logs if log.day == day and log.status == "approved")
        expected_days.append([day, budget, logged, approved, percent(logged, budget)])
        totals = [totals[0] + budget, totals[1] + logged, totals[2] + approved]
    days = dashboard.tables["days"]
    assert days.values() == expected_days
    assert days.total.cells == ["Total", *totals, percent(totals[1], totals[0])]

    categories, category_total = _category_rows(logs, in_hours=False)
    assert dashboard.tables["categories"].values() == categories
    assert dashboard.tables["categories"].total.cells == category_total

    assignments = list(TaskAssignment.objects.filter(assignee=org.staff).select_related("task"))
    open_now = sum(
        1
        for a in assignments
        if a.status in ("assigned", "started") and a.task.status in ("open", "in_progress")
    )
    done = sum(
        1
        for a in assignments
        if a.status == "completed" and rng.start <= _local(a.responded_at) <= rng.end
    )
    assert dashboard.tables["tasks"].column(1) == [open_now, done]

    leads = [
        lead
        for lead in Lead.objects.filter(introducer=profile)
        if rng.start <= _local(lead.created_at) <= rng.end
    ]
    assert dashboard.tables["leads"].values() == [
        [status.label, sum(1 for lead in leads if lead.status == status)] for status in Lead.Status
    ]

    statements = list(Statement.objects.filter(staff=profile).select_related("period"))
    in_range = _money(s.total for s in statements if _rewarded(s, rng))
    all_time = _money(s.total for s in statements if s.status in ("approved", "paid"))
    assert dashboard.tables["rewards"].column(1) == [in_range, all_time]
    assert in_range == Decimal("123.45") * len(rng.months())
    assert all_time == in_range + Decimal("999.99")

    assert {kpi.key: kpi.value for kpi in dashboard.kpis} == {
        "logged": totals[1],
        "budget": totals[0],
        "used": percent(totals[1], totals[0]),
        "approved": totals[2],
        "days_with_time": sum(1 for row in expected_days if row[2]),
        "open_tasks": open_now,
        "tasks_done": done,
        "leads": len(leads),
        "rewards_range": in_range,
        "rewards_all": all_time,
    }


# --------------------------------------------------------------------------- team dashboard


def test_the_team_dashboard_matches_the_raw_rows(login, org, today):
    activity = seed(org, FEBRUARY)
    rng = FEBRUARY

    response = login(org.supervisor).get(reverse("tasks:dashboard_team"), _query(rng))
    dashboard = response.context["dashboard"]

    people = sorted(
        [org.staff_profile, org.outsider.profile, activity.idle],
        key=lambda p: (_name(p).lower(), p.pk),
    )
    logs = [log for log in _logs(rng) if log.staff_id in {p.pk for p in people}]
    weeks = rng.weeks()
    usage, week_rows = [], []
    team = {"budget": 0, "logged": 0, "approved": 0}
    week_budget, week_logged = [0] * len(weeks), [0] * len(weeks)
    hints = {}
    for person in people:
        mine = [log for log in logs if log.staff_id == person.pk]
        budget = sum(_budget(person, day) for day in rng.days())
        logged = sum(log.minutes for log in mine if _counted(log))
        approved = sum(log.minutes for log in mine if log.status == "approved")
        team["budget"] += budget
        team["logged"] += logged
        team["approved"] += approved
        daily = {
            day: sum(log.minutes for log in mine if log.day == day and _counted(log))
            for day in rng.working_days()
        }
        if all(daily[day] >= _budget(person, day) for day in rng.working_days()):
            hints[person.pk] = "over"
        elif logged == 0:
            hints[person.pk] = "unused"
        usage.append([_name(person), person.department.name, budget, logged, approved])
        row = [_name(person)]
        for index, week in enumerate(weeks):
            w_budget = sum(_budget(person, day) for day in week.days())
            w_logged = sum(
                log.minutes for log in mine if week.start <= log.day <= week.end and _counted(log)
            )
            week_budget[index] += w_budget
            week_logged[index] += w_logged
            row.append(percent(w_logged, w_budget))
        week_rows.append([*row, percent(logged, budget)])

    table = dashboard.tables["usage"]
    assert [row[:5] for row in table.values()] == usage
    assert table.column(5) == [percent(row[3], row[2]) for row in usage]
    assert table.total.cells[2:6] == [
        team["budget"],
        team["logged"],
        team["approved"],
        percent(team["logged"], team["budget"]),
    ]
    assert dashboard.tables["weeks"].values() == week_rows
    assert dashboard.tables["weeks"].total.cells == [
        "Team",
        *[percent(week_logged[i], week_budget[i]) for i in range(len(weeks))],
        percent(team["logged"], team["budget"]),
    ]
    # Nobody in this team logs their full budget every day; Ida logs nothing all month.
    assert hints == {activity.idle.pk: "unused"}
    assert [(h["profile"].pk, h["kind"]) for h in dashboard.hints] == [(activity.idle.pk, "unused")]
    assert table.values()[[p.pk for p in people].index(activity.idle.pk)][6]

    categories, category_total = _category_rows(logs, in_hours=False)
    assert dashboard.tables["categories"].values() == categories
    assert dashboard.tables["categories"].total.cells == category_total

    waiting = [
        log
        for log in TimeLog.objects.filter(status="submitted")
        if log.staff.line_supervisor_id == org.supervisor.pk
    ]
    ages = [(today - _local(log.created_at)).days for log in waiting]
    buckets = [
        [a for a in ages if a <= 2],
        [a for a in ages if 3 <= a <= 7],
        [a for a in ages if a > 7],
    ]
    minutes = [
        sum(log.minutes for log, a in zip(waiting, ages, strict=True) if test(a))
        for test in (lambda a: a <= 2, lambda a: 3 <= a <= 7, lambda a: a > 7)
    ]
    pending = dashboard.tables["pending"]
    assert pending.column(1) == [len(b) for b in buckets]
    assert pending.column(2) == minutes
    assert all(len(b) for b in buckets)  # the seed fills every bucket
    assert pending.total.cells[1:] == [len(waiting), sum(minutes)]

    assert {kpi.key: kpi.value for kpi in dashboard.kpis} == {
        "people": 3,
        "budget": team["budget"],
        "logged": team["logged"],
        "used": percent(team["logged"], team["budget"]),
        "pending": len(waiting),
        "hints": 1,
    }


def test_someone_at_budget_every_working_day_gets_the_over_hint(login, org, today):
    seed(org, FEBRUARY)

    dashboard = (
        login(org.other_supervisor)
        .get(reverse("tasks:dashboard_team"), _query(FEBRUARY))
        .context["dashboard"]
    )

    assert [(h["profile"].pk, h["kind"]) for h in dashboard.hints] == [
        (org.other_staff.profile.pk, "over")
    ]
    assert dashboard.tables["usage"].values()[0][5] == 133  # 120 a day on a budget of 90


def test_the_unused_hint_needs_ten_working_days(login, org, today):
    seed(org, FEBRUARY)
    short = DateRange(datetime.date(2026, 2, 2), datetime.date(2026, 2, 13))  # 10 working days
    shorter = DateRange(datetime.date(2026, 2, 2), datetime.date(2026, 2, 12))
    client = login(org.supervisor)

    kinds = [
        [
            h["kind"]
            for h in client.get(reverse("tasks:dashboard_team"), _query(r))
            .context["dashboard"]
            .hints
        ]
        for r in (short, shorter)
    ]

    assert kinds == [["unused"], []]


# --------------------------------------------------------------------------- marketing


@pytest.mark.parametrize("who", ["lead", "admin"])
def test_the_marketing_dashboard_matches_the_raw_rows(login, org, today, who):
    activity = seed(org, FEBRUARY)
    rng = FEBRUARY
    everyone = who == "admin"
    user = getattr(org, who)

    dashboard = (
        login(user).get(reverse("tasks:dashboard_marketing"), _query(rng)).context["dashboard"]
    )

    tasks = [t for t in MarketingTask.objects.all() if everyone or t.created_by_id == org.lead.pk]
    done_days = [
        _local(change.at)
        for change in StateChange.objects.filter(to_state="done")
        if change.content_type.model == "marketingtask"
        and change.object_id in {t.pk for t in tasks}
        and rng.start <= _local(change.at) <= rng.end
    ]
    staff = {
        p.pk for p in StaffProfile.objects.all() if everyone or p.marketing_lead_id == org.lead.pk
    }
    logs = [log for log in _logs(rng) if log.staff_id in staff]
    rows, totals = [], [0, 0, 0]
    for week in rng.weeks():
        done = sum(1 for day in done_days if week.start <= day <= week.end)
        in_week = [log for log in logs if week.start <= log.day <= week.end]
        approved = sum(log.minutes for log in in_week if log.status == "approved")
        outcomes = sum(1 for log in in_week if log.outcome_status == "confirmed")
        totals = [totals[0] + done, totals[1] + approved, totals[2] + outcomes]
        rows.append([week.start, done, hours(approved), outcomes, ratio(outcomes * 60, approved)])
    weeks = dashboard.tables["weeks"]
    assert weeks.values() == rows
    assert weeks.total.cells == [
        "Range",
        totals[0],
        hours(totals[1]),
        totals[2],
        ratio(totals[2] * 60, totals[1]),
    ]
    assert totals[0] == (2 if everyone else 1)

    leads = [
        lead
        for lead in Lead.objects.select_related("introducer__department")
        if (everyone or lead.marketing_lead_id == org.lead.pk)
        and rng.start <= _local(lead.created_at) <= rng.end
    ]
    count = defaultdict(int)
    for lead in leads:
        count[lead.status] += 1
    introduced = len(leads)
    stages = [
        introduced,
        count["qualified"] + count["won"] + count["paid"],
        count["won"] + count["paid"],
        count["paid"],
    ]
    funnel = dashboard.tables["funnel"]
    assert funnel.column(1) == stages
    assert funnel.column(2) == [percent(n, introduced) for n in stages]
    assert dashboard.tables["stages"].values() == [
        [status.label, count[status.value]] for status in Lead.Status
    ]
    departments = sorted(
        {lead.introducer.department for lead in leads}, key=lambda d: d.name.lower()
    )
    assert dashboard.tables["departments"].values() == [
        [
            department.name,
            *[
                sum(1 for x in leads if x.introducer.department == department and x.status == s)
                for s in Lead.Status
            ],
            sum(1 for x in leads if x.introducer.department == department),
        ]
        for department in departments
    ]
    open_tasks = [t for t in tasks if t.status in ("open", "in_progress")]
    assert {kpi.key: kpi.value for kpi in dashboard.kpis} == {
        "tasks_done": totals[0],
        "open_tasks": len(open_tasks),
        "overdue": sum(1 for t in open_tasks if t.due_date < today),
        "approved_hours": hours(totals[1]),
        "outcomes": totals[2],
        "outcomes_per_hour": ratio(totals[2] * 60, totals[1]),
        "leads": introduced,
        "leads_won": stages[2],
    }
    assert introduced == (7 if everyone else 6)
    assert activity.lead2.pk != user.pk


def test_the_marketing_department_filter_narrows_people_and_leads(login, org, today):
    seed(org, FEBRUARY)

    dashboard = (
        login(org.lead)
        .get(reverse("tasks:dashboard_marketing"), _query(FEBRUARY, department=org.operations.pk))
        .context["dashboard"]
    )

    approved = sum(
        log.minutes
        for log in _logs(FEBRUARY, staff=org.other_staff.profile)
        if log.status == "approved"
    )
    assert dashboard.kpi("approved_hours") == hours(approved)
    assert dashboard.kpi("leads") == 0  # other_staff's lead is worked by another lead


# --------------------------------------------------------------------------- organisation


@pytest.mark.parametrize("rng", [FEBRUARY, YEAR], ids=["month", "year"])
def test_the_org_dashboard_matches_the_raw_rows(login, org, today, rng):
    activity = seed(org, rng)
    # Money on a lead a marketing person introduced is not staff-introduced revenue.
    own = activity.lead(activity.lead2.profile, rng.start, Lead.Status.WON, contract=Decimal(700))
    activity.collect(own, rng.start, "700.00")

    dashboard = (
        login(org.finance).get(reverse("tasks:dashboard_org"), _query(rng)).context["dashboard"]
    )

    eligible = _eligible()
    logs = _logs(rng)
    logged_people = _people_logged(rng)
    rows = []
    for department in sorted({p.department for p in eligible}, key=lambda d: d.name.lower()):
        members = [p for p in eligible if p.department_id == department.pk]
        took_part = sum(1 for p in members if p.pk in logged_people)
        in_department = [log for log in logs if log.staff.department_id == department.pk]
        rows.append(
            [
                department.name,
                len(members),
                took_part,
                percent(took_part, len(members)),
                hours(sum(log.minutes for log in in_department if _counted(log))),
                hours(sum(log.minutes for log in in_department if log.status == "approved")),
            ]
        )
    table = dashboard.tables["departments"]
    assert table.values() == rows
    participants = sum(1 for p in eligible if p.pk in logged_people)
    all_logged = sum(log.minutes for log in logs if _counted(log))
    all_approved = sum(log.minutes for log in logs if log.status == "approved")
    assert table.total.cells == [
        "Organisation",
        len(eligible),
        participants,
        percent(participants, len(eligible)),
        hours(all_logged),
        hours(all_approved),
    ]
    assert all(row.link == "" for row in table.rows)  # finance: no drill-down

    categories, category_total = _category_rows(logs, in_hours=True)
    assert dashboard.tables["categories"].values() == categories
    assert dashboard.tables["categories"].total.cells == category_total

    eligible_ids = {p.pk for p in eligible}
    whole_weeks = [  # Monday to Sunday, even where the range cuts a week
        DateRange(*week_bounds(week.start)) for week in rng.weeks()
    ]
    assert dashboard.tables["participation"].values() == [
        [
            week.start,
            len(_people_logged(week) & eligible_ids),
            percent(len(_people_logged(week) & eligible_ids), len(eligible)),
        ]
        for week in whole_weeks
    ]

    trend = rng.trend_months()
    expected_trend = []
    for month in trend.months():
        month_logs = _logs(month)
        people = len(_people_logged(month) & eligible_ids)
        expected_trend.append(
            [
                month.start,
                people,
                percent(people, len(eligible)),
                hours(sum(log.minutes for log in month_logs if _counted(log))),
                hours(sum(log.minutes for log in month_logs if log.status == "approved")),
            ]
        )
    assert dashboard.tables["trend"].values() == expected_trend
    assert len(expected_trend) == 12

    revenue = _net(
        c
        for c in Collection.objects.select_related("lead__introducer__department")
        if rng.start <= c.received_on <= rng.end and not c.lead.introducer.department.is_marketing
    )
    cost = _money(s.total for s in Statement.objects.select_related("period") if _rewarded(s, rng))
    assert revenue == (Decimal("1000.50") + Decimal("2000") - Decimal("300.25") + 500) * len(
        rng.months()
    )
    assert cost == (Decimal("123.45") + Decimal("67.80")) * len(rng.months())
    assert dashboard.tables["money"].column(1) == [revenue, cost, ratio(revenue, cost)]
    assert {kpi.key: kpi.value for kpi in dashboard.kpis} == {
        "eligible": len(eligible),
        "participation": percent(participants, len(eligible)),
        "hours": hours(all_logged),
        "approved_hours": hours(all_approved),
        "revenue": revenue,
        "cost": cost,
        "return": ratio(revenue, cost),
    }


def test_the_return_is_a_dash_without_reward_cost(login, org, today):
    page = login(org.admin).get(reverse("tasks:dashboard_org"))
    dashboard = page.context["dashboard"]

    assert dashboard.kpi("cost") == ZERO
    assert dashboard.kpi("return") is None
    assert "—" in next(k.text for k in dashboard.kpis if k.key == "return")


def test_the_department_dashboard_matches_the_raw_rows(login, org, today):
    seed(org, FEBRUARY)
    rng = FEBRUARY

    dashboard = (
        login(org.admin)
        .get(reverse("tasks:dashboard_department", args=[org.engineering.pk]), _query(rng))
        .context["dashboard"]
    )

    people = sorted(
        [p for p in _eligible() if p.department_id == org.engineering.pk],
        key=lambda p: (_name(p).lower(), p.pk),
    )
    logs = _logs(rng)
    collections = list(Collection.objects.select_related("lead"))
    statements = list(Statement.objects.select_related("period"))
    rows = []
    sums = defaultdict(int)
    money = defaultdict(lambda: ZERO)
    for person in people:
        mine = [log for log in logs if log.staff_id == person.pk]
        budget = sum(_budget(person, day) for day in rng.days())
        logged = sum(log.minutes for log in mine if _counted(log))
        approved = sum(log.minutes for log in mine if log.status == "approved")
        outcomes = sum(1 for log in mine if log.outcome_status == "confirmed")
        revenue = _net(
            c
            for c in collections
            if c.lead.introducer_id == person.pk and rng.start <= c.received_on <= rng.end
        )
        reward = _money(
            s.total for s in statements if s.staff_id == person.pk and _rewarded(s, rng)
        )
        for key, value in (
            ("budget", budget),
            ("logged", logged),
            ("approved", approved),
            ("outcomes", outcomes),
        ):
            sums[key] += value
        money["revenue"] += revenue
        money["reward"] += reward
        rows.append(
            [
                _name(person),
                hours(budget),
                hours(logged),
                hours(approved),
                percent(logged, budget),
                outcomes,
                revenue,
                reward,
                ratio(revenue, reward),
            ]
        )
    table = dashboard.tables["people"]
    assert table.values() == rows
    assert table.total.cells == [
        "Department",
        hours(sums["budget"]),
        hours(sums["logged"]),
        hours(sums["approved"]),
        percent(sums["logged"], sums["budget"]),
        sums["outcomes"],
        money["revenue"],
        money["reward"],
        ratio(money["revenue"], money["reward"]),
    ]
    assert all(row.link for row in table.rows)
    categories, category_total = _category_rows(
        [log for log in logs if log.staff_id in {p.pk for p in people}], in_hours=True
    )
    assert dashboard.tables["categories"].values() == categories
    assert dashboard.tables["categories"].total.cells == category_total
    took_part = sum(1 for row in rows if row[2])
    assert {kpi.key: kpi.value for kpi in dashboard.kpis} == {
        "people": len(people),
        "participation": percent(took_part, len(people)),
        "hours": hours(sums["logged"]),
        "approved_hours": hours(sums["approved"]),
        "revenue": money["revenue"],
        "cost": money["reward"],
        "return": ratio(money["revenue"], money["reward"]),
    }


# --------------------------------------------------------------------------- query counts

# Upper bounds, session and authentication included; the exact count is whatever one
# month of data takes, and twelve months must take exactly as many.
MAX_QUERIES = {"me": 16, "team": 8, "marketing": 14, "org": 10, "department": 17}


def _pages(org):
    return {
        "me": (org.staff, reverse("tasks:dashboard_me")),
        "team": (org.supervisor, reverse("tasks:dashboard_team")),
        "marketing": (org.lead, reverse("tasks:dashboard_marketing")),
        "org": (org.admin, reverse("tasks:dashboard_org")),
        "department": (
            org.admin,
            reverse("tasks:dashboard_department", args=[org.engineering.pk]),
        ),
    }


@pytest.mark.parametrize("page", list(MAX_QUERIES))
@pytest.mark.parametrize("output", ["html", "csv"])
def test_query_counts_are_the_same_for_one_month_and_twelve(
    client, org, today, django_assert_num_queries, page, output
):
    activity = seed(org, FEBRUARY)
    user, url = _pages(org)[page]
    client.force_login(user)
    query = _query(YEAR, **({"format": "csv"} if output == "csv" else {}))
    with CaptureQueriesContext(connection) as one_month:
        first = client.get(url, query)
    for month in YEAR.months()[:-1]:
        activity.month(month.start)
    summaries_rebuild(start=YEAR.start, end=YEAR.end)

    with django_assert_num_queries(len(one_month)):
        second = client.get(url, query)

    assert first.status_code == second.status_code == 200
    assert first.content != second.content  # the eleven months more do show
    assert len(one_month) <= MAX_QUERIES[page]


@pytest.mark.parametrize("page", list(MAX_QUERIES))
def test_query_counts_do_not_grow_with_people_departments_or_leads(
    client, org, today, django_assert_num_queries, page
):
    activity = seed(org, FEBRUARY)
    user, url = _pages(org)[page]
    client.force_login(user)
    with CaptureQueriesContext(connection) as few:
        first = client.get(url, _query(FEBRUARY))
    support = DepartmentFactory(name="Support", code="SUP")
    for number in range(20):
        person = StaffProfileFactory(
            user=UserFactory(username=f"more{number}", first_name=f"More {number}"),
            department=(org.engineering, support)[number % 2],
            line_supervisor=org.supervisor,
            marketing_lead=org.lead,
        )
        for offset, status in enumerate((TimeLog.Status.APPROVED, TimeLog.Status.SUBMITTED)):
            activity.log(
                person,
                FEBRUARY.start + datetime.timedelta(days=offset),
                30,
                "phone-marketing",
                status,
            )
        activity.lead(person, FEBRUARY.start, Lead.Status.NEW, marketing_lead=org.lead)
    summaries_rebuild(start=FEBRUARY.start, end=FEBRUARY.end)

    with django_assert_num_queries(len(few)):
        second = client.get(url, _query(FEBRUARY))

    assert first.status_code == second.status_code == 200
    assert first.content != second.content  # the twenty more people do show
