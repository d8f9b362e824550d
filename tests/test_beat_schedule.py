"""The periodic jobs really run on their schedules: a Celery worker with embedded beat
(django-celery-beat's database scheduler) on the test database, through Redis.

The "Daily summary rollup" schedule is changed, as an admin would in the admin, to run
every two seconds; the test then only writes logs and waits for the summary rows to
appear with the right figures. A second test runs the rollup job twice at once on a
worker with two processes and gets the figures of a single clean run.
"""

from __future__ import annotations

import contextlib
import datetime
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from config.celery import app
from departments.models import Department
from tasks.models import (
    AssistCategory,
    DayLedger,
    DepartmentDaySummary,
    PersonDaySummary,
    TimeLog,
)
from tasks.summaries import summaries_rebuild
from tests.celery_worker import (
    BASE_DIR,
    LiveWorker,
    _stop,
    _wait_until_ready,
    _worker_environment,
)
from tests.factories import DepartmentFactory, StaffProfileFactory, UserFactory
from tests.summary_tables import summary_tables

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    # The worker reads what the test commits; the flush afterwards restores the rows the
    # migrations made (categories, schedules) for the tests that follow.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ROLLUP = "Daily summary rollup"
WAIT_SECONDS = 60


@contextlib.contextmanager
def worker_process(log_dir: Path, *, beat: bool = False, processes: int = 1):
    """``celery -A config worker`` on a queue of its own, with embedded beat (``-B``)
    or a pool of several processes; stopped on the way out."""
    if not settings.REDIS_URL:
        raise RuntimeError("a live worker needs Redis (set REDIS_URL)")
    suffix = uuid.uuid4().hex[:12]
    nodename = f"allhands-beat-{suffix}@localhost"
    queue = f"allhands-beat-{suffix}"
    log_path = log_dir / f"celery-worker-{suffix}.log"
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        "--hostname",
        nodename,
        "--queues",
        queue,
        "--loglevel",
        "INFO",
        "--without-gossip",
        "--without-mingle",
    ]
    if processes > 1:
        command += ["--pool", "prefork", "--concurrency", str(processes)]
    else:
        command += ["--pool", "solo", "--concurrency", "1"]
    if beat:
        command += [
            "-B",
            "--scheduler",
            "django_celery_beat.schedulers:DatabaseScheduler",
            "--schedule",
            str(log_dir / f"beat-{suffix}"),
        ]
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    with log_path.open("w") as log_file:
        process = subprocess.Popen(  # noqa: S603 - a fixed command line with our own interpreter
            command,
            cwd=BASE_DIR,
            env=_worker_environment(),
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    worker = LiveWorker(process=process, nodename=nodename, queue=queue, log_path=log_path)
    try:
        _wait_until_ready(worker)
        yield worker
    finally:
        _stop(process)
        app.conf.task_always_eager = eager


def _category() -> AssistCategory:
    return AssistCategory.objects.get_or_create(
        code="phone-marketing", defaults={"name": "Phone marketing"}
    )[0]


def _log(profile, day, minutes, status=TimeLog.Status.APPROVED) -> TimeLog:
    log = TimeLog.objects.create(
        staff=profile,
        day=day,
        minutes=minutes,
        category=_category(),
        description="Calls",
        duties_done=True,
        status=status,
        rejection_reason="Not marketing" if status == TimeLog.Status.REJECTED else "",
    )
    DayLedger.objects.update_or_create(staff=profile, day=day, defaults={"dirty": True})
    return log


def _every_two_seconds(queue: str) -> PeriodicTask:
    """What an admin does in the admin: the rollup every two seconds (on the test
    worker's queue); every other schedule off, so that nothing else runs."""
    interval, _ = IntervalSchedule.objects.get_or_create(every=2, period=IntervalSchedule.SECONDS)
    task, _ = PeriodicTask.objects.get_or_create(
        name=ROLLUP, defaults={"task": "tasks.rollup_summaries", "interval": interval}
    )
    PeriodicTask.objects.exclude(pk=task.pk).update(enabled=False)
    task.crontab = None
    task.interval = interval
    task.queue = queue
    task.enabled = True
    task.last_run_at = None
    task.total_run_count = 0
    task.save()
    return task


def _wait_for(condition, worker: LiveWorker, what: str):
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        if worker.process.poll() is not None:
            pytest.fail(f"the worker exited while waiting for {what}:\n{worker.log()}")
        time.sleep(0.5)
    pytest.fail(f"no {what} within {WAIT_SECONDS} s:\n{worker.log()}")


def test_beat_runs_the_rollup_on_its_schedule(tmp_path):
    today = timezone.localdate()
    yesterday = today - datetime.timedelta(days=1)
    department = DepartmentFactory(name="Engineering", code="ENG")
    staff = StaffProfileFactory(user=UserFactory(username="staff"), department=department)
    colleague = StaffProfileFactory(user=UserFactory(username="colleague"), department=department)
    _log(staff, today, 60)
    _log(staff, today, 30, TimeLog.Status.SUBMITTED)
    _log(staff, today, 20, TimeLog.Status.REJECTED)
    _log(staff, yesterday, 45)
    _log(colleague, yesterday, 15, TimeLog.Status.SUBMITTED)
    assert not PersonDaySummary.objects.exists()

    with worker_process(tmp_path, beat=True) as worker:
        schedule = _every_two_seconds(worker.queue)
        summary = _wait_for(
            lambda: PersonDaySummary.objects.filter(staff=staff, day=today).first(),
            worker,
            "summary of today",
        )
        assert "Sending due task Daily summary rollup (tasks.rollup_summaries)" in worker.log()

        # A log written while the worker runs is rolled up by a later scheduled run.
        _log(colleague, today, 25)
        late = _wait_for(
            lambda: PersonDaySummary.objects.filter(staff=colleague, day=today).first(),
            worker,
            "summary of the later log",
        )

    assert (summary.approved_minutes, summary.submitted_minutes, summary.rejected_minutes) == (
        60,
        30,
        20,
    )
    assert summary.entries == 3
    assert summary.minutes_by_category == {str(_category().pk): 90}
    assert summary.department_id == department.pk
    assert late.approved_minutes == 25
    previous = PersonDaySummary.objects.get(staff=staff, day=yesterday)
    assert previous.approved_minutes == 45
    department_today = DepartmentDaySummary.objects.get(department=department, day=today)
    assert (department_today.approved_minutes, department_today.submitted_minutes) == (85, 30)
    assert department_today.people_logged == 2
    assert DepartmentDaySummary.objects.get(department=department, day=yesterday).people_logged == 2
    assert not DayLedger.objects.filter(dirty=True).exists()
    schedule.refresh_from_db()
    assert schedule.interval.every == 2


def test_two_rollups_at_once_on_the_worker_give_the_figures_of_one(tmp_path):
    today = timezone.localdate()
    days = [today - datetime.timedelta(days=n) for n in range(30)]
    departments = [Department.objects.create(name=f"Team {n}", code=f"T{n}") for n in range(2)]
    people = [
        StaffProfileFactory(user=UserFactory(username=f"p{n}"), department=departments[n % 2])
        for n in range(40)
    ]
    category = _category()
    logs, ledgers = [], []
    for index, person in enumerate(people):
        for offset, day in enumerate(days):
            status = (
                TimeLog.Status.APPROVED,
                TimeLog.Status.SUBMITTED,
                TimeLog.Status.REJECTED,
            )[(index + offset) % 3]
            logs.append(
                TimeLog(
                    staff=person,
                    day=day,
                    minutes=10 + (index * offset) % 50,
                    category=category,
                    description="x",
                    duties_done=True,
                    status=status,
                    rejection_reason="No" if status == TimeLog.Status.REJECTED else "",
                )
            )
            ledgers.append(DayLedger(staff=person, day=day, dirty=True))
    TimeLog.objects.bulk_create(logs)
    DayLedger.objects.bulk_create(ledgers)  # 1,200 dirty days: three batches to claim

    with worker_process(tmp_path, processes=2) as worker:
        first = worker.send("tasks.rollup_summaries")
        second = worker.send("tasks.rollup_summaries")
        results = [
            first.get(timeout=WAIT_SECONDS, disable_sync_subtasks=False),
            second.get(timeout=WAIT_SECONDS, disable_sync_subtasks=False),
        ]

    # Each dirty day was claimed by exactly one run; yesterday was recomputed by both.
    assert sum(r["person_days"] for r in results) == len(ledgers) + 2 * len(people)
    assert not DayLedger.objects.filter(dirty=True).exists()
    concurrent = summary_tables()
    assert len(concurrent[0]) == len(ledgers)

    PersonDaySummary.objects.all().delete()
    DepartmentDaySummary.objects.all().delete()
    summaries_rebuild(start=days[-1], end=days[0])
    once_people, once_departments = summary_tables()
    assert concurrent[0] == once_people
    # The rebuild also writes the department-days of the rest of each month; compare
    # the days the rollups wrote.
    written = {(row[0], row[1]) for row in concurrent[1]}
    assert {day for _department, day in written} == set(days)
    expected = [row for row in once_departments if (row[0], row[1]) in written]
    # Runs sharing a department-day serialise on it, so each sums every person row.
    assert concurrent[1] == expected
