"""Pure helpers of the benchmark: statistics, the issue's targets, the printed table.

Nothing here touches Django, the database or the clock, so it is tested on its own
(``tests/benchmarks/test_report.py``).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

# The targets of issue 8 (2-core machine, PostgreSQL).
PAGE_RATIO_MAX = 3.0
PAGE_QUERIES_MAX = 10
PAYOUT_SECONDS_MAX = 60.0
PAYOUT_RATIO_MAX = 3.0
ROLLUP_SECONDS_MAX = 2.0
REBUILD_RATIO_MAX = 3.0
WORKER_PEAK_MB_MAX = 500.0


def percentile(values: Sequence[float], fraction: float) -> float:
    """The ``fraction`` percentile (0–1) by linear interpolation between closest ranks."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def timing_summary(seconds: Sequence[float]) -> dict[str, float]:
    """Median and p95 of durations in seconds, as milliseconds."""
    return {
        "median_ms": round(statistics.median(seconds) * 1000, 2),
        "p95_ms": round(percentile(seconds, 0.95) * 1000, 2),
    }


def ratio(value: float | None, floor: float | None) -> float | None:
    """``value / floor`` to two decimals; None when either is missing or the floor is 0."""
    if value is None or not floor:
        return None
    return round(value / floor, 2)


@dataclass(frozen=True)
class Check:
    subject: str
    target: str
    passed: bool

    @property
    def mark(self) -> str:
        return "PASS" if self.passed else "FAIL"


def _at_most(value: float | None, limit: float) -> bool:
    return value is not None and value <= limit


def _below(value: float | None, limit: float) -> bool:
    return value is not None and value < limit


def checks(results: Mapping) -> list[Check]:
    """Every target of the issue, checked against ``results`` (the JSON's shape)."""
    found: list[Check] = []
    for name, page in results.get("pages", {}).items():
        found.append(
            Check(
                f"page {name}",
                f"median <= {PAGE_RATIO_MAX:g}x bare",
                _at_most(page.get("ratio_to_bare"), PAGE_RATIO_MAX),
            )
        )
        found.append(
            Check(
                f"page {name}",
                f"<= {PAGE_QUERIES_MAX} queries",
                _at_most(page.get("queries"), PAGE_QUERIES_MAX),
            )
        )
        if "queries_small" in page:
            found.append(
                Check(
                    f"page {name}",
                    "same queries at demo size",
                    page["queries_small"] == page.get("queries"),
                )
            )
    for name, job in results.get("jobs", {}).items():
        if "payout" in name:
            found.append(
                Check(
                    f"job {name}",
                    f"< {PAYOUT_SECONDS_MAX:g} s",
                    _below(job.get("seconds"), PAYOUT_SECONDS_MAX),
                )
            )
            found.append(
                Check(
                    f"job {name}",
                    f"<= {PAYOUT_RATIO_MAX:g}x floor",
                    _at_most(job.get("ratio"), PAYOUT_RATIO_MAX),
                )
            )
        elif "rollup" in name:
            found.append(
                Check(
                    f"job {name}",
                    f"< {ROLLUP_SECONDS_MAX:g} s",
                    _below(job.get("seconds"), ROLLUP_SECONDS_MAX),
                )
            )
        elif "rebuild" in name:
            found.append(
                Check(
                    f"job {name}",
                    f"<= {REBUILD_RATIO_MAX:g}x floor",
                    _at_most(job.get("ratio"), REBUILD_RATIO_MAX),
                )
            )
    if "worker_peak_mb" in results:
        found.append(
            Check(
                "worker peak memory",
                f"< {WORKER_PEAK_MB_MAX:g} MB",
                _below(results["worker_peak_mb"], WORKER_PEAK_MB_MAX),
            )
        )
    return found


