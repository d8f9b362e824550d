"""``make bench``: one run, one table, the same figures as JSON; the last line printed is
the JSON file's path.

1. Prepare the databases: the full-scale one (``BENCH_DATABASE_URL``, seeded once with
   ``seed_scale --people 10000 --days 365 --seed 42``) and a demo-size one
   (``BENCH_SMALL_DATABASE_URL``, 60 people and 30 days) for the query counts.
2. Pages in-process, next to the bare view; query counts at both sizes.
3. Throughput under gunicorn for the bare view, Today and ``POST /api/v1/logs/``.
4. The rollup, rebuild and payout jobs in a Celery worker, next to their SQL floors.

Settings come from the environment; see the README's "Benchmarks" section.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
OUTPUT_DIR = BASE_DIR / "bench-results"
SERVER = "postgres://postgres@127.0.0.1:5432"
FULL_PEOPLE, FULL_DAYS = 10_000, 365
SMALL_PEOPLE, SMALL_DAYS = 60, 30


def _env(name: str, default: str) -> str:
    return os.environ.get(name) or default


def _config() -> dict:
    people = int(_env("BENCH_PEOPLE", str(FULL_PEOPLE)))
    days = int(_env("BENCH_DAYS", str(FULL_DAYS)))
    # A smaller quick run gets a database of its own, never a half-size default one.
    name = "allhands_bench"
    if (people, days) != (FULL_PEOPLE, FULL_DAYS):
        name += f"_{people}p_{days}d"
    return {
        "database_url": _env("BENCH_DATABASE_URL", f"{SERVER}/{name}"),
        "small_database_url": _env("BENCH_SMALL_DATABASE_URL", f"{SERVER}/allhands_bench_small"),
        "redis_url": _env("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13"),
        "people": people,
        "days": days,
        "seed": int(_env("BENCH_SEED", "42")),
        "reseed": _env("BENCH_RESEED", "") not in ("", "0"),
        "warmup": int(_env("BENCH_WARMUP", "5")),
        "repeat": int(_env("BENCH_REPEAT", "30")),
        "http_seconds": float(_env("BENCH_HTTP_SECONDS", "10")),
        "http_threads": int(_env("BENCH_HTTP_THREADS", "8")),
        "http_workers": int(_env("BENCH_HTTP_WORKERS", "2")),
    }


def log(message: str) -> None:
    print(message, flush=True)


def _use(database_url: str, redis_url: str) -> None:
    """Point this process and every child (gunicorn, the worker) at the bench services."""
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "benchmarks.settings",
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "CELERY_BROKER_URL": redis_url,
            "CELERY_RESULT_BACKEND": redis_url,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "LOG_LEVEL": "WARNING",
        }
    )


def _small_query_counts(config: dict) -> dict:
    """Query counts per page on the demo-size database, measured in a child process."""
    env = {
        **os.environ,
        "DATABASE_URL": config["small_database_url"],
        "BENCH_WARMUP": "2",
        "BENCH_REPEAT": "3",
    }
    finished = subprocess.run(
        [sys.executable, "-m", "benchmarks.pages"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
    )
    if finished.returncode:
        raise SystemExit(f"The pages of the demo-size database failed:\n{finished.stderr}")
    figures = json.loads(finished.stdout.strip().splitlines()[-1])
    counts = {name: page["queries"] for name, page in figures["pages"].items()}
    counts["bare"] = figures["bare"]["queries"]
    return {"counts": counts, "sql": figures["sql"]}


def _machine() -> dict:
    from django.db import connection

    memory_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal:")
    )
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
    return {
        "cores": os.cpu_count(),
        "memory_gb": round(memory_kb / 1024 / 1024, 1),
        "cpu": cpu,
        "postgresql": postgres,
        "python": platform.python_version(),
        # The machine may be shared: a busy one shows here rather than as slow code.
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


def _code_version() -> dict:
    """The commit measured, and whether the worktree held uncommitted changes (the
    benchmark runs the files as they are)."""

    def git(*arguments: str) -> str:
        return subprocess.run(  # noqa: S603 - fixed git commands
            ["git", *arguments],  # noqa: S607 - git from PATH, as a developer runs it
            cwd=BASE_DIR,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()

    changed = [line for line in git("status", "--porcelain").splitlines() if line[:2] != "??"]
    return {"commit": git("rev-parse", "--short", "HEAD"), "uncommitted_files": len(changed)}


def _data_size() -> dict:
    from departments.models import StaffProfile
    from tasks.models import TimeLog

    with_bounds = TimeLog.objects.order_by("day").values_list("day", flat=True)
    return {
        "people": StaffProfile.objects.count(),
        "time_logs": TimeLog.objects.count(),
        "first_day": str(with_bounds.first()),
        "last_day": str(with_bounds.last()),
    }


def main() -> None:
    from benchmarks import database, report

    config = _config()
    started = time.monotonic()
    OUTPUT_DIR.mkdir(exist_ok=True)
    stamp = datetime.datetime.now(tz=datetime.UTC).strftime("%Y%m%d-%H%M%S")

    log("== databases")
    database.prepare(
        config["database_url"],
        people=config["people"],
        days=config["days"],
        seed=config["seed"],
        reseed=config["reseed"],
        log=log,
    )
    database.prepare(
        config["small_database_url"],
        people=SMALL_PEOPLE,
        days=SMALL_DAYS,
        seed=config["seed"],
        reseed=config["reseed"],
        log=log,
    )
    _use(config["database_url"], config["redis_url"])

    import django

    django.setup()
    from benchmarks import jobs, pages, subjects, throughput

    found = subjects.find()
    log(
        f"Subjects: staff {found.staff.username}, supervisor {found.supervisor.username} "
        f"({found.supervisor_reports} reports), admin {found.admin.username}, "
        f"statement {found.statement.pk} of {found.period.start_date:%Y-%m}."
    )

    log(f"== pages ({config['warmup']} warm-up rounds, {config['repeat']} timed)")
    page_figures = pages.measure(found, warmup=config["warmup"], repeat=config["repeat"])
    log("== query counts at demo size")
    small = _small_query_counts(config)
    for name, page in page_figures["pages"].items():
        page["queries_small"] = small["counts"].get(name)
    page_figures["bare"]["queries_small"] = small["counts"].get("bare")

    log("== http")
    http = throughput.measure(
        found,
        workers=config["http_workers"],
        threads=config["http_threads"],
        seconds=config["http_seconds"],
        log_path=OUTPUT_DIR / f"gunicorn-{stamp}.log",
        log=log,
    )

    log("== jobs")
    job_figures = jobs.measure(
        period=found.period, log_path=OUTPUT_DIR / f"worker-{stamp}.log", log=log
    )

    results = {
        "pages": page_figures["pages"],
        "bare": page_figures["bare"],
        "http": http,
        "jobs": job_figures["jobs"],
        "worker_peak_mb": job_figures["worker_peak_mb"],
        "machine": _machine(),
        "data": _data_size(),
        "code": _code_version(),
        "query_count_differences": {
            name: {"full": full, "demo": demo}
            for name, (full, demo) in report.query_count_differences(
                {name: page["queries"] for name, page in page_figures["pages"].items()},
                {name: page["queries_small"] for name, page in page_figures["pages"].items()},
            ).items()
        },
        "checks": [
            {"subject": check.subject, "target": check.target, "passed": check.passed}
            for check in report.checks(
                {
                    "pages": page_figures["pages"],
                    "jobs": job_figures["jobs"],
                    "worker_peak_mb": job_figures["worker_peak_mb"],
                }
            )
        ],
        "sql": {"full": page_figures["sql"], "demo": small["sql"]},
        "config": {key: value for key, value in config.items() if not key.endswith("url")},
        "seconds": round(time.monotonic() - started, 1),
    }
    path = OUTPUT_DIR / f"bench-{stamp}.json"
    path.write_text(json.dumps(results, indent=2, default=str))
    log("")
    log(report.render(results))
    log(str(path))


if __name__ == "__main__":
    main()
