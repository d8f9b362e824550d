"""Requests per second under gunicorn, with concurrent clients on loopback.

gunicorn serves the bench settings (the product plus the bare view) with sync workers;
client threads send requests for a fixed time and count the 2xx answers. Today and the
bare view are read by signed-in people (session cookies); ``POST /api/v1/logs/`` writes
one minute at a time with token auth, cycling over many people and days that still
have budget, so that every write can succeed. The written logs are deleted afterwards
through the product's own service, which leaves the budgets as they were.
"""

from __future__ import annotations

import datetime
import http.client
import itertools
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.test import Client
from django.utils import timezone

from benchmarks import report
from benchmarks.views import BARE_PATH

BASE_DIR = Path(__file__).resolve().parent.parent
START_TIMEOUT_SECONDS = 60
WARMUP_SECONDS = 2.0
WRITERS = 500  # people the write test cycles over
SESSIONS = 20  # people the read tests cycle over


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None = None


@dataclass
class Outcome:
    ok: int = 0
    statuses: Counter = field(default_factory=Counter)
    samples: list[str] = field(default_factory=list)  # a few error answers, for diagnosis
    created: list[int] = field(default_factory=list)  # ids of logs written
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def errors(self) -> int:
        return sum(self.statuses.values()) - self.ok


class Gunicorn:
    def __init__(self, *, workers: int, log_path: Path):
        self.port = _free_port()
        command = [
            str(Path(sys.executable).with_name("gunicorn")),
            "config.wsgi:application",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--log-level",
            "warning",
            "--error-logfile",
            str(log_path),
        ]
        self.process = subprocess.Popen(  # noqa: S603 - our own virtualenv's gunicorn
            command, cwd=BASE_DIR, env=dict(os.environ), stdout=subprocess.DEVNULL
        )
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {log_path}")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                connection.request("GET", "/healthz")
                connection.getresponse().read()
                connection.close()
                return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn did not start in time; see {log_path}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def load(
    port: int, requests: Iterator[Request], *, seconds: float, threads: int
) -> tuple[Outcome, float]:
    """Send requests from ``threads`` threads for ``seconds``; (outcome, elapsed)."""
    outcome = Outcome()
    take = threading.Lock()
    deadline = time.monotonic() + seconds

    def client() -> None:
        while time.monotonic() < deadline:
            with take:
                request = next(requests, None)
            if request is None:
                return
            status, body = _send(port, request)
            with outcome.lock:
                outcome.statuses[status] += 1
                if 200 <= status < 300:
                    outcome.ok += 1
                    if request.method == "POST":
                        outcome.created.append(json.loads(body)["id"])
                elif len(outcome.samples) < 5:
                    outcome.samples.append(f"{status}: {body[:300]!r}")

    started = time.monotonic()
    workers = [threading.Thread(target=client) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return outcome, time.monotonic() - started


def _send(port: int, request: Request) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(request.method, request.path, body=request.body, headers=request.headers)
        response = connection.getresponse()
        return response.status, response.read()
    except OSError as error:
        return 0, str(error).encode()  # status 0: no answer
    finally:
        connection.close()


# --------------------------------------------------------------------------- who sends what


def _session_cookies(users) -> list[str]:
    cookies = []
    for user in users:
        client = Client()
        client.force_login(user)
        cookies.append(
            f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
        )
    return cookies


def _reads(path: str, cookies: list[str]) -> Iterator[Request]:
    return (Request("GET", path, {"Cookie": cookie}) for cookie in itertools.cycle(cookies))


def _writable_days(today: datetime.date) -> list[datetime.date]:
    """Days a person may still log: inside the edit window and in no closed period."""
    from rewards.selectors import period_closed_for_logging
    from tasks.services import earliest_editable_day

    day, days = earliest_editable_day(today), []
    while day <= today:
        if period_closed_for_logging(day=day) is None:
            days.append(day)
        day += datetime.timedelta(days=1)
    return days


def _writes() -> Iterator[Request]:
    """One-minute logs for people and days with budget left, round-robin over people so
    that concurrent writes rarely wait for the same person-day lock."""
    from rest_framework.authtoken.models import Token

    from departments.models import Department, StaffProfile
    from tasks.models import DayLedger
    from tasks.selectors import active_categories, budgets_for_people_and_days

    today = timezone.localdate()
    days = _writable_days(today)
    people = list(
        StaffProfile.objects.filter(
            is_active=True,
            user__is_active=True,
            department__kind=Department.Kind.NON_MARKETING,
        )
        .select_related("user")
        .order_by("pk")[:WRITERS]
    )
    budgets = budgets_for_people_and_days(people=people, days=days)
    used = {
        (staff_id, day): minutes
        for staff_id, day, minutes in DayLedger.objects.filter(
            staff__in=people, day__in=days
        ).values_list("staff_id", "day", "logged_minutes")
    }
    category = active_categories().filter(reward_class="support").first()
    tokens = {person.pk: Token.objects.get_or_create(user=person.user)[0].key for person in people}
    free = {
        key: budget - used.get(key, 0)
        for key, budget in budgets.items()
        if budget > used.get(key, 0)
    }
    return _one_minute_logs(free, tokens, category.pk)


def _one_minute_logs(
    free: dict[tuple[int, datetime.date], int], tokens: dict[int, str], category_id: int
) -> Iterator[Request]:
    while free:
        for (staff_id, day), left in list(free.items()):
            body = {
                "date": day.isoformat(),
                "minutes": 1,
                "category": category_id,
                "description": "make bench",
                "duties_done": True,
            }
            yield Request(
                "POST",
                "/api/v1/logs/",
                {"Authorization": f"Token {tokens[staff_id]}", "Content-Type": "application/json"},
                json.dumps(body).encode(),
            )
            if left == 1:
                del free[(staff_id, day)]
            else:
                free[(staff_id, day)] = left - 1


def _delete_logs(ids: list[int]) -> None:
    from tasks.models import TimeLog
    from tasks.services import time_log_delete

    for log in TimeLog.objects.filter(pk__in=ids).select_related("staff__user"):
        time_log_delete(actor=log.staff.user, log=log)


# --------------------------------------------------------------------------- the run


def measure(
    subjects, *, workers: int, threads: int, seconds: float, log_path: Path, log=print
) -> dict:
    """``{name: {"rps", "ratio_to_bare", "ok", "errors", ...}}`` for bare, Today, POST."""
    from departments.models import StaffProfile

    team = [
        profile.user
        for profile in StaffProfile.objects.filter(
            line_supervisor=subjects.supervisor, is_active=True
        ).select_related("user")[:SESSIONS]
    ] or [subjects.staff]
    cookies = _session_cookies(team)
    targets: list[tuple[str, Callable[[], Iterator[Request]]]] = [
        ("bare", lambda: _reads(BARE_PATH, cookies)),
        ("today", lambda: _reads("/today/", cookies)),
        ("api_logs_post", _writes),
    ]
    results: dict[str, dict] = {}
    server = Gunicorn(workers=workers, log_path=log_path)
    created: list[int] = []
    try:
        for name, requests in targets:
            log(f"  {name}: {threads} clients for {seconds:g} s ...")
            source = requests()
            warm, _elapsed = load(server.port, source, seconds=WARMUP_SECONDS, threads=threads)
            outcome, elapsed = load(server.port, source, seconds=seconds, threads=threads)
            created += warm.created + outcome.created
            results[name] = {
                "rps": round(outcome.ok / elapsed, 1),
                "ok": outcome.ok,
                "errors": outcome.errors,
                "statuses": {str(status): count for status, count in outcome.statuses.items()},
                "error_samples": outcome.samples,
            }
    finally:
        server.stop()
        if created:
            log(f"  deleting the {len(created):,} logs written ...")
            _delete_logs(created)
    for entry in results.values():
        entry["ratio_to_bare"] = report.ratio(entry["rps"], results["bare"]["rps"])
    return results