def query_count_differences(
    full: Mapping[str, int | None], small: Mapping[str, int | None]
) -> dict[str, tuple[int | None, int | None]]:
    """Pages whose query count differs between full scale and demo size."""
    return {
        name: (full.get(name), small.get(name))
        for name in sorted(set(full) | set(small))
        if full.get(name) != small.get(name)
    }


def format_table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A plain-text table: the first column left-aligned, the others right-aligned."""
    cells = [[_cell(value) for value in row] for row in [header, *rows]]
    widths = [max(len(row[index]) for row in cells) for index in range(len(header))]

    def line(row: list[str]) -> str:
        return "  ".join(
            value.ljust(width) if index == 0 else value.rjust(width)
            for index, (value, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line(cells[0]), rule, *(line(row) for row in cells[1:])])


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def render(results: Mapping) -> str:
    """The one table ``make bench`` prints (pages, HTTP, jobs, memory, targets)."""
    marks = {(check.subject, check.target): check.mark for check in checks(results)}

    def mark_of(subject: str) -> str:
        found = [mark for (name, _target), mark in marks.items() if name == subject]
        if not found:
            return ""
        return "FAIL" if "FAIL" in found else "PASS"

    bare = results.get("bare", {})
    rows: list[list[object]] = [
        [
            "page: bare one-query view",
            bare.get("median_ms"),
            bare.get("p95_ms"),
            1.0,
            bare.get("queries"),
            bare.get("queries_small"),
            "",
        ]
    ]
    for name, page in results.get("pages", {}).items():
        rows.append(
            [
                f"page: {name}",
                page.get("median_ms"),
                page.get("p95_ms"),
                page.get("ratio_to_bare"),
                page.get("queries"),
                page.get("queries_small"),
                mark_of(f"page {name}"),
            ]
        )
    parts = [
        format_table(
            ["pages (in-process)", "median ms", "p95 ms", "x bare", "queries", "demo q", "target"],
            rows,
        )
    ]
    http = results.get("http", {})
    if http:
        parts.append(
            format_table(
                ["http (gunicorn)", "req/s", "x bare", "ok", "errors"],
                [
                    [
                        f"http: {name}",
                        entry.get("rps"),
                        entry.get("ratio_to_bare"),
                        entry.get("ok"),
                        entry.get("errors"),
                    ]
                    for name, entry in http.items()
                ],
            )
        )
    jobs = results.get("jobs", {})
    if jobs:
        parts.append(
            format_table(
                ["jobs (celery worker)", "seconds", "floor s", "x floor", "target"],
                [
                    [
                        f"job: {name}",
                        job.get("seconds"),
                        job.get("floor_seconds"),
                        job.get("ratio"),
                        mark_of(f"job {name}"),
                    ]
                    for name, job in jobs.items()
                ],
            )
        )
        parts.extend(
            f"job {name} failed: {job['error']}" for name, job in jobs.items() if job.get("error")
        )
        parts.extend(
            f"job {name}: {job['ratio_to_write_floor']}x a floor that also writes a statement "
            f"and a line per person ({job['write_floor_seconds']} s; not a target)"
            for name, job in jobs.items()
            if job.get("ratio_to_write_floor") is not None
        )
    if "worker_peak_mb" in results:
        parts.append(
            f"worker peak memory: {results['worker_peak_mb']:,.1f} MB  "
            f"{mark_of('worker peak memory')}"
        )
    machine = results.get("machine", {})
    if machine:
        parts.append(
            "machine: "
            + ", ".join(f"{key} {value}" for key, value in machine.items() if value is not None)
        )
    code = results.get("code", {})
    if code:
        parts.append(
            f"code: commit {code.get('commit')}, {code.get('uncommitted_files')} files with "
            "uncommitted changes (measured as they are)"
        )
    all_checks = checks(results)
    failed = [check for check in all_checks if not check.passed]
    parts.append(
        f"targets: {len(all_checks) - len(failed)} of {len(all_checks)} pass"
        + "".join(f"\n  FAIL {check.subject}: {check.target}" for check in failed)
    )
    return "\n\n".join(parts)
