"""A real Celery worker for tests, as a separate process on the test database.

Import the fixture into a test module and mark the tests that use it::

    from tests.celery_worker import live_celery_worker  # noqa: F401

    @pytest.mark.redis
    @pytest.mark.postgres
    @pytest.mark.django_db(transaction=True)
    def test_it(live_celery_worker):
        result = live_celery_worker.send("departments.count_active_people")
        assert result.get(timeout=30, disable_sync_subtasks=False) == 0

The worker reads the test database, so the test must commit what it writes
(``transaction=True``).  It listens on a queue of its own, so a stray worker on the same
broker can never take the test's jobs, and jobs are really sent through the broker:
eager execution is switched off while the worker runs.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from celery.result import AsyncResult
from django.conf import settings
from django.db import connection

from config.celery import app

BASE_DIR = Path(__file__).resolve().parent.parent
START_TIMEOUT_SECONDS = 60
STOP_TIMEOUT_SECONDS = 30


@dataclasses.dataclass
class LiveWorker:
    process: subprocess.Popen
    nodename: str
    queue: str
    log_path: Path

    def send(self, name: str, *args, **kwargs) -> AsyncResult:
        """Queue the job ``name`` for this worker through the broker."""
        return app.send_task(name, args=args, kwargs=kwargs, queue=self.queue)

    def run(self, name: str, *args, timeout: float = 30, **kwargs):
        """Queue the job and wait for its result (re-raising the job's error)."""
        return self.send(name, *args, **kwargs).get(timeout=timeout, disable_sync_subtasks=False)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def log_contains(self, text: str, timeout: float = 10) -> bool:
        """Whether ``text`` shows up in the log within ``timeout`` seconds: the worker
        stores a job's result before it logs the job's success, so a result can be
        back before the line is written."""
        deadline = time.monotonic() + timeout
        while text not in self.log():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True


def test_database_url() -> str:
    """A DATABASE_URL for the database this test run uses (the ``test_…`` one)."""
    config = connection.settings_dict
    if connection.vendor != "postgresql":
        raise RuntimeError("a live worker needs the PostgreSQL test database")
    credentials = quote(config["USER"] or "", safe="")
    if config["PASSWORD"]:
        credentials += ":" + quote(config["PASSWORD"], safe="")
    host = config["HOST"] or "localhost"
    port = config["PORT"] or "5432"
    return f"postgres://{credentials}@{host}:{port}/{quote(config['NAME'], safe='')}"


test_database_url.__test__ = False  # a helper, not a test


def _worker_environment() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=test_database_url(),
        REDIS_URL=settings.REDIS_URL,
        CELERY_BROKER_URL=app.conf.broker_url,
        CELERY_RESULT_BACKEND=app.conf.result_backend,
        CELERY_TASK_ALWAYS_EAGER="false",
        PYTHONUNBUFFERED="1",
    )
    return env


def _wait_until_ready(worker: LiveWorker) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while True:
        if worker.process.poll() is not None:
            pytest.fail(
                f"the Celery worker exited with {worker.process.returncode}:\n{worker.log()}"
            )
        if app.control.ping(destination=[worker.nodename], timeout=1.0):
            return
        if time.monotonic() > deadline:
            pytest.fail(
                f"the Celery worker did not answer a ping within {START_TIMEOUT_SECONDS} s:\n"
                f"{worker.log()}"
            )


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.terminate()  # warm shutdown: the current job finishes
    try:
        process.wait(timeout=STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_TIMEOUT_SECONDS)


@contextlib.contextmanager
def running_worker(log_dir: Path):
    """Start ``celery -A config worker --pool solo`` and stop it on the way out."""
    if not settings.REDIS_URL:
        raise RuntimeError("a live worker needs Redis (set REDIS_URL)")
    suffix = uuid.uuid4().hex[:12]
    nodename = f"allhands-test-{suffix}@localhost"
    queue = f"allhands-test-{suffix}"
    log_path = log_dir / f"celery-worker-{suffix}.log"
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        "--pool",
        "solo",
        "--concurrency",
        "1",
        "--hostname",
        nodename,
        "--queues",
        queue,
        "--loglevel",
        "INFO",
        "--without-gossip",
        "--without-mingle",
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


@pytest.fixture
def live_celery_worker(transactional_db, tmp_path):
    """A worker process on the test database, stopped before the database is flushed."""
    with running_worker(tmp_path) as worker:
        yield worker
