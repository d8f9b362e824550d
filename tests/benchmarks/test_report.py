"""The benchmark's pure helpers: statistics, target checks and the printed table."""

import pytest

from benchmarks import report


class TestStatistics:
    def test_percentile_interpolates_between_ranks(self):
        assert report.percentile([1, 2, 3, 4, 5], 0.5) == 3
        assert report.percentile([1, 2, 3, 4, 5], 0.95) == pytest.approx(4.8)
        assert report.percentile([7], 0.95) == 7

    def test_percentile_of_nothing_is_an_error(self):
        with pytest.raises(ValueError, match="no values"):
            report.percentile([], 0.5)

    def test_timing_summary_reports_milliseconds(self):
        summary = report.timing_summary([0.010, 0.020, 0.030])
        assert summary == {"median_ms": 20.0, "p95_ms": 29.0}

    def test_ratio_is_none_without_a_floor(self):
        assert report.ratio(6.0, 2.0) == 3.0
        assert report.ratio(1.0, 0) is None
        assert report.ratio(None, 2.0) is None


def _results(**overrides):
    results = {
        "pages": {
            "today": {"ratio_to_bare": 2.5, "queries": 8, "queries_small": 8},
            "approval_queue": {"ratio_to_bare": 3.5, "queries": 11, "queries_small": 10},
        },
        "jobs": {
            "rollup_one_day": {"seconds": 1.5, "ratio": 9.0},
            "rebuild_all": {"seconds": 100.0, "ratio": 2.9},
            "payout_month": {"seconds": 61.0, "ratio": 2.0},
        },
        "worker_peak_mb": 480.0,
    }
    results.update(overrides)
    return results


class TestChecks:
    def test_it_marks_each_target(self):
        marks = {(c.subject, c.target): c.passed for c in report.checks(_results())}
        assert marks[("page today", "median <= 3x bare")]
        assert marks[("page today", "<= 10 queries")]
        assert marks[("page today", "same queries at demo size")]
        assert not marks[("page approval_queue", "median <= 3x bare")]
        assert not marks[("page approval_queue", "<= 10 queries")]
        assert not marks[("page approval_queue", "same queries at demo size")]
        assert marks[("job rollup_one_day", "< 2 s")]
        assert marks[("job rebuild_all", "<= 3x floor")]
        assert not marks[("job payout_month", "< 60 s")]
        assert marks[("job payout_month", "<= 3x floor")]
        assert marks[("worker peak memory", "< 500 MB")]

    def test_a_missing_figure_fails_its_target(self):
        results = _results(jobs={"payout_month": {"seconds": None, "ratio": None}})
        failed = [c for c in report.checks(results) if c.subject == "job payout_month"]
        assert [c.passed for c in failed] == [False, False]

    def test_query_count_differences_name_the_pages(self):
        differences = report.query_count_differences(
            {"today": 8, "queue": 11, "only_full": 3}, {"today": 8, "queue": 10}
        )
        assert differences == {"queue": (11, 10), "only_full": (3, None)}


class TestTable:
    def test_it_aligns_columns_and_formats_numbers(self):
        table = report.format_table(["name", "n"], [["a", 1234], ["longer", 2.5], ["x", None]])
        assert table.splitlines() == [
            "name        n",
            "------  -----",
            "a       1,234",
            "longer   2.50",
            "x           -",
        ]

    def test_render_lists_the_failed_targets(self):
        text = report.render({**_results(), "bare": {"median_ms": 2.0, "p95_ms": 3.0}})
        assert "page: approval_queue" in text
        assert "targets: 7 of 11 pass" in text
        assert "FAIL job payout_month: < 60 s" in text

    def test_render_names_the_floor_with_writes_apart_from_the_targets(self):
        results = _results()
        results["jobs"]["payout_month_all_written"] = {
            "seconds": 1.5,
            "floor_seconds": 0.08,
            "ratio": 18.75,
            "write_floor_seconds": 0.5,
            "ratio_to_write_floor": 3.0,
        }
        text = report.render({**results, "bare": {"median_ms": 2.0, "p95_ms": 3.0}})
        assert (
            "job payout_month_all_written: 3.0x a floor that also writes a statement and a "
            "line per person (0.5 s; not a target)"
        ) in text
        # The target stays the issue's: within 3x the read-only floor.
        assert "targets: 8 of 13 pass" in text
        assert "FAIL job payout_month_all_written: <= 3x floor" in text
