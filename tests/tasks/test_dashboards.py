"""Who sees which dashboard, and whose figures: the owner, the line supervisor, the
delegate, the marketing lead, another team's supervisor, an outsider, finance, admin
and anonymous visitors. Also the filters, the CSV download and the page furniture
(charts with tables, no inline style or script)."""

import csv
import datetime
import io
import re

import pytest
from django.urls import reverse

from departments.models import Delegation
from tasks import charts
from tasks.dashboards import DateRange, add_months, percent, preset_range
from tasks.forms.dashboards import DashboardFilterForm
from tasks.models import AssistCategory, DayLedger, TimeLog
from tasks.summaries import summaries_rebuild
from tests.factories import DepartmentFactory, StaffProfileFactory, UserFactory

OK, FORBIDDEN, LOGIN = 200, 403, 302
USERS = [
    "staff",
    "supervisor",
    "delegate",
    "lead",
    "other_supervisor",
    "outsider",
    "finance",
    "admin",
    "anonymous",
]
EXPECTED = {
    # Everybody with the staff role has their own dashboard; lead and admin have none.
    "tasks:dashboard_me": {
        "staff": OK,
        "supervisor": OK,
        "delegate": OK,
        "lead": FORBIDDEN,
        "other_supervisor": OK,
        "outsider": OK,
        "finance": OK,
        "admin": FORBIDDEN,
        "anonymous": LOGIN,
    },
    "tasks:dashboard_team": {
        "staff": FORBIDDEN,
        "supervisor": OK,
        "delegate": OK,
        "lead": FORBIDDEN,
        "other_supervisor": OK,
        "outsider": FORBIDDEN,
        "finance": FORBIDDEN,
        "admin": FORBIDDEN,
        "anonymous": LOGIN,
    },
    "tasks:dashboard_marketing": {
        "staff": FORBIDDEN,
        "supervisor": FORBIDDEN,
        "delegate": FORBIDDEN,
        "lead": OK,
        "other_supervisor": FORBIDDEN,
        "outsider": FORBIDDEN,
        "finance": FORBIDDEN,
        "admin": OK,
        "anonymous": LOGIN,
    },
    "tasks:dashboard_org": {
        "staff": FORBIDDEN,
        "supervisor": FORBIDDEN,
        "delegate": FORBIDDEN,
        "lead": FORBIDDEN,
        "other_supervisor": FORBIDDEN,
        "outsider": FORBIDDEN,
        "finance": OK,
        "admin": OK,
        "anonymous": LOGIN,
    },
}
ADMIN_ONLY = dict.fromkeys(USERS, FORBIDDEN) | {"admin": OK, "anonymous": LOGIN}


def _get(client, org, who, url):
    if who != "anonymous":
        client.force_login(getattr(org, who))
    return client.get(url)


@pytest.mark.parametrize("who", USERS)
@pytest.mark.parametrize("name", list(EXPECTED))
def test_each_dashboard_answers_only_its_audience(client, org, today, name, who):
    response = _get(client, org, who, reverse(name))

    assert response.status_code == EXPECTED[name][who]
    if response.status_code == LOGIN:
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("who", USERS)
def test_the_department_dashboard_is_for_admins_only(client, org, today, who):
    url = reverse("tasks:dashboard_department", args=[org.engineering.pk])

    assert _get(client, org, who, url).status_code == ADMIN_ONLY[who]


@pytest.mark.parametrize("who", USERS)
def test_the_csv_download_follows_the_same_rules(client, org, today, who):
    for name, expected in EXPECTED.items():
        response = _get(client, org, who, reverse(name) + "?format=csv")
        assert response.status_code == expected[who], name


def test_a_marketing_department_has_no_department_dashboard(login, org, today):
    url = reverse("tasks:dashboard_department", args=[org.marketing.pk])

    assert login(org.admin).get(url).status_code == 404


# --------------------------------------------------------------------------- whose figures


