"""The summary rebuild (a repair): whatever the stored summaries hold, it leaves the figures
the rollup computes from the raw logs, writes only the rows that differ, and on PostgreSQL
(where it computes into work tables in parallel) leaves no work table behind and stays
safe next to a rollup or another rebuild."""

import datetime
import threading

import pytest
import time_machine
from django.db import OperationalError, connection, connections, transaction

from departments.models import Department
from tasks import services, summaries
from tasks.models import (
    AssistCategory,
    BudgetExtension,
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

TODAY = datetime.date(2026, 3, 3)  # a Tuesday: the logs below span two months and weeks
FIRST = datetime.date(2026, 2, 26)


@pytest.fixture
def frozen():
    with time_machine.travel(datetime.datetime(2026, 3, 3, 10, 0, tzinfo=datetime.UTC), tick=False):
        yield


def _days():
    return [FIRST + datetime.timedelta(days=n) for n in range((TODAY - FIRST).days + 1)]


def _log(profile, day, minutes, category):
    return services.time_log_create(
        staff=profile,
        day=day,
        minutes=minutes,
        category=category,
        description="Called three prospects",
        duties_done=True,
    )


def _history(org):
    """Logs of two people in two departments over two months and two weeks: several
    categories, every status, a confirmed outcome, a granted extension, and a day whose
    only log was deleted (a day ledger without logs)."""
    phone = AssistCategory.objects.get(code="phone-marketing")
    visit = AssistCategory.objects.get(code="client-visit")
    other = org.other_staff.profile
    logs = []
    for offset, day in enumerate(_days()):
        logs.append(_log(org.staff_profile, day, 20 + offset, phone))
        logs.append(_log(org.staff_profile, day, 10, visit))
        if offset % 2:
            logs.append(_log(other, day, 15 + offset, visit))
    services.time_logs_approve(actor=org.supervisor, log_ids=[logs[0].pk, logs[3].pk])
    services.time_logs_reject(actor=org.supervisor, log_ids=[logs[1].pk], reason="Not marketing")
    TimeLog.objects.filter(pk=logs[4].pk).update(outcome_status=TimeLog.OutcomeStatus.CONFIRMED)
    services.time_log_delete(actor=other.user, log=logs[-1])
    BudgetExtension.objects.create(
        staff=org.staff_profile,
        day=FIRST + datetime.timedelta(days=2),
        minutes=60,
        reason="Trade fair",
        status=BudgetExtension.Status.GRANTED,
    )
    summaries_rollup(days=_days())


def _computed_at():
    return [
        sorted(model.objects.values_list("pk", "computed_at"))
        for model in (PersonDaySummary, DepartmentDaySummary, PersonMonthSummary, PersonWeekSummary)
    ]


def test_the_rollup_history_has_what_the_rebuild_must_repair(org, frozen):
    _history(org)
    people = PersonDaySummary.objects.filter(staff=org.staff_profile)
    assert people.filter(extension_minutes=60).count() == 1
    assert PersonDaySummary.objects.filter(outcomes_confirmed=1).count() == 1
    assert people.filter(rejected_minutes__gt=0).count() == 1
    assert any(len(person.minutes_by_category) == 2 for person in people)
    emptied = PersonDaySummary.objects.get(staff=org.other_staff.profile, day=TODAY)
    assert (emptied.entries, emptied.minutes_by_category) == (0, {})
    assert PersonMonthSummary.objects.values("month").distinct().count() == 2
    assert PersonWeekSummary.objects.values("week").distinct().count() == 2


def test_the_rebuild_repairs_every_summary(org, frozen):
    _history(org)
    expected = every_summary()
    day = FIRST + datetime.timedelta(days=1)
    person = PersonDaySummary.objects.filter(staff=org.staff_profile)
    person.filter(day=FIRST).update(submitted_minutes=999, entries=7)
    # An entry too many, and one with another value.
    person.filter(day=day).update(minutes_by_category={"1": 5, "99999": 3})
    person.filter(day=TODAY).update(department=org.marketing, budget_minutes=1)
    PersonDaySummary.objects.filter(staff=org.other_staff.profile, day=day).delete()
    departments = DepartmentDaySummary.objects.filter(department=org.engineering)
    departments.filter(day=FIRST).update(people_logged=77, minutes_by_category={})
    departments.filter(day=day).delete()
    PersonMonthSummary.objects.update(days_logged=40)
    PersonWeekSummary.objects.filter(week=datetime.date(2026, 3, 2)).delete()
    DayLedger.objects.update(dirty=True)

    result = summaries_rebuild()

    assert every_summary() == expected
    assert not DayLedger.objects.filter(dirty=True).exists()
    assert result["person_days"] == PersonDaySummary.objects.count()
    non_marketing = Department.objects.filter(kind=Department.Kind.NON_MARKETING).count()
    assert result["department_days"] == non_marketing * len(_days())


def test_a_rebuild_by_chunks_gives_the_same_figures(org, frozen):
    _history(org)
    expected = every_summary()
    PersonDaySummary.objects.all().delete()
    DepartmentDaySummary.objects.all().delete()
    PersonMonthSummary.objects.update(days_logged=40)
    PersonWeekSummary.objects.all().delete()
    result = summaries_rebuild(chunk_days=4)  # 26 February to 1 March, then to 3 March
    assert every_summary() == expected
    assert result["person_days"] == PersonDaySummary.objects.count()


@pytest.mark.postgres
def test_without_the_right_to_create_tables_the_rebuild_merges(org, frozen, monkeypatch):
    _history(org)
    expected = every_summary()
    PersonDaySummary.objects.filter(day=FIRST).update(submitted_minutes=999)
    DepartmentDaySummary.objects.filter(day=FIRST).delete()
    monkeypatch.setattr(summaries, "_work_tables_allowed", lambda cursor: False)
    summaries_rebuild()
    assert every_summary() == expected


def test_a_rebuild_with_nothing_to_repair_writes_nothing(org, frozen):
    _history(org)
    expected, written = every_summary(), _computed_at()
    with time_machine.travel(datetime.datetime(2026, 3, 4, 10, 0, tzinfo=datetime.UTC)):
        summaries_rebuild()
    assert every_summary() == expected
    assert _computed_at() == written


def _work_tables() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname FROM pg_class WHERE relname LIKE 'allhands_rebuild%%'")
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.postgres
def test_the_work_tables_go_with_the_run_even_when_it_fails(org, frozen, monkeypatch):
    _history(org)
    expected = every_summary()
    summaries_rebuild()
    assert _work_tables() == []

    PersonDaySummary.objects.filter(staff=org.staff_profile, day=FIRST).update(entries=9)
    broken = every_summary()

    def fail(*args, **kwargs):
        assert _work_tables(), "the work tables exist during the run"
        raise RuntimeError("the database went away")

    monkeypatch.setattr(summaries, "_rebuild_departments_postgresql", fail)
    with pytest.raises(RuntimeError):
        summaries_rebuild()
    assert _work_tables() == []
    assert every_summary() == broken  # the chunk's transaction was rolled back whole
    monkeypatch.undo()
    summaries_rebuild()
    assert every_summary() == expected


@pytest.mark.postgres
def test_department_days_count_entries_of_categories_the_rebuild_did_not_write(org, frozen):
    """A person-day without logs nor day ledger is not recomputed, but its department-day
    still sums it, whatever categories its figures hold (as the rollup does)."""
    _history(org)
    day = FIRST + datetime.timedelta(days=1)
    stranger = StaffProfileFactory(
        user=UserFactory(username="stranger"), department=org.engineering
    )
    PersonDaySummary.objects.create(
        staff=stranger,
        day=day,
        department=org.engineering,
        submitted_minutes=30,
        minutes_by_category={"999999": 30},
    )
    summaries_rollup(days=_days())  # the stranger is eligible on every day
    people, departments, *_spans = every_summary()
    stored = DepartmentDaySummary.objects.get(department=org.engineering, day=day)
    assert stored.minutes_by_category["999999"] == 30
    DepartmentDaySummary.objects.filter(department=org.engineering, day=day).update(
        people_logged=0, minutes_by_category={}
    )
    summaries_rebuild()
    assert every_summary()[:2] == (people, departments)


def _seed_many(people=30):
    department = Department.objects.create(name="Support", code="SUP")
    profiles = [
        StaffProfileFactory(user=UserFactory(username=f"p{n}"), department=department)
        for n in range(people)
    ]
    category = AssistCategory.objects.get(code="phone-marketing")
    for person in profiles:
        for day in _days()[-3:]:
            TimeLog.objects.create(
                staff=person,
                day=day,
                minutes=30,
                category=category,
                description="x",
                duties_done=True,
            )
            DayLedger.objects.update_or_create(
                staff=person, day=day, defaults={"logged_minutes": 30, "dirty": True}
            )
    return profiles


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_rebuilds_and_a_rollup_at_once_give_the_figures_of_one_rebuild(frozen):
    _seed_many()
    days = _days()[-3:]
    barrier = threading.Barrier(3)
    errors = []

    def run(job):
        try:
            barrier.wait()
            job()
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    jobs = [
        lambda: summaries_rebuild(start=days[0], end=days[-1]),
        lambda: summaries_rebuild(start=days[0], end=days[-1]),
        lambda: summaries_rollup(days=days),
    ]
    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    concurrent = every_summary()
    assert not DayLedger.objects.filter(dirty=True).exists()
    assert _work_tables() == []
    PersonDaySummary.objects.all().delete()
    DepartmentDaySummary.objects.all().delete()
    PersonMonthSummary.objects.all().delete()
    PersonWeekSummary.objects.all().delete()
    summaries_rebuild(start=days[0], end=days[-1])
    assert concurrent == every_summary()
    assert PersonDaySummary.objects.filter(submitted_minutes=30).count() == 30 * 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_rebuild_does_not_keep_people_from_saving_time_while_it_computes(frozen, monkeypatch):
    """Saving time locks the person-day's ledger row. While a rebuild chunk computes, that
    row (marked dirty, then cleared by the rebuild) must not be held by the rebuild."""
    profiles = _seed_many(people=2)
    ledger = DayLedger.objects.filter(staff=profiles[0], dirty=True).earliest("day")
    seen = []
    compute = summaries._rebuild_people_postgresql

    def lock_from_elsewhere():
        try:
            with transaction.atomic():
                DayLedger.objects.select_for_update(nowait=True).get(pk=ledger.pk)
            seen.append("free")
        except OperationalError:
            seen.append("locked")
        finally:
            connections.close_all()

    def computing(*args, **kwargs):
        writer = threading.Thread(target=lock_from_elsewhere)
        writer.start()
        writer.join()
        return compute(*args, **kwargs)

    monkeypatch.setattr(summaries, "_rebuild_people_postgresql", computing)
    summaries_rebuild(start=_days()[0], end=_days()[-1])
    assert seen == ["free"]
    assert not DayLedger.objects.filter(dirty=True).exists()
