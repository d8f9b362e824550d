"""The background jobs, run through the broker in a real Celery worker process, each next
to a single raw-SQL aggregate over the same rows (its floor).

The worker runs with ``--pool solo``, so the jobs run in the worker's own process and
its ``VmHWM`` (peak resident memory) is the memory the jobs needed. It listens on a
queue of its own plus the default one (follow-up jobs queued by the payout calculation),
on the benchmark's Redis database.
"""

from __future__ import annotations

import datetime
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from benchmarks import report

BASE_DIR = Path(__file__).resolve().parent.parent
START_TIMEOUT_SECONDS = 60
JOB_TIMEOUT_SECONDS = 60 * 30
FLOOR_REPEAT = 3
# The payout takes a fraction of a second: it is timed as often as its floor, median.
PAYOUT_REPEAT = 3

ROLLUP_FLOOR = """
    SELECT staff_id, status, category_id, SUM(minutes), COUNT(*)
    FROM tasks_timelog WHERE day = %s
    GROUP BY staff_id, status, category_id
"""
REBUILD_FLOOR = """
    SELECT staff_id, day, status, category_id, SUM(minutes), COUNT(*)
    FROM tasks_timelog
    GROUP BY staff_id, day, status, category_id
"""
# Approved minutes per person in the month, and the money collected per lead up to its end.
PAYOUT_FLOOR = """
    SELECT 'minutes', staff_id, SUM(minutes)::numeric
    FROM tasks_timelog
    WHERE status = 'approved' AND day BETWEEN %s AND %s
    GROUP BY staff_id
    UNION ALL
    SELECT 'collected', lead_id,
           SUM(CASE WHEN kind = 'refund' THEN -amount ELSE amount END)
    FROM rewards_collection
    WHERE received_on <= %s
    GROUP BY lead_id
"""
# What writing a month's first calculation costs at the least, next to the same read: one
# statement and one explained line per person with approved time, in a period made for the
# purpose and rolled back. Its foreign keys are checked as the rows are written (checked
# at commit, as the calculation's are, they would not run before a rollback).
PAYOUT_WRITES = """
    WITH figures AS (
        SELECT staff_id, SUM(minutes) AS minutes
        FROM tasks_timelog
        WHERE status = 'approved' AND day BETWEEN %(start)s AND %(end)s
        GROUP BY staff_id
    ), written AS (
        INSERT INTO rewards_statement
            (period_id, staff_id, total, status, returned_note, calculated_run,
             calculated_digest, updated_at)
        SELECT %(period)s, staff_id, ROUND(minutes * 20.00 / 60, 2), 'draft', '', 1,
               md5(minutes::text), now()
        FROM figures
        RETURNING id, total
    )
    INSERT INTO rewards_rewardline (statement_id, source, amount, explanation, reason, created_at)
    SELECT id, 'support_time', total, jsonb_build_object('amount', total::text, 'rate', '20.00'),
           '', now()
    FROM written
"""


def floor_seconds(query: str, params: list) -> float:
    """Median time of the aggregate, streamed through a server-side cursor so that a
    result of millions of rows is read in full without being held in memory."""
    samples = []
    for _attempt in range(FLOOR_REPEAT):
        started = time.perf_counter()
        # Inside a transaction the cursor streams; in autocommit it would be WITH HOLD,
        # which materialises the whole result on the server first.
        with transaction.atomic(), connection.chunked_cursor() as cursor:
            cursor.execute(query, params)
            while cursor.fetchmany(10_000):
                pass
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def write_floor_seconds(period) -> float:
    """Median time of the payout's floor and ``PAYOUT_WRITES`` in one transaction, undone."""
    from rewards.models import PayoutPeriod

    samples = []
    for _attempt in range(FLOOR_REPEAT):
        started = time.perf_counter()
        with transaction.atomic():
            with connection.chunked_cursor() as cursor:
                cursor.execute(PAYOUT_FLOOR, [period.start_date, period.end_date, period.end_date])
                while cursor.fetchmany(10_000):
                    pass
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            scratch = PayoutPeriod.objects.create(
                start_date=datetime.date(2999, 1, 1), end_date=datetime.date(2999, 1, 31)
            )
            with connection.cursor() as cursor:
                cursor.execute(
                    PAYOUT_WRITES,
                    {"start": period.start_date, "end": period.end_date, "period": scratch.pk},
                )
            transaction.set_rollback(True)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


@dataclass
class Worker:
    process: subprocess.Popen
    nodename: str
    queue: str

    @classmethod
    def start(cls, *, log_path: Path) -> Worker:
        queue = f"bench-{uuid.uuid4().hex[:8]}"
        nodename = f"{queue}@%h"
        command = [
            str(Path(sys.executable).with_name("celery")),
            "-A",
            "config",
            "worker",
            "--pool",
            "solo",
            "--queues",
            f"{queue},celery",
            "--hostname",
            nodename,
            "--without-gossip",
            "--without-mingle",
            "--loglevel",
            "WARNING",
        ]
        with log_path.open("wb") as log:
            process = subprocess.Popen(  # noqa: S603 - our own virtualenv's celery
                command, cwd=BASE_DIR, env=dict(os.environ), stdout=log, stderr=subprocess.STDOUT
            )
        worker = cls(process=process, nodename=nodename.replace("%h", _hostname()), queue=queue)
        worker.wait_ready(log_path)
        return worker

    def wait_ready(self, log_path: Path) -> None:
        from config.celery import app

        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"The Celery worker exited; see {log_path}")
            if app.control.ping(destination=[self.nodename], timeout=0.5):
                return
        self.stop()
        raise RuntimeError(f"The Celery worker did not start in time; see {log_path}")

    def run(self, name: str, *args) -> tuple[float, object]:
        """Queue job ``name`` and wait for it: (seconds from queueing to result, result)."""
        from config.celery import app

        started = time.perf_counter()
        result = app.send_task(name, args=list(args), queue=self.queue)
        value = result.get(timeout=JOB_TIMEOUT_SECONDS, disable_sync_subtasks=False)
        return time.perf_counter() - started, value

    def peak_mb(self) -> float:
        """The worker's peak resident memory (``VmHWM``) so far, in MB."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
        raise RuntimeError("no VmHWM in /proc status")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # warm shutdown: the current job finishes first
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _hostname() -> str:
    import socket

    return socket.gethostname()


def _rollup_day() -> datetime.date:
    """The latest day before today with logs: yesterday's run on a working day."""
    from tasks.models import TimeLog

    row = (
        TimeLog.objects.filter(day__lt=timezone.localdate())
        .values("day")
        .annotate(logs=Count("pk"))
        .order_by("-day")
        .first()
    )
    if row is None:
        raise SystemExit("No logs before today: is the database seeded?")
    return row["day"]


