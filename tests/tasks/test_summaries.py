import datetime
import threading

import pytest
import time_machine
from django.db import connections
from django.db.models import Sum

from departments.models import StaffProfile
from tasks import services
from tasks.models import (
    AssistCategory,
    DayLedger,
    DepartmentDaySummary,
    PersonDaySummary,
    PersonMonthSummary,
    PersonWeekSummary,
    TimeLog,
)
from tasks.summaries import summaries_rebuild, summaries_rollup
from tests.factories import StaffProfileFactory, UserFactory
from tests.summary_tables import every_summary

TODAY = datetime.date(2026, 3, 12)


@pytest.fixture
def frozen():
    with time_machine.travel(
        datetime.datetime(2026, 3, 12, 10, 0, tzinfo=datetime.UTC), tick=False
    ):
        yield


def _log(profile, day, minutes, category=None, **extra):
    category = category or AssistCategory.objects.get(code="phone-marketing")
    return services.time_log_create(
        staff=profile,
        day=day,
        minutes=minutes,
        category=category,
        description="Called three prospects",
        duties_done=True,
        **extra,
    )


def test_rollup_figures_match_the_raw_logs(org, frozen):
    yesterday = TODAY - datetime.timedelta(days=1)
    visit = AssistCategory.objects.get(code="client-visit")
    first = _log(org.staff_profile, yesterday, 60)
    _log(org.staff_profile, yesterday, 30, category=visit)
    rejected = _log(org.staff_profile, TODAY, 45)
    services.time_logs_approve(actor=org.supervisor, log_ids=[first.pk])
    services.time_logs_reject(actor=org.supervisor, log_ids=[rejected.pk], reason="Not marketing")

    summaries_rollup(days=[yesterday])

    person = PersonDaySummary.objects.get(staff=org.staff_profile, day=yesterday)
    assert (person.approved_minutes, person.submitted_minutes, person.rejected_minutes) == (
        60,
        30,
        0,
    )
    assert person.budget_minutes == 120
    assert person.minutes_by_category == {
        str(first.category_id): 60,
        str(visit.pk): 30,
    }
    today = PersonDaySummary.objects.get(staff=org.staff_profile, day=TODAY)
    assert (today.rejected_minutes, today.submitted_minutes) == (45, 0)

    engineering = DepartmentDaySummary.objects.get(department=org.engineering, day=yesterday)
    eligible = StaffProfile.objects.filter(department=org.engineering, is_active=True).count()
    assert engineering.eligible_people == eligible
    assert engineering.people_logged == 1
    assert engineering.budget_minutes == 120 * eligible
    raw = TimeLog.objects.filter(
        staff__department=org.engineering, day=yesterday, status="approved"
    ).aggregate(total=Sum("minutes"))["total"]
    assert engineering.approved_minutes == raw
    assert not DayLedger.objects.filter(dirty=True).exists()


def test_only_dirty_days_are_recomputed(org, frozen, django_assert_max_num_queries):
    day = TODAY - datetime.timedelta(days=2)
    _log(org.staff_profile, day, 30)
    summaries_rollup()
    assert PersonDaySummary.objects.get(staff=org.staff_profile, day=day).submitted_minutes == 30
    with django_assert_max_num_queries(4):
        result = summaries_rollup()
    assert result["person_days"] == 0


def test_a_changed_day_is_marked_dirty_and_rolled_up_again(org, frozen):
    day = TODAY - datetime.timedelta(days=1)
    log = _log(org.staff_profile, day, 30)
    summaries_rollup()
    services.time_log_update(actor=org.staff, log=log, minutes=75)
    assert DayLedger.objects.get(staff=org.staff_profile, day=day).dirty
    summaries_rollup()
    assert PersonDaySummary.objects.get(staff=org.staff_profile, day=day).submitted_minutes == 75


