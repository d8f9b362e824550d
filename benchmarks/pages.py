"""Server time and query counts of the main pages, in-process with Django's test client.

Every page is requested by the user it is for (``force_login``), through the whole
middleware stack, next to the bare one-query view requested by a signed-in user too.
The timed rounds are interleaved (one request of each page per round), so a slow moment
of the machine hits every page alike rather than one of them.

``python -m benchmarks.pages`` measures the database in ``DATABASE_URL`` and prints the
figures as JSON: the run uses it for the query counts at demo size.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from benchmarks import report
from benchmarks.views import BARE_PATH

if TYPE_CHECKING:  # importing models needs Django set up; main() does that first
    from benchmarks.subjects import Subjects

BARE = "bare"


@dataclass(frozen=True)
class Page:
    name: str
    who: str  # an attribute of Subjects
    path: Callable[[Subjects], str]


PAGES = [
    Page("today", "staff", lambda s: reverse("tasks:today")),
    Page("my_month", "staff", lambda s: reverse("tasks:my_month")),
    Page("approval_queue", "supervisor", lambda s: reverse("tasks:approval_queue")),
    Page("supervisor_dashboard", "supervisor", lambda s: reverse("tasks:dashboard_team")),
    Page("management_dashboard", "admin", lambda s: reverse("tasks:dashboard_org")),
    Page(
        "statement",
        "staff",
        lambda s: reverse("rewards:statement_detail", args=[s.statement.pk]),
    ),
    Page("api_logs_list", "staff", lambda s: "/api/v1/logs/"),
]


def _get(client: Client, path: str):
    response = client.get(path)
    if response.status_code != 200:
        raise RuntimeError(f"GET {path} answered {response.status_code}, not 200")
    return response


def measure(subjects: Subjects, *, warmup: int, repeat: int) -> dict:
    """``{"bare": {...}, "pages": {name: {...}}, "sql": {name: [statements]}}``."""
    clients: dict[str, Client] = {}
    for who in {page.who for page in PAGES} | {"staff"}:
        clients[who] = Client()
        clients[who].force_login(getattr(subjects, who))
    targets = [(BARE, clients["staff"], BARE_PATH)] + [
        (page.name, clients[page.who], page.path(subjects)) for page in PAGES
    ]
    for _round in range(warmup):
        for _name, client, path in targets:
            _get(client, path)
    queries: dict[str, list[str]] = {}
    for name, client, path in targets:
        with CaptureQueriesContext(connection) as captured:
            _get(client, path)
        queries[name] = [query["sql"] for query in captured.captured_queries]
    samples: dict[str, list[float]] = {name: [] for name, _client, _path in targets}
    for _round in range(repeat):
        for name, client, path in targets:
            started = time.perf_counter()
            _get(client, path)
            samples[name].append(time.perf_counter() - started)

    bare = {**report.timing_summary(samples[BARE]), "queries": len(queries[BARE])}
    pages = {}
    for name, _client, path in targets[1:]:
        summary = report.timing_summary(samples[name])
        pages[name] = {
            **summary,
            "ratio_to_bare": report.ratio(summary["median_ms"], bare["median_ms"]),
            "queries": len(queries[name]),
            "path": path,
        }
    return {"bare": bare, "pages": pages, "sql": queries}


def main() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")
    django.setup()
    from benchmarks import subjects

    found = measure(
        subjects.find(),
        warmup=int(os.environ.get("BENCH_WARMUP", "2")),
        repeat=int(os.environ.get("BENCH_REPEAT", "5")),
    )
    json.dump(found, sys.stdout)


if __name__ == "__main__":
    main()
