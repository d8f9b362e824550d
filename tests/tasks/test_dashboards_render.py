"""How the dashboards write their figures: numbers exactly as Django's ``number_format``
would (in both languages), tables as accessible, escaped HTML, and the team page's own
count of waiting entries standing in for the navigation badge's query."""

import datetime
import random
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format, number_format

from tasks.dashboards import Column, Formatter, Row, Table, percent
from tasks.models import AssistCategory, TimeLog
from tasks.selectors import pending_approval_count
from tasks.views.dashboards import table_html
from tests.factories import StaffProfileFactory, UserFactory


def _values():
    rng = random.Random(8)
    values = [0, 1, -1, 999, 1000, -1000, 12345, 123456789, 10**15]
    values += [Decimal(text) for text in ("0", "-0", "0.00", "0.004", "-0.004", "0.05")]
    values += [Decimal(text) for text in ("1234.5", "-1234.56", "1E+3", "99999.99", "0.1")]
    values += [rng.randint(-(10**9), 10**9) for _ in range(300)]
    values += [Decimal(rng.randint(-(10**9), 10**9)).scaleb(-rng.randint(0, 3)) for _ in range(300)]
    return [*values, 2.5, True]


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_numbers_are_written_as_number_format_writes_them(language):
    with translation.override(language):
        written = Formatter()
        for value in _values():
            for places in (0, 1, 2):
                expected = number_format(
                    value, decimal_pos=places, use_l10n=True, force_grouping=True
                )
                assert written.number(value, places) == expected, (value, places)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_cells_are_written_by_kind(language):
    day = datetime.date(2026, 3, 9)
    with translation.override(language):
        written = Formatter()
        assert written(day, "date") == date_format(day, "SHORT_DATE_FORMAT")
        assert written(day, "week") == date_format(day, "MONTH_DAY_FORMAT")
        assert written(day, "month") == date_format(day, "YEAR_MONTH_FORMAT")
        assert written(None, "percent") == "—"
        assert written(None, "text") == ""
        assert written(37, "percent") == "37 %"
        assert written(Decimal("12345.5"), "percent") == (
            number_format(Decimal("12345.5"), use_l10n=True, force_grouping=True) + " %"
        )
        assert written(Decimal("12345.6"), "hours") == number_format(
            Decimal("12345.6"), decimal_pos=1, use_l10n=True, force_grouping=True
        )


def _table(**extra) -> Table:
    return Table(
        key="people",
        title="People <& co>",
        columns=[Column("Name", "text"), Column("Minutes", "minutes"), Column("Note", "text")],
        rows=[
            Row(["<b>Ann</b>", 1234, 'a "quoted" note'], link='/p/1/?a=1&b="2"', css="x"),
            Row(["Bo", None, ""]),
        ],
        total=Row(["Total", 1234, ""]),
        **extra,
    )


def test_a_table_is_accessible_and_escapes_its_text():
    html = table_html(_table(caption="Minutes <logged>", scroll=True))

    assert html.startswith(
        '<div class="table-responsive ah-table-scroll" tabindex="0" role="region" '
        'aria-label="Minutes &lt;logged&gt;">'
    )
    assert (
        '<table class="table table-sm table-hover align-middle ah-dash-table" id="table-people">'
        in html
    )
    assert '<caption class="small">Minutes &lt;logged&gt;</caption>' in html
    assert '<th scope="col">Name</th><th scope="col" class="text-end">Minutes</th>' in html
    assert (
        '<tr class="x"><th scope="row" class="fw-normal">'
        '<a href="/p/1/?a=1&amp;b=&quot;2&quot;">&lt;b&gt;Ann&lt;/b&gt;</a></th>'
        '<td class="text-end text-nowrap">1,234</td><td>a &quot;quoted&quot; note</td></tr>'
    ) in html
    assert '<td class="text-end text-nowrap">—</td>' in html  # nothing is a dash
    assert (
        '<tfoot><tr class="fw-semibold"><th scope="row">Total</th>'
        '<td class="text-end text-nowrap">1,234</td><td></td></tr></tfoot>'
    ) in html
    assert "<b>" not in html


def test_an_empty_table_says_so_and_uses_its_title_as_caption():
    table = _table()
    table.rows = []
    html = table_html(table)

    assert html.startswith('<div class="table-responsive"><table')
    assert '<caption class="small">People &lt;&amp; co&gt;</caption>' in html
    assert '<tr><td colspan="3" class="text-body-secondary">Nothing in this range.</td></tr>' in (
        html
    )


def _waiting(profile, day, minutes, *, age_days=0):
    log = TimeLog.objects.create(
        staff=profile,
        day=day,
        minutes=minutes,
        category=AssistCategory.objects.get(code="phone-marketing"),
        description="Called",
        duties_done=True,
    )
    TimeLog.objects.filter(pk=log.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=age_days)
    )


def test_the_team_dashboard_gives_the_navigation_its_count_of_waiting_entries(
    login, org, today, monkeypatch
):
    elsewhere = StaffProfileFactory(
        user=UserFactory(username="elsewhere"),
        department=org.operations,
        line_supervisor=org.supervisor,
    )
    _waiting(org.staff_profile, today, 30)
    _waiting(org.outsider.profile, today - datetime.timedelta(days=5), 20, age_days=5)
    _waiting(elsewhere, today - datetime.timedelta(days=9), 15, age_days=9)
    _waiting(org.other_staff.profile, today, 40)  # another team's
    client = login(org.supervisor)
    expected = pending_approval_count(user=org.supervisor, day=today)

    def no_second_count(**_kwargs):
        raise AssertionError("the badge counted again what the page had counted")

    monkeypatch.setattr("tasks.selectors.pending_approval_count", no_second_count)
    page = client.get(reverse("tasks:dashboard_team"))
    # Filtered to one department, the badge still counts every entry waiting.
    filtered = client.get(reverse("tasks:dashboard_team"), {"department": org.engineering.pk})

    assert expected == 3
    assert page.context["nav_pending_count"] == expected
    assert page.context["dashboard"].kpi("pending") == expected
    assert page.context["dashboard"].tables["pending"].column(1) == [1, 1, 1]
    assert filtered.context["nav_pending_count"] == expected
    assert filtered.context["dashboard"].kpi("pending") == 2


def test_whole_percentages_in_integers_round_as_the_decimal_rule_does():
    rng = random.Random(3)
    for _ in range(20000):
        whole = rng.randint(1, 10 ** rng.randint(1, 7))
        part = rng.randint(0, 3 * whole)
        by_decimals = int(
            (Decimal(100) * Decimal(part) / Decimal(whole)).quantize(1, ROUND_HALF_UP)
        )
        assert percent(part, whole) == by_decimals, (part, whole)
    assert percent(1, 8) == 13  # 12.5 rounds half up
    assert percent(Decimal("1.5"), 2) == 75