def _log(profile, day, minutes, status=TimeLog.Status.APPROVED):
    category = AssistCategory.objects.get(code="phone-marketing")
    log = TimeLog.objects.create(
        staff=profile,
        day=day,
        minutes=minutes,
        category=category,
        description="Calls",
        duties_done=True,
        status=status,
        rejection_reason="No" if status == TimeLog.Status.REJECTED else "",
    )
    DayLedger.objects.update_or_create(staff=profile, day=day, defaults={"dirty": True})
    return log


def _people(response) -> list[str]:
    return [row.cells[0] for row in response.context["dashboard"].tables["usage"].rows]


def _name(user) -> str:
    return user.get_full_name() or user.get_username()


def test_a_supervisor_sees_only_their_reports(login, org, today):
    response = login(org.supervisor).get(reverse("tasks:dashboard_team"))

    assert sorted(_people(response)) == sorted([_name(org.staff), _name(org.outsider)])


def test_another_supervisor_sees_only_their_own_team(login, org, today):
    response = login(org.other_supervisor).get(reverse("tasks:dashboard_team"))

    assert _people(response) == [_name(org.other_staff)]


def test_the_delegate_sees_the_delegators_team_but_not_themselves(login, org, today):
    response = login(org.delegate).get(reverse("tasks:dashboard_team"))

    assert sorted(_people(response)) == sorted([_name(org.staff), _name(org.outsider)])


def test_an_ended_delegation_ends_the_view_of_the_team(login, org, today):
    Delegation.objects.filter(delegate=org.delegate).update(
        end_date=today - datetime.timedelta(days=1)
    )

    assert login(org.delegate).get(reverse("tasks:dashboard_team")).status_code == FORBIDDEN


def test_person_rows_drill_down_to_the_profile_page(login, org, today):
    response = login(org.supervisor).get(reverse("tasks:dashboard_team"))
    profile_url = reverse("departments:profile", args=[org.staff_profile.pk])

    assert profile_url in response.content.decode()
    assert login(org.supervisor).get(profile_url).status_code == OK


def test_my_dashboard_counts_only_my_own_time(login, org, today):
    _log(org.staff_profile, today, 30)
    _log(org.outsider.profile, today, 90)
    summaries_rebuild()

    dashboard = login(org.staff).get(reverse("tasks:dashboard_me")).context["dashboard"]

    assert dashboard.kpi("logged") == 30


def test_the_team_filter_by_department_keeps_only_that_department(login, org, today):
    elsewhere = DepartmentFactory(name="Finance office", code="FIN")
    moved = StaffProfileFactory(
        user=UserFactory(username="moved"), department=elsewhere, line_supervisor=org.supervisor
    )
    client = login(org.supervisor)

    everyone = _people(client.get(reverse("tasks:dashboard_team")))
    only = _people(client.get(reverse("tasks:dashboard_team"), {"department": elsewhere.pk}))

    assert _name(moved.user) in everyone
    assert only == [_name(moved.user)]


def test_an_unknown_department_in_the_filter_shows_the_default(login, org, today):
    response = login(org.supervisor).get(
        reverse("tasks:dashboard_team"), {"department": org.operations.pk}
    )

    assert response.status_code == OK
    assert response.context["filter_form"].errors
    assert response.context["dashboard"].rng == preset_range("this_month", today)


def test_org_rows_link_to_the_department_dashboard_for_admins_only(login, org, today):
    url = reverse("tasks:dashboard_department", args=[org.engineering.pk])
    _log(org.staff_profile, today, 30)
    summaries_rebuild()

    assert url in login(org.admin).get(reverse("tasks:dashboard_org")).content.decode()
    assert url not in login(org.finance).get(reverse("tasks:dashboard_org")).content.decode()


def _department_bars(html: str) -> list[str]:
    chart = html[html.index('id="chart-departments-title"') :]
    chart = chart[: chart.index("</svg>")]
    return re.findall(r'<rect class="ah-mark[^"]*"[^>]*><title>([^:<]+):', chart)