def test_running_twice_gives_the_same_figures_as_once(org, frozen):
    for offset in range(4):
        _log(org.staff_profile, TODAY - datetime.timedelta(days=offset), 15 * (offset + 1))
    summaries_rollup(days=[TODAY - datetime.timedelta(days=1)])
    once = every_summary()
    summaries_rollup(days=[TODAY - datetime.timedelta(days=1)])
    assert every_summary() == once


def _months():
    return sorted(
        PersonMonthSummary.objects.values_list(
            "staff_id", "month", "days_logged", "submitted_minutes", "approved_minutes"
        )
    )


def test_person_months_follow_the_person_days(org, frozen):
    february = datetime.date(2026, 2, 27)
    first = _log(org.staff_profile, TODAY - datetime.timedelta(days=1), 30)
    _log(org.staff_profile, TODAY - datetime.timedelta(days=2), 45)
    with time_machine.travel(datetime.datetime(2026, 2, 27, 10, 0, tzinfo=datetime.UTC)):
        _log(org.staff_profile, february, 60)
    summaries_rollup()
    services.time_logs_approve(actor=org.supervisor, log_ids=[first.pk])
    summaries_rollup()
    staff = org.staff_profile.pk
    assert _months() == [
        (staff, datetime.date(2026, 2, 1), 1, 60, 0),
        (staff, datetime.date(2026, 3, 1), 2, 45, 30),
    ]
    # 2026-03-10 and 11 are in the week of Monday 9 March; 27 February in that of the 23rd.
    assert sorted(
        PersonWeekSummary.objects.values_list("week", "days_logged", "approved_minutes")
    ) == [(datetime.date(2026, 2, 23), 1, 0), (datetime.date(2026, 3, 9), 2, 30)]
    rolled_up = _months()
    weeks = sorted(PersonWeekSummary.objects.values_list("staff_id", "week", "days_logged"))
    PersonMonthSummary.objects.all().delete()
    PersonWeekSummary.objects.all().delete()
    summaries_rebuild()
    assert _months() == rolled_up
    assert sorted(PersonWeekSummary.objects.values_list("staff_id", "week", "days_logged")) == (
        weeks
    )


def test_rebuild_reproduces_the_rollup(org, frozen):
    for offset in range(5):
        _log(org.staff_profile, TODAY - datetime.timedelta(days=offset), 20)
    summaries_rollup(days=[TODAY - datetime.timedelta(days=n) for n in range(5)])
    expected = every_summary()
    PersonDaySummary.objects.all().delete()
    DepartmentDaySummary.objects.all().delete()
    summaries_rebuild(start=TODAY - datetime.timedelta(days=4), end=TODAY)
    assert every_summary() == expected


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_rollups_give_the_figures_of_one(frozen):
    from departments.models import Department

    department = Department.objects.create(name="Support", code="SUP")
    people = [
        StaffProfileFactory(user=UserFactory(username=f"p{n}"), department=department)
        for n in range(40)
    ]
    category = AssistCategory.objects.get(code="phone-marketing")
    for person in people:
        for offset in range(3):
            TimeLog.objects.create(
                staff=person,
                day=TODAY - datetime.timedelta(days=offset),
                minutes=30,
                category=category,
                description="x",
                duties_done=True,
            )
            DayLedger.objects.update_or_create(
                staff=person,
                day=TODAY - datetime.timedelta(days=offset),
                defaults={"logged_minutes": 30, "dirty": True},
            )
    days = [TODAY - datetime.timedelta(days=n) for n in range(3)]
    barrier = threading.Barrier(2)
    errors = []

    def run():
        try:
            barrier.wait()
            summaries_rollup(days=days)
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    concurrent = every_summary()
    PersonDaySummary.objects.all().delete()
    DepartmentDaySummary.objects.all().delete()
    summaries_rebuild(start=days[-1], end=days[0])
    assert concurrent == every_summary()
    assert PersonDaySummary.objects.count() == 40 * 3
