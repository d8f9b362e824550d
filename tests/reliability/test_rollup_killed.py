"""A worker killed with SIGKILL in the middle of the daily rollup loses nothing: the
batches it committed stay, the one it was working on is rolled back by the database,
and the next run (a new request or the next scheduled run) ends with the figures of a
clean run. (The payout calculation's version of this is
``tests/rewards/test_calculation_idempotency.py::TestRealWorker::
test_a_worker_killed_half_way_is_made_good_by_a_new_request``.)

To kill it at a known point rather than by luck, the test holds the row lock of the
last day's department summary: the worker commits the first two batches of dirty days,
then waits for that lock in the third, and is killed while it waits.
"""

from __future__ import annotations

import datetime
import signal
import threading
import time

import pytest
from django.db import connection, transaction
from django.db.models import Sum

from tasks.models import (
    AssistCategory,
    DayLedger,
    DepartmentDaySummary,
    PersonDaySummary,
    TimeLog,
)
from tasks.summaries import summaries_rebuild
from tests.celery_worker import running_worker
from tests.factories import DepartmentFactory, StaffProfileFactory, UserFactory
from tests.summary_tables import summary_tables

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

PEOPLE = 200
FIRST_DAY = datetime.date(2026, 3, 2)
DAYS = [FIRST_DAY + datetime.timedelta(days=n) for n in range(6)]
WAIT_SECONDS = 120
STATUSES = [TimeLog.Status.APPROVED, TimeLog.Status.SUBMITTED, TimeLog.Status.REJECTED]
BATCH = 500  # dirty person-days per transaction, in the workers started here


@pytest.fixture(autouse=True)
def rollup_batch(monkeypatch):
    """The workers inherit the environment."""
    monkeypatch.setenv("ALLHANDS_ROLLUP_BATCH", str(BATCH))


def wait_for(condition, what: str, worker=None) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(
                f"timed out waiting for {what}\nother sessions: {backends()}"
                + (f"\n{worker.log()}" if worker else "")
            )
        time.sleep(0.02)


def backends() -> list[tuple]:
    """The other sessions on the test database, to say what a timed-out wait waited on."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, backend_type, state, wait_event_type, wait_event, "
            "now() - state_change, left(query, 200) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchall()


def other_backends(*, waiting_for_a_lock: bool = False) -> set[int]:
    """The process ids of the other client sessions on the test database."""
    sql = (
        "SELECT pid FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid() "
        "AND backend_type = 'client backend'"
    )
    if waiting_for_a_lock:
        sql += " AND wait_event_type = 'Lock'"
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return {pid for (pid,) in cursor.fetchall()}


@pytest.fixture
def dirty_days(db):
    """200 people × 6 days of logs, every person-day dirty: three batches of the rollup,
    the last one all on the last day."""
    department = DepartmentFactory(name="Sales support", code="SUP")
    category = AssistCategory.objects.order_by("pk").first()
    profiles = [
        StaffProfileFactory(user=UserFactory(username=f"p{n:03d}"), department=department)
        for n in range(PEOPLE)
    ]
    TimeLog.objects.bulk_create(
        TimeLog(
            staff=profile,
            day=day,
            minutes=10 + (n + d) % 50,
            category=category,
            description="Calls",
            duties_done=True,
            status=STATUSES[(n + d) % 3],
            rejection_reason="Not marketing" if STATUSES[(n + d) % 3] == "rejected" else "",
        )
        for n, profile in enumerate(profiles)
        for d, day in enumerate(DAYS)
    )
    DayLedger.objects.bulk_create(
        DayLedger(staff=profile, day=day, dirty=True) for profile in profiles for day in DAYS
    )
    assert PEOPLE * len(DAYS) > 2 * BATCH
    assert PEOPLE * (len(DAYS) - 1) >= 2 * BATCH  # the third batch is the last day only
    return department


def hold_row_lock(department, day, locked: threading.Event, release: threading.Event) -> None:
    try:
        with transaction.atomic():
            DepartmentDaySummary.objects.select_for_update().get(department=department, day=day)
            locked.set()
            release.wait(WAIT_SECONDS)
    finally:
        connection.close()


def test_a_rollup_killed_half_way_is_finished_by_the_next_run(dirty_days, tmp_path):
    total = PEOPLE * len(DAYS)
    last_day = DAYS[-1]
    DepartmentDaySummary.objects.create(department=dirty_days, day=last_day)
    locked, release = threading.Event(), threading.Event()
    holder = threading.Thread(
        target=hold_row_lock, args=(dirty_days, last_day, locked, release), daemon=True
    )
    holder.start()
    try:
        assert locked.wait(30)
        with running_worker(tmp_path) as worker:
            worker.send("tasks.rollup_summaries", [])
            wait_for(
                lambda: DayLedger.objects.filter(dirty=True).count() == total - 2 * BATCH,
                "two batches to commit",
                worker,
            )
            wait_for(lambda: len(other_backends(waiting_for_a_lock=True)) == 1, "the third batch")
            batch_session = other_backends(waiting_for_a_lock=True)
            assert len(batch_session) == 1  # else the wait below would end at once
            worker.process.send_signal(signal.SIGKILL)
            worker.process.wait(timeout=30)
    finally:
        release.set()
        holder.join(30)

    # The killed worker's connection goes away and the database rolls its batch back.
    # (Its own session, not every other one: a session another test left idle on this
    # database once made this wait time out.)
    wait_for(lambda: not other_backends() & batch_session, "the killed worker's session to end")
    assert DayLedger.objects.filter(dirty=True).count() == total - 2 * BATCH
    assert set(DayLedger.objects.filter(dirty=True).values_list("day", flat=True)) == {last_day}
    assert PersonDaySummary.objects.count() == 2 * BATCH
    assert not PersonDaySummary.objects.filter(day=last_day).exists()
    untouched = DepartmentDaySummary.objects.get(department=dirty_days, day=last_day)
    assert (untouched.eligible_people, untouched.submitted_minutes) == (0, 0)

    with running_worker(tmp_path) as worker:
        result = worker.run("tasks.rollup_summaries", [], timeout=WAIT_SECONDS)

    assert result["person_days"] == total - 2 * BATCH
    assert DayLedger.objects.filter(dirty=True).count() == 0
    assert PersonDaySummary.objects.count() == total
    approved = TimeLog.objects.filter(status=TimeLog.Status.APPROVED).aggregate(m=Sum("minutes"))
    assert (
        DepartmentDaySummary.objects.filter(department=dirty_days).aggregate(
            m=Sum("approved_minutes")
        )
        == approved
    )
    after_crash = summary_tables()
    summaries_rebuild(start=DAYS[0], end=DAYS[-1])  # a clean run from the raw logs
    people, departments = summary_tables()
    assert people == after_crash[0]
    touched = {row[:2] for row in after_crash[1]}
    assert [row for row in departments if row[:2] in touched] == after_crash[1]
    assert len(touched) == len(DAYS)