def test_the_org_chart_shows_the_busiest_departments_and_the_table_all(login, org, today):
    from tasks.views.dashboards import CHART_DEPARTMENTS

    _log(org.staff_profile, today, 30)
    summaries_rebuild()
    page = login(org.admin).get(reverse("tasks:dashboard_org")).content.decode()
    # Few departments: each has its bar.
    assert set(_department_bars(page)) == {"Engineering", "Operations"}
    assert "Hours logged by department" in page

    for n in range(CHART_DEPARTMENTS + 2):
        department = DepartmentFactory(name=f"Unit {n:02d}", code=f"U{n:02d}")
        person = StaffProfileFactory(department=department)
        _log(person, today, 60 + 30 * n)  # more than Engineering, the later units the most
    summaries_rebuild()
    response = login(org.admin).get(reverse("tasks:dashboard_org"))
    page = response.content.decode()
    bars = _department_bars(page)
    assert bars == [f"Unit {n:02d}" for n in reversed(range(2, CHART_DEPARTMENTS + 2))]
    assert f"The {CHART_DEPARTMENTS} departments with the most hours logged" in page
    assert len(response.context["dashboard"].tables["departments"].rows) == CHART_DEPARTMENTS + 4


# --------------------------------------------------------------------------- filters


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, (datetime.date(2026, 3, 1), datetime.date(2026, 3, 10))),
        ({"preset": "this_week"}, (datetime.date(2026, 3, 9), datetime.date(2026, 3, 10))),
        ({"preset": "this_month"}, (datetime.date(2026, 3, 1), datetime.date(2026, 3, 10))),
        ({"preset": "last_12_months"}, (datetime.date(2025, 4, 1), datetime.date(2026, 3, 10))),
        (
            {"start": "2026-02-01", "end": "2026-02-28"},
            (datetime.date(2026, 2, 1), datetime.date(2026, 2, 28)),
        ),
        # The range never reaches past today.
        (
            {"start": "2026-03-05", "end": "2026-04-30"},
            (datetime.date(2026, 3, 5), datetime.date(2026, 3, 10)),
        ),
        # Nonsense falls back to this month.
        (
            {"start": "2026-03-09", "end": "2026-03-01"},
            (datetime.date(2026, 3, 1), datetime.date(2026, 3, 10)),
        ),
        (
            {"start": "2019-01-01", "end": "2026-03-01"},
            (datetime.date(2026, 3, 1), datetime.date(2026, 3, 10)),
        ),
        ({"start": "yesterday"}, (datetime.date(2026, 3, 1), datetime.date(2026, 3, 10))),
    ],
)
def test_the_date_range_filter(today, query, expected):
    form = DashboardFilterForm(query, today=today)

    assert form.date_range() == DateRange(*expected)


def test_month_arithmetic_crosses_years():
    assert add_months(datetime.date(2026, 1, 31), -1) == datetime.date(2025, 12, 1)
    assert add_months(datetime.date(2026, 3, 10), -11) == datetime.date(2025, 4, 1)
    assert add_months(datetime.date(2025, 12, 5), 1) == datetime.date(2026, 1, 1)


def test_percentages_round_half_up_and_know_nothing_of_zero():
    assert percent(1, 8) == 13  # 12.5
    assert percent(5, 0) is None
    assert percent(0, 120) == 0


def test_weeks_are_cut_to_the_range():
    weeks = DateRange(datetime.date(2026, 3, 4), datetime.date(2026, 3, 17)).weeks()

    assert [(w.start, w.end) for w in weeks] == [
        (datetime.date(2026, 3, 4), datetime.date(2026, 3, 8)),
        (datetime.date(2026, 3, 9), datetime.date(2026, 3, 15)),
        (datetime.date(2026, 3, 16), datetime.date(2026, 3, 17)),
    ]


def test_the_preset_links_keep_the_department_and_mark_the_current_one(login, org, today):
    response = login(org.supervisor).get(
        reverse("tasks:dashboard_team"),
        {"preset": "this_week", "department": org.engineering.pk},
    )
    presets = {p["key"]: p for p in response.context["presets"]}

    assert presets["this_week"]["active"]
    assert not presets["this_month"]["active"]
    assert f"department={org.engineering.pk}" in presets["last_12_months"]["url"]
    assert "format=csv" in response.context["csv_url"]


