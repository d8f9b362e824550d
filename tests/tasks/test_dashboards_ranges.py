"""The organisation dashboard over ranges that are not whole months: one whole week
(this week's, read from the department-week summaries, or a past one), a range cut in
the middle of months (people counted from their person-days, the last trend month cut
short), and several whole months (distinct people across them). Every figure is checked
against the raw logs, and each shape takes the same queries."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tasks.dashboards import DateRange, hours, percent
from tasks.models import TimeLog
from tasks.selectors import week_bounds
from tasks.summaries import summaries_rebuild
from tests.tasks.test_dashboard_figures import (
    _category_rows,
    _counted,
    _eligible,
    _logs,
    _people_logged,
    _query,
    seed,
)

THIS_WEEK = DateRange(datetime.date(2026, 3, 9), datetime.date(2026, 3, 10))
PAST_WEEK = DateRange(datetime.date(2026, 2, 9), datetime.date(2026, 2, 15))
CUT = DateRange(datetime.date(2026, 1, 20), datetime.date(2026, 2, 13))
TWO_MONTHS = DateRange(datetime.date(2026, 1, 1), datetime.date(2026, 2, 28))
SO_FAR = DateRange(datetime.date(2026, 3, 1), datetime.date(2026, 3, 10))
RANGES = {
    "this-week": THIS_WEEK,
    "past-week": PAST_WEEK,
    "cut": CUT,
    "two-months": TWO_MONTHS,
    "this-month": SO_FAR,
}


def _activity(org):
    """January and February in full, and March up to today (Tuesday 10 March), where
    someone joins in this week only and someone else logged last week only; one person
    logs in January but not in February."""
    activity = seed(org, TWO_MONTHS)
    march = [datetime.date(2026, 3, day) for day in (2, 3, 9, 10)]
    for day in march:
        activity.log(org.staff_profile, day, 40, "phone-marketing", TimeLog.Status.APPROVED)
    activity.log(activity.idle, march[2], 25, "client-visit", TimeLog.Status.SUBMITTED)
    # Ida also logs one January day: two months count her once, February not at all.
    activity.log(activity.idle, datetime.date(2026, 1, 14), 35, "client-visit", "approved")
    activity.log(org.other_staff.profile, march[0], 50, "phone-marketing", "approved")
    activity.log(org.outsider.profile, march[3], 30, "phone-marketing", TimeLog.Status.REJECTED)
    summaries_rebuild()
    return activity


@pytest.mark.parametrize("rng", list(RANGES.values()), ids=list(RANGES))
def test_the_org_dashboard_matches_the_raw_rows_over_any_range(login, org, today, rng):
    _activity(org)

    response = login(org.admin).get(reverse("tasks:dashboard_org"), _query(rng))
    dashboard = response.context["dashboard"]

    eligible = _eligible()
    eligible_ids = {p.pk for p in eligible}
    logs = _logs(rng)
    logged_people = _people_logged(rng)
    rows = []
    for department in sorted({p.department for p in eligible}, key=lambda d: d.name.lower()):
        members = [p for p in eligible if p.department_id == department.pk]
        took_part = sum(1 for p in members if p.pk in logged_people)
        mine = [log for log in logs if log.staff.department_id == department.pk]
        rows.append(
            [
                department.name,
                len(members),
                took_part,
                percent(took_part, len(members)),
                hours(sum(log.minutes for log in mine if _counted(log))),
                hours(sum(log.minutes for log in mine if log.status == "approved")),
            ]
        )
    table = dashboard.tables["departments"]
    assert table.values() == rows
    participants = len(logged_people & eligible_ids)
    assert table.total.cells[1:4] == [
        len(eligible),
        participants,
        percent(participants, len(eligible)),
    ]
    assert participants  # every range has someone taking part
    assert dashboard.kpi("hours") == hours(sum(log.minutes for log in logs if _counted(log)))

    categories, category_total = _category_rows(logs, in_hours=True)
    assert dashboard.tables["categories"].values() == categories
    assert dashboard.tables["categories"].total.cells == category_total

    weeks = [DateRange(*week_bounds(week.start)) for week in rng.weeks()]
    assert dashboard.tables["participation"].values() == [
        [
            week.start,
            len(_people_logged(week) & eligible_ids),
            percent(len(_people_logged(week) & eligible_ids), len(eligible)),
        ]
        for week in weeks
    ]

    expected_trend = []
    for month in rng.trend_months().months():  # the last one cut at the range's end
        month_logs = _logs(month)
        people = len(_people_logged(month) & eligible_ids)
        expected_trend.append(
            [
                month.start,
                people,
                percent(people, len(eligible)),
                hours(sum(log.minutes for log in month_logs if _counted(log))),
                hours(sum(log.minutes for log in month_logs if log.status == "approved")),
            ]
        )
    assert dashboard.tables["trend"].values() == expected_trend


def test_every_range_takes_the_same_queries(client, org, today):
    _activity(org)
    client.force_login(org.admin)
    counts = {}
    for name, rng in RANGES.items():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("tasks:dashboard_org"), _query(rng)).status_code == 200
        counts[name] = len(queries)

    assert set(counts.values()) == {counts["this-month"]}
    assert counts["this-month"] <= 10
