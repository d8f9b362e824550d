"""Department-months and department-weeks (``DepartmentSpanSummary``), which the
organisation dashboard counts participation from: checked against the raw logs after
the rollup, after a rebuild, and when people leave or join a department."""

import datetime
from collections import defaultdict

import pytest
import time_machine
from django.urls import reverse

from departments.models import StaffProfile
from tasks.dashboards import percent
from tasks.models import (
    AssistCategory,
    DayLedger,
    DepartmentSpanSummary,
    PersonMonthSummary,
    TimeLog,
)
from tasks.summaries import summaries_rebuild, summaries_rollup
from tests.factories import StaffProfileFactory, UserFactory

TODAY = datetime.date(2026, 3, 12)
MONTH, WEEK = DepartmentSpanSummary.Span.MONTH, DepartmentSpanSummary.Span.WEEK


@pytest.fixture
def frozen():
    with time_machine.travel(
        datetime.datetime(2026, 3, 12, 10, 0, tzinfo=datetime.UTC), tick=False
    ):
        yield


def _month(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def _week(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


def _log(profile, day, minutes, status=TimeLog.Status.SUBMITTED, code="phone-marketing"):
    TimeLog.objects.create(
        staff=profile,
        day=day,
        minutes=minutes,
        category=AssistCategory.objects.get(code=code),
        description="Called three prospects",
        duties_done=True,
        status=status,
        rejection_reason="Not marketing" if status == TimeLog.Status.REJECTED else "",
    )
    DayLedger.objects.update_or_create(staff=profile, day=day, defaults={"dirty": True})


def _seed(org):
    """Two months of logs over both non-marketing departments and marketing, with
    rejected time, a person who logs only rejected time and one no longer active."""
    gone = StaffProfileFactory(
        user=UserFactory(username="gone"), department=org.operations, is_active=False
    )
    rejected_only = StaffProfileFactory(
        user=UserFactory(username="rejected_only"), department=org.operations
    )
    days = [TODAY - datetime.timedelta(days=n) for n in (0, 3, 9, 15, 30)]
    for index, day in enumerate(days):
        _log(org.staff_profile, day, 30 + index, TimeLog.Status.APPROVED)
        _log(org.staff_profile, day, 20, code="client-visit")
        _log(org.outsider.profile, day, 45, TimeLog.Status.REJECTED)
        if index % 2:
            _log(org.outsider.profile, day, 15)
        _log(org.other_staff.profile, day, 60, TimeLog.Status.APPROVED)
        _log(gone, day, 10)
        _log(rejected_only, day, 25, TimeLog.Status.REJECTED)
        _log(org.lead.profile, day, 40)
    return days


def _expected() -> dict:
    """Every department-span with time, straight from the logs: the people counted are
    the department's eligible members now (active, not marketing) who logged time (not
    rejected) in the span."""
    spans: dict = defaultdict(
        lambda: {"people": set(), "submitted": 0, "approved": 0, "categories": defaultdict(int)}
    )
    for log in TimeLog.objects.select_related("staff__department"):
        if log.status == TimeLog.Status.REJECTED:
            continue
        for span, start_of in ((MONTH, _month), (WEEK, _week)):
            row = spans[(log.staff.department_id, span, start_of(log.day))]
            row[log.status] += log.minutes
            row["categories"][str(log.category_id)] += log.minutes
            if log.staff.is_active and not log.staff.department.is_marketing:
                row["people"].add(log.staff_id)
    return {
        key: (len(row["people"]), row["submitted"], row["approved"], dict(row["categories"]))
        for key, row in spans.items()
    }


def _stored() -> dict:
    return {
        (department_id, span, start): (people, submitted, approved, categories)
        for department_id, span, start, people, submitted, approved, categories in (
            DepartmentSpanSummary.objects.values_list(
                "department_id",
                "span",
                "start",
                "people_logged",
                "submitted_minutes",
                "approved_minutes",
                "minutes_by_category",
            )
        )
        if people or submitted or approved
    }


def test_department_spans_match_the_raw_logs_after_the_rollup_and_a_rebuild(org, frozen):
    days = _seed(org)

    summaries_rollup(days=[TODAY - datetime.timedelta(days=1)])

    expected = _expected()
    assert _stored() == expected
    # Both months and the four weeks of the logs, in both departments (and marketing's,
    # which the rollup keeps like its department-days; the dashboard leaves it out).
    assert {key[1:] for key in expected} == {
        *((MONTH, _month(day)) for day in days),
        *((WEEK, _week(day)) for day in days),
    }
    assert expected[(org.engineering.pk, MONTH, _month(TODAY))][0] == 2
    assert expected[(org.operations.pk, MONTH, _month(TODAY))][0] == 1  # not gone, nor rejected

    DepartmentSpanSummary.objects.all().delete()
    summaries_rebuild()
    marketing = org.marketing.pk
    assert _stored() == {key: row for key, row in expected.items() if key[0] != marketing}


def test_a_new_log_updates_its_department_spans(org, frozen):
    _seed(org)
    summaries_rollup()
    newcomer = StaffProfileFactory(
        user=UserFactory(username="newcomer"), department=org.engineering
    )
    _log(newcomer, TODAY, 50)

    summaries_rollup()

    assert _stored() == _expected()
    month = DepartmentSpanSummary.objects.get(
        department=org.engineering, span=MONTH, start=_month(TODAY)
    )
    assert month.people_logged == 3


def test_who_left_stops_counting_at_the_nightly_recount(org, frozen):
    _seed(org)
    summaries_rollup()
    org.outsider.profile.is_active = False
    org.outsider.profile.save()
    org.other_staff.profile.department = org.engineering
    org.other_staff.profile.save()

    # The nightly run recomputes yesterday in full: every department's spans around it.
    summaries_rollup(days=[TODAY - datetime.timedelta(days=1)])

    stored, expected = _stored(), _expected()
    for span, start in ((MONTH, _month(TODAY)), (WEEK, _week(TODAY))):
        # Counted where they are now: staff and other_staff, not the outsider.
        assert stored[(org.engineering.pk, span, start)][0] == 2
        assert expected[(org.engineering.pk, span, start)][0] == 2
        assert stored[(org.operations.pk, span, start)][0] == 0


def test_people_are_counted_once_per_span_however_many_days_they_log(org, frozen):
    for offset in range(5):
        _log(org.staff_profile, TODAY - datetime.timedelta(days=offset), 20)
    summaries_rollup()

    assert (
        DepartmentSpanSummary.objects.get(
            department=org.engineering, span=MONTH, start=_month(TODAY)
        ).people_logged
        == 1
    )
    assert PersonMonthSummary.objects.get(staff=org.staff_profile).days_logged == 5


def test_a_span_counts_its_eligible_people_with_its_participants(org, frozen, login):
    """Participation of a whole month is the share of the people eligible when it was
    counted: people who leave afterwards change neither side, so it never passes 100 %."""
    _seed(org)
    summaries_rollup(days=[TODAY - datetime.timedelta(days=1)])
    members = StaffProfile.objects.filter(department=org.engineering, is_active=True)
    eligible = members.count()
    february = _month(TODAY - datetime.timedelta(days=30))
    stored = DepartmentSpanSummary.objects.get(
        department=org.engineering, span=MONTH, start=february
    )
    assert (stored.people_logged, stored.people_eligible) == (2, eligible)

    members.update(is_active=False)  # everyone of engineering leaves; no rollup since

    response = login(org.admin).get(
        reverse("tasks:dashboard_org"),
        {
            "start": february.isoformat(),
            "end": (_month(TODAY) - datetime.timedelta(days=1)).isoformat(),
        },
    )
    tables = response.context["dashboard"].tables
    engineering = next(row for row in tables["departments"].rows if row.cells[0] == "Engineering")
    # February as the rollup counted it, both sides from the same roster.
    assert engineering.cells[1:4] == [eligible, 2, percent(2, eligible)]
    for row in (*tables["trend"].rows, *tables["participation"].rows):
        assert row.cells[2] is None or row.cells[2] <= 100