# --------------------------------------------------------------------------- CSV and markup


def _csv_rows(response) -> list[list[str]]:
    text = b"".join(response.streaming_content if response.streaming else [response.content])
    return list(csv.reader(io.StringIO(text.decode("utf-8-sig"))))


def test_the_csv_holds_the_same_figures_as_the_page(login, org, today):
    _log(org.staff_profile, today, 45)
    _log(org.staff_profile, today - datetime.timedelta(days=1), 30, TimeLog.Status.SUBMITTED)
    summaries_rebuild()
    client = login(org.staff)
    page = client.get(reverse("tasks:dashboard_me"), {"preset": "this_week"})
    response = client.get(reverse("tasks:dashboard_me"), {"preset": "this_week", "format": "csv"})

    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="allhands-me-2026-03-09-2026-03-10.csv"' in response["Content-Disposition"]
    rows = _csv_rows(response)
    dashboard = page.context["dashboard"]
    assert rows[0] == [dashboard.title, "2026-03-09", "2026-03-10"]
    assert ["Minutes logged", "75"] in rows
    days = dashboard.tables["days"]
    start = rows.index([days.title])
    assert rows[start + 1] == [column.label for column in days.columns]
    assert rows[start + 2] == ["2026-03-09", "120", "30", "0", "25"]
    assert rows[start + 3] == ["2026-03-10", "120", "45", "45", "38"]
    assert rows[start + 4] == ["Total", "240", "75", "45", "31"]


def test_a_csv_cell_cannot_start_a_formula(login, org, today):
    org.staff.first_name, org.staff.last_name = "=HYPERLINK(1)", ""
    org.staff.save()

    rows = _csv_rows(login(org.supervisor).get(reverse("tasks:dashboard_team"), {"format": "csv"}))

    assert [cell for row in rows for cell in row if "HYPERLINK" in cell][:1] == ["'=HYPERLINK(1)"]


@pytest.mark.parametrize(
    ("who", "name"),
    [
        ("staff", "tasks:dashboard_me"),
        ("supervisor", "tasks:dashboard_team"),
        ("lead", "tasks:dashboard_marketing"),
        ("admin", "tasks:dashboard_org"),
    ],
)
def test_pages_have_charts_with_titles_and_tables_and_no_inline_style_or_script(
    login, org, today, who, name
):
    _log(org.staff_profile, today, 45)
    summaries_rebuild()

    html = login(getattr(org, who)).get(reverse(name)).content.decode()

    assert "css/dashboards.css" in html
    assert "<svg" in html
    assert 'role="img"' in html
    assert "<title id=" in html
    assert "viewBox=" in html
    assert "<table" in html
    assert "<caption" in html
    assert 'scope="col"' in html
    assert not re.search(r"\sstyle=", html)
    assert not re.search(r"<script(?![^>]*\ssrc=)", html)


