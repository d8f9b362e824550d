"""``seed_scale``: a large organisation written in bulk must still obey every rule the
services enforce, build its summaries and statements with the real code, and be the
same for the same seed. Run here at a small size (the shape does not depend on it)."""

from __future__ import annotations

import datetime
import io
from collections import defaultdict
from types import SimpleNamespace

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Count, Sum

from departments.models import Delegation, Department, StaffProfile
from departments.roles import FINANCE_GROUP
from departments.scale import TEAM_SIZE, ScaleSeed
from rewards.models import Collection, CreditShare, Lead, PayoutPeriod, Statement
from tasks.models import (
    BudgetExtension,
    DayLedger,
    DepartmentDaySummary,
    PersonDaySummary,
    TimeLog,
)
from tasks.selectors import budgets_for_people_and_days, granted_extensions
from tasks.summaries import summaries_rebuild

TODAY = datetime.date(2026, 3, 18)  # a Wednesday
PEOPLE = 260
DAYS = 45

pytestmark = pytest.mark.django_db


def fingerprint() -> list[tuple]:
    return list(
        TimeLog.objects.order_by("staff__employee_number", "day", "pk").values_list(
            "staff__employee_number", "day", "minutes", "status", "category__code", "task_id"
        )
    )


@pytest.fixture
def seeded():
    counts = ScaleSeed(people=PEOPLE, days=DAYS, seed=7, today=TODAY).run()
    return counts


def test_the_organisation_has_the_shape_of_a_company(seeded):
    assert StaffProfile.objects.count() == PEOPLE == seeded["people"]
    marketing = StaffProfile.objects.filter(department__kind=Department.Kind.MARKETING)
    staff = StaffProfile.objects.exclude(department__kind=Department.Kind.MARKETING)
    assert marketing.filter(is_marketing_lead=True).exists()
    # Everyone outside marketing has both supervisors, the lead holding the role.
    assert not staff.filter(marketing_lead__isnull=True).exists()
    assert not staff.exclude(marketing_lead__profile__is_marketing_lead=True).exists()
    without_supervisor = staff.filter(line_supervisor__isnull=True)
    assert list(without_supervisor.values_list("user__username", flat=True)) == ["scale-admin"]
    teams = (
        staff.values("line_supervisor")
        .annotate(n=Count("pk"))
        .filter(line_supervisor__isnull=False)
        .values_list("n", flat=True)
    )
    assert max(teams) == TEAM_SIZE
    assert Delegation.objects.exists()
    assert StaffProfile.objects.filter(
        user__username="scale-finance", user__groups__name=FINANCE_GROUP
    ).exists()


def test_every_day_stays_within_its_budget_and_rejections_give_a_reason(seeded):
    assert seeded["time_logs"] == TimeLog.objects.count() > PEOPLE * 10
    people = list(StaffProfile.objects.all())
    days = sorted(set(TimeLog.objects.values_list("day", flat=True)))
    assert days[-1] == TODAY
    assert all(day.weekday() < 5 for day in days)
    budgets = budgets_for_people_and_days(people=people, days=days)
    extra = granted_extensions(people=people, start=days[0], end=days[-1])
    logged = defaultdict(int)
    for staff_id, day, minutes in (
        TimeLog.objects.exclude(status=TimeLog.Status.REJECTED)
        .values("staff_id", "day")
        .annotate(total=Sum("minutes"))
        .values_list("staff_id", "day", "total")
    ):
        logged[(staff_id, day)] = minutes
        assert minutes <= budgets[(staff_id, day)] + extra.get((staff_id, day), 0)
    assert BudgetExtension.objects.filter(status=BudgetExtension.Status.GRANTED).exists()
    ledgers = {
        (staff_id, day): minutes
        for staff_id, day, minutes in DayLedger.objects.values_list(
            "staff_id", "day", "logged_minutes"
        )
    }
    assert {key: value for key, value in ledgers.items() if value} == dict(logged)
    rejected = TimeLog.objects.filter(status=TimeLog.Status.REJECTED)
    assert rejected.exists()
    assert not rejected.filter(rejection_reason="").exists()
    assert TimeLog.objects.filter(day=TODAY, status=TimeLog.Status.SUBMITTED).exists()


def test_summaries_and_statements_come_from_the_real_code(seeded):
    raw = TimeLog.objects.filter(status=TimeLog.Status.APPROVED).aggregate(m=Sum("minutes"))["m"]
    assert PersonDaySummary.objects.aggregate(m=Sum("approved_minutes"))["m"] == raw
    assert DepartmentDaySummary.objects.aggregate(m=Sum("approved_minutes"))["m"] == raw
    before = list(PersonDaySummary.objects.order_by("pk").values())
    summaries_rebuild()  # nothing to repair
    assert list(PersonDaySummary.objects.order_by("pk").values()) == before

    last_month = PayoutPeriod.objects.get(start_date=datetime.date(2026, 2, 1))
    assert last_month.status == PayoutPeriod.Status.CALCULATED
    assert Statement.objects.filter(period=last_month).count() == seeded["statements"] > 0
    assert PayoutPeriod.objects.get(start_date=datetime.date(2026, 3, 1)).status == "open"
    assert Lead.objects.filter(status=Lead.Status.PAID).exists()
    assert set(Lead.objects.values_list("status", flat=True)) == set(Lead.Status.values)
    assert Collection.objects.filter(kind=Collection.Kind.COLLECTION).exists()
    assert CreditShare.objects.exists()


def test_the_same_seed_gives_the_same_company():
    with transaction.atomic():
        ScaleSeed(people=60, days=10, seed=3, today=TODAY).run()
        first = fingerprint()
        transaction.set_rollback(True)
    ScaleSeed(people=60, days=10, seed=3, today=TODAY).run()
    assert fingerprint() == first
    other = ScaleSeed(people=60, days=10, seed=4, today=TODAY)
    with pytest.raises(RuntimeError, match="empty"):
        other.run()


def test_the_command_reports_what_it_wrote():
    out = io.StringIO()
    call_command("seed_scale", people=40, days=5, quiet=True, stdout=out, stderr=io.StringIO())
    assert "time_logs" in out.getvalue()
    assert "scale-admin" in out.getvalue()
    assert StaffProfile.objects.count() == 40


def test_the_command_refuses_a_big_company_on_sqlite(monkeypatch):
    from departments.management.commands import seed_scale

    monkeypatch.setattr(seed_scale, "connection", SimpleNamespace(vendor="sqlite"))
    with pytest.raises(CommandError, match="PostgreSQL"):
        call_command("seed_scale", people=5000, stdout=io.StringIO(), stderr=io.StringIO())
    assert not StaffProfile.objects.exists()