def measure(*, period, log_path: Path, log=print) -> dict:
    """``{"jobs": {name: {...}}, "worker_peak_mb": MB}``. A job that fails is reported
    with its error (and fails its targets); the run goes on with the next one."""
    from tasks.models import DayLedger

    jobs: dict[str, dict] = {}
    worker = Worker.start(log_path=log_path)

    def timed(name: str, floor: float, job: str, *args, repeat: int = 1) -> None:
        samples = []
        try:
            for _attempt in range(repeat):
                seconds, result = worker.run(job, *args)
                samples.append(seconds)
        except Exception as error:  # reported, and the next job runs
            message = f"{error.__class__.__name__}: {error}"
            log(f"    {name} failed: {message}")
            jobs[name] = {**_job(None, floor, None), "error": message}
        else:
            jobs[name] = _job(statistics.median(samples), floor, result)
            if repeat > 1:
                jobs[name]["samples"] = [round(sample, 3) for sample in samples]

    try:
        # Roll up whatever earlier work left dirty, so the timed run does one day only.
        timed("settle", 0.0, "tasks.rollup_summaries", [])
        jobs.pop("settle")
        day = _rollup_day()
        rollup_floor = floor_seconds(ROLLUP_FLOOR, [day])
        person_days = DayLedger.objects.filter(day=day).update(dirty=True)
        log(f"  rollup of {day} ({person_days:,} person-days marked dirty) ...")
        timed("rollup_one_day", rollup_floor, "tasks.rollup_summaries", [])
        # The nightly schedule's form: nothing dirty, the day recomputed in full.
        log(f"  rollup of {day} in full (the nightly job) ...")
        timed("rollup_day_in_full", rollup_floor, "tasks.rollup_summaries", [day.isoformat()])

        log("  full summary rebuild ...")
        timed("rebuild_all", floor_seconds(REBUILD_FLOOR, []), "tasks.rebuild_summaries")

        # A calculated period may be calculated again (late approvals, a corrected
        # collection): the run reads every figure and writes the statements whose lines
        # come out different (see rewards.services.payouts.payout_period_calculate).
        period.refresh_from_db()
        log(f"  payout calculation of {period.start_date:%Y-%m} ...")
        floor = floor_seconds(PAYOUT_FLOOR, [period.start_date, period.end_date, period.end_date])
        calculation = ("rewards.calculate_payout_period", period.pk, period.calculation_run)
        timed("payout_month", floor, *calculation, repeat=PAYOUT_REPEAT)
        # The first calculation of a month, or one after a rule changed, writes every
        # statement: forgetting the digests of the lines makes each come out different.
        log("  payout calculation writing every statement ...")
        forgotten = _forget_digests(period)
        try:
            timed("payout_month_all_written", floor, *calculation)
        finally:
            _restore_digests(period, forgotten)
        # Not a target of the issue: the floor it would have with its writes counted.
        writes = write_floor_seconds(period)
        jobs["payout_month_all_written"]["write_floor_seconds"] = round(writes, 3)
        jobs["payout_month_all_written"]["ratio_to_write_floor"] = report.ratio(
            jobs["payout_month_all_written"]["seconds"], writes
        )
        peak = worker.peak_mb()
    finally:
        worker.stop()
    return {"jobs": jobs, "worker_peak_mb": peak}


def _forget_digests(period) -> dict[str, list[int]]:
    """Clear the digests of the statements a calculation writes (not the signed-off
    ones, which it leaves alone); returns what they were, as ``{digest: [pk, ...]}``."""
    from rewards.models import Statement

    writable = Statement.objects.filter(period=period).exclude(status__in=Statement.SIGNED_OFF)
    forgotten: dict[str, list[int]] = defaultdict(list)
    for pk, digest in writable.values_list("pk", "calculated_digest"):
        forgotten[digest].append(pk)
    writable.update(calculated_digest="")
    return forgotten


def _restore_digests(period, forgotten: dict[str, list[int]]) -> None:
    """Give back the digests a failed or interrupted calculation did not write again, so
    the next run's recalculation is not silently one that writes everything."""
    from rewards.models import Statement

    if not Statement.objects.filter(period=period, calculated_digest="").exists():
        return
    for digest, pks in forgotten.items():
        Statement.objects.filter(pk__in=pks, calculated_digest="").update(calculated_digest=digest)


def _job(seconds: float | None, floor: float, result: object) -> dict:
    return {
        "seconds": None if seconds is None else round(seconds, 3),
        "floor_seconds": round(floor, 3),
        "ratio": report.ratio(seconds, floor),
        "result": result,
    }