def test_pages_render_in_chinese(client, org, today):
    client.force_login(org.supervisor)
    client.cookies["django_language"] = "zh-hans"

    response = client.get(reverse("tasks:dashboard_team"), HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert response.status_code == OK
    assert '<html lang="zh-hans">' in response.content.decode()


def test_the_navigation_lists_the_dashboards_a_user_may_open(login, org, today):
    html = login(org.supervisor).get(reverse("tasks:dashboard_me")).content.decode()

    assert reverse("tasks:dashboard_team") in html
    assert reverse("tasks:dashboard_org") not in html
    assert reverse("tasks:jobs") not in html


HOSTILE = '<b onmouseover="x">A&B</b>'


@pytest.mark.parametrize(
    "draw",
    [
        lambda: charts.line_chart(
            chart_id="c",
            title=HOSTILE,
            desc=HOSTILE,
            labels=[HOSTILE, "b"],
            series=[charts.Series(HOSTILE, [1, 2], HOSTILE)],
            value_label=lambda value: f"{value} {HOSTILE}",
        ),
        lambda: charts.stacked_bars(
            chart_id="c",
            title=HOSTILE,
            desc=HOSTILE,
            labels=[HOSTILE, "b"],
            series=[charts.Series(HOSTILE, [1, 2], HOSTILE)],
            line=charts.Series(HOSTILE, [2, 2]),
            value_label=lambda value: f"{value} {HOSTILE}",
        ),
        lambda: charts.bar_chart(
            chart_id="c",
            title=HOSTILE,
            desc=HOSTILE,
            items=[(HOSTILE, 3)],
            marker=2,
            marker_label=HOSTILE,
            css=HOSTILE,
        ),
        lambda: charts.funnel(chart_id="c", title=HOSTILE, desc=HOSTILE, stages=[(HOSTILE, 2)]),
    ],
    ids=["line", "stacked", "bar", "funnel"],
)
def test_every_text_a_chart_writes_is_escaped(draw):
    svg = str(draw())
    assert "<b" not in svg
    assert 'onmouseover="x"' not in svg
    assert "&amp;lt;" not in svg  # escaped once, not twice
    # Beyond the chart's own title and description: its labels and marks.
    marks = re.sub(r'<(title|desc) id="c-[a-z]+">.*?</\1>', "", svg)
    assert "&lt;b onmouseover=&quot;x&quot;&gt;A&amp;B&lt;/b&gt;" in marks


def test_charts_escape_their_labels_and_scale():
    svg = charts.bar_chart(
        chart_id="c",
        title="T <b>",
        desc="D",
        items=[("<script>", 3), ("B", 1)],
    )

    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    assert 'viewBox="0 0 400 ' in svg
    assert '<title id="c-title">T &lt;b&gt;</title>' in svg


def test_charts_say_so_when_there_is_nothing_to_draw():
    svg = charts.stacked_bars(
        chart_id="e", title="Empty", desc="", labels=[], series=[], empty="None"
    )

    assert "None" in svg
    assert 'role="img"' in svg


def test_a_funnel_shows_each_stage_with_its_share():
    svg = charts.funnel(chart_id="f", title="F", desc="", stages=[("In", 4), ("Won", 1)])

    assert "In · 4 (100 %)" in svg
    assert "Won · 1 (25 %)" in svg


def test_a_line_chart_has_a_dot_with_a_title_per_value():
    svg = charts.line_chart(
        chart_id="l",
        title="L",
        desc="",
        labels=["Jan", "Feb", "Mar"],
        series=[charts.Series("Hours", [1, 2, 3])],
    )

    assert svg.count("<circle") == 3
    assert "Feb · Hours: 2" in svg


def test_the_range_never_ends_after_today(today):
    assert preset_range("last_12_months", today).end == today
    assert add_months(today, -11) == datetime.date(2025, 4, 1)


def test_count_axes_have_whole_ticks_only():
    svg = charts.stacked_bars(
        chart_id="t",
        title="Tasks",
        desc="",
        labels=["a", "b"],
        series=[charts.Series("Done", [1, 0])],
    )

    ticks = re.findall(r'text-anchor="end">([^<]*)<', svg)
    assert ticks == ["0", "1"]


def test_a_level_line_skips_days_without_budget():
    svg = charts.stacked_bars(
        chart_id="b",
        title="Days",
        desc="",
        labels=["Fri", "Sat"],
        series=[charts.Series("Logged", [30, 15])],
        line=charts.Series("Budget", [120, 0]),
    )

    assert svg.count('class="ah-ref" d="M') == 1
    assert svg.count("H") >= 1
    assert re.findall(r'text-anchor="end">([^<]*)<', svg)[-1] == "150"


def test_the_department_drill_down_keeps_the_range(login, org, today):
    _log(org.staff_profile, datetime.date(2026, 2, 10), 30)
    summaries_rebuild()

    response = login(org.admin).get(
        reverse("tasks:dashboard_org"), {"start": "2026-02-01", "end": "2026-02-28"}
    )

    link = response.context["dashboard"].tables["departments"].rows[0].link
    assert link.endswith("?start=2026-02-01&end=2026-02-28")
