"""Dashboard pages: mine, my team's, the marketing lead's, the organisation's and one
department's. Each reads its figures from ``tasks.dashboards`` (summary tables and small
aggregates), draws server-rendered SVG charts from them with an accessible table beside
each, and answers ``?format=csv`` with the same figures."""

from __future__ import annotations

import csv
import datetime
from dataclasses import dataclass
from decimal import Decimal
from html import escape

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import path
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET

from departments.models import Department
from departments.roles import get_profile
from tasks import charts, permissions
from tasks import dashboards as figures
from tasks.dashboards import Dashboard, Formatter, Table
from tasks.forms.dashboards import DashboardFilterForm

CSV_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Section:
    table: Table
    charts: list[SafeString]
    wide: bool = False
    note: str = ""

    @property
    def table_html(self) -> SafeString:
        return table_html(self.table)

    @property
    def key(self) -> str:
        return self.table.key

    @property
    def title(self) -> str:
        return self.table.title


PLAIN = (int, Decimal)
NUMERIC_HEADER = '<th scope="col" class="text-end">'
ROW_HEADER = 'scope="row" class="fw-normal"'


def table_html(table: Table) -> SafeString:
    """A figures table as accessible HTML: a caption, column headers, a row header per
    row (linked where the row has a link), the total in the footer. Written here rather
    than through a template include per cell: a team's or the organisation's tables have
    about a thousand cells, which the template engine takes milliseconds to draw."""
    written = Formatter()
    columns = table.columns
    caption = escape(str(table.caption or table.title))
    numeric = [column.numeric for column in columns]

    def text(value, kind: str) -> str:
        written_value = written(value, kind)
        # A number, or the dash for none, needs no escaping.
        return written_value if value is None or type(value) in PLAIN else escape(written_value)

    def cells(values: list, *, row_class: str = "", link: str = "") -> str:
        first = text(values[0], columns[0].kind)
        if link:
            first = f'<a href="{escape(link)}">{first}</a>'
        rest = "".join(
            f'<td class="text-end text-nowrap">{text(value, column.kind)}</td>'
            if is_numeric
            else f"<td>{text(value, column.kind)}</td>"
            for value, column, is_numeric in zip(values[1:], columns[1:], numeric[1:], strict=True)
        )
        return f"<th {row_class}>{first}</th>{rest}"

    parts = [
        '<div class="table-responsive ah-table-scroll" tabindex="0" role="region" '
        f'aria-label="{caption}">'
        if table.scroll
        else '<div class="table-responsive">',
        '<table class="table table-sm table-hover align-middle ah-dash-table" '
        f'id="table-{escape(table.key)}"><caption class="small">{caption}</caption><thead><tr>',
        *(
            (NUMERIC_HEADER if column.numeric else '<th scope="col">')
            + escape(str(column.label))
            + "</th>"
            for column in columns
        ),
        "</tr></thead><tbody>",
    ]
    for row in table.rows:
        css = f' class="{escape(row.css)}"' if row.css else ""
        parts.append(f"<tr{css}>{cells(row.cells, row_class=ROW_HEADER, link=row.link)}</tr>")
    if not table.rows:
        parts.append(
            f'<tr><td colspan="{len(columns)}" class="text-body-secondary">'
            f"{escape(_('Nothing in this range.'))}</td></tr>"
        )
    parts.append("</tbody>")
    if table.total is not None:
        total = cells(table.total.cells, row_class='scope="row"')
        parts.append(f'<tfoot><tr class="fw-semibold">{total}</tr></tfoot>')
    parts.append("</table></div>")
    return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped


# --------------------------------------------------------------------------- filters and CSV


@dataclass
class Filters:
    form: DashboardFilterForm
    rng: figures.DateRange
    department_id: int | None
    today: datetime.date


def _filters(request: HttpRequest, *, departments=None) -> Filters:
    today = timezone.localdate()
    form = DashboardFilterForm(request.GET, today=today, departments=departments)
    rng = form.date_range()
    department_id = form.department_id()
    if form.is_valid():
        # Show the resolved range (a preset's days) in the from/to fields.
        form = DashboardFilterForm(
            initial={"start": rng.start, "end": rng.end, "department": department_id or ""},
            today=today,
            departments=departments,
        )
    return Filters(form=form, rng=rng, department_id=department_id, today=today)


def _querystring(request: HttpRequest, **changes) -> str:
    query = request.GET.copy()
    for name, value in changes.items():
        query.pop(name, None)
        if value not in (None, ""):
            query[name] = value
    return f"?{query.urlencode()}" if query else "?"


def _filter_context(request: HttpRequest, filters: Filters) -> dict:
    active = figures.preset_of(filters.rng, filters.today)
    presets = [
        {
            "key": key,
            "label": label,
            "active": key == active,
            "url": _querystring(
                request,
                preset=key,
                start=None,
                end=None,
                format=None,
                department=filters.department_id,
            ),
        }
        for key, label in figures.PRESETS
    ]
    return {
        "filter_form": filters.form,
        "presets": presets,
        "csv_url": _querystring(request, format="csv"),
        "rng": filters.rng,
    }


def _csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal | int):
        return str(value)
    text = str(value)
    # A cell starting like a formula is written as text (spreadsheet injection).
    return f"'{text}" if text.startswith(CSV_FORMULA_START) else text


def csv_response(dashboard: Dashboard) -> HttpResponse:
    """The dashboard's figures — the same values as the page — as one CSV file."""
    rng = dashboard.rng
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="allhands-{dashboard.kind}-{rng.start}-{rng.end}.csv"'
    )
    response.write("\ufeff")  # so that spreadsheets read the Chinese text as UTF-8
    writer = csv.writer(response)
    writer.writerow([_csv_value(dashboard.title), rng.start.isoformat(), rng.end.isoformat()])
    writer.writerow([])
    writer.writerow([_("Summary")])
    for kpi in dashboard.kpis:
        writer.writerow([_csv_value(kpi.label), _csv_value(kpi.value)])
    for table in dashboard.tables.values():
        writer.writerow([])
        writer.writerow([_csv_value(table.title)])
        writer.writerow([_csv_value(column.label) for column in table.columns])
        for row in table.rows:
            writer.writerow([_csv_value(value) for value in row.cells])
        if table.total is not None:
            writer.writerow([_csv_value(value) for value in table.total.cells])
    return response


def _respond(
    request: HttpRequest,
    template: str,
    dashboard: Dashboard,
    filters: Filters,
    sections: list[Section],
    **extra,
) -> HttpResponse:
    if request.GET.get("format") == "csv":
        return csv_response(dashboard)
    return render(
        request,
        template,
        {
            "dashboard": dashboard,
            "sections": sections,
            **_filter_context(request, filters),
            **extra,
        },
    )


# --------------------------------------------------------------------------- chart helpers


def _label(kind: str):
    written = Formatter()
    return lambda value: written(value, kind)


def _bars(table: Table, *, value_index: int, kind: str, **options) -> SafeString:
    return charts.bar_chart(
        chart_id=f"chart-{table.key}",
        title=table.title,
        desc=table.caption or table.title,
        items=[(str(row.cells[0]), row.cells[value_index] or 0) for row in table.rows],
        value_label=_label(kind),
        empty=_("Nothing in this range."),
        **options,
    )


def _short_day(day: datetime.date) -> str:
    """Chart labels stay short on a phone: 3/9 (the tables spell the dates out)."""
    return f"{day.month}/{day.day}"


def _short_month(day: datetime.date) -> str:
    return f"{day.year}-{day.month:02d}"


# --------------------------------------------------------------------------- my dashboard


@require_GET
def dashboard_me(request: HttpRequest) -> HttpResponse:
    if not permissions.can_view_my_dashboard(request.user):
        raise PermissionDenied
    filters = _filters(request)
    dashboard = figures.me_dashboard(profile=get_profile(request.user), rng=filters.rng)
    days = dashboard.tables["days"]
    day_chart = charts.stacked_bars(
        chart_id="chart-days",
        title=days.title,
        desc=_("Approved and waiting minutes per day; the line is the day's budget."),
        labels=[_short_day(row.cells[0]) for row in days.rows],
        series=[
            charts.Series(_("Approved"), [row.cells[3] for row in days.rows], "ah-c0"),
            charts.Series(
                _("Submitted, awaiting approval"),
                [row.cells[2] - row.cells[3] for row in days.rows],
                "ah-c1",
            ),
        ],
        line=charts.Series(_("Budget"), [row.cells[1] for row in days.rows]),
        value_label=_label("minutes"),
    )
    tables = dashboard.tables
    sections = [
        Section(days, [day_chart], wide=True),
        Section(tables["categories"], [_bars(tables["categories"], value_index=1, kind="minutes")]),
        Section(tables["tasks"], [_bars(tables["tasks"], value_index=1, kind="int", css="ah-c2")]),
        Section(tables["leads"], [_bars(tables["leads"], value_index=1, kind="int", css="ah-c3")]),
        Section(tables["rewards"], []),
    ]
    return _respond(request, "tasks/dashboard_me.html", dashboard, filters, sections)


# --------------------------------------------------------------------------- team dashboard


@require_GET
def dashboard_team(request: HttpRequest) -> HttpResponse:
    if not permissions.can_view_team_dashboard(request.user):
        raise PermissionDenied
    today = timezone.localdate()
    scope = figures.team_scope(user=request.user, today=today)
    filters = _filters(request, departments=figures.department_choices(scope.people))
    dashboard = figures.team_dashboard(
        scope=scope, rng=filters.rng, department_id=filters.department_id
    )
    request.nav_pending_count = dashboard.approvals_waiting  # what the navigation badge counts
    tables = dashboard.tables
    weeks = tables["weeks"]
    week_labels = [_short_day(week.start) for week in dashboard.rng.weeks()]
    week_values = weeks.total.cells[1:-1] if weeks.total else []
    week_chart = charts.stacked_bars(
        chart_id="chart-weeks",
        title=_("Team usage per week"),
        desc=_("Share of the team's weekly budget used; the line marks 100 %."),
        labels=week_labels,
        series=[charts.Series(_("Used"), [value or 0 for value in week_values], "ah-c0")],
        line=charts.Series(_("Budget"), [100] * len(week_labels)),
        value_label=_label("percent"),
    )
    sections = [
        Section(
            tables["usage"],
            [
                _bars(
                    tables["usage"],
                    value_index=5,
                    kind="percent",
                    marker=100,
                    marker_label=_("Budget"),
                )
            ],
        ),
        Section(weeks, [week_chart], wide=True),
        Section(tables["categories"], [_bars(tables["categories"], value_index=1, kind="minutes")]),
        Section(
            tables["pending"], [_bars(tables["pending"], value_index=1, kind="int", css="ah-c4")]
        ),
    ]
    return _respond(request, "tasks/dashboard_team.html", dashboard, filters, sections)


# --------------------------------------------------------------------------- marketing dashboard


@require_GET
def dashboard_marketing(request: HttpRequest) -> HttpResponse:
    if not permissions.can_view_marketing_dashboard(request.user):
        raise PermissionDenied
    filters = _filters(request, departments=figures.marketing_departments())
    everyone = permissions.marketing_dashboard_covers_everyone(request.user)
    dashboard = figures.marketing_dashboard(
        user=request.user,
        rng=filters.rng,
        today=filters.today,
        department_id=filters.department_id,
        everyone=everyone,
    )
    tables = dashboard.tables
    weeks = tables["weeks"]
    throughput = charts.stacked_bars(
        chart_id="chart-throughput",
        title=_("Tasks done per week"),
        desc=weeks.caption,
        labels=[_short_day(row.cells[0]) for row in weeks.rows],
        series=[charts.Series(_("Tasks done"), [row.cells[1] for row in weeks.rows], "ah-c0")],
        value_label=_label("int"),
    )
    outcomes = charts.line_chart(
        chart_id="chart-outcomes",
        title=_("Outcomes per approved hour"),
        desc=_("Confirmed outcomes per approved hour, week by week."),
        labels=[_short_day(row.cells[0]) for row in weeks.rows],
        series=[
            charts.Series(
                _("Outcomes per approved hour"), [row.cells[4] or 0 for row in weeks.rows], "ah-c2"
            )
        ],
        value_label=_label("ratio"),
    )
    funnel = tables["funnel"]
    funnel_chart = charts.funnel(
        chart_id="chart-funnel",
        title=funnel.title,
        desc=funnel.caption,
        stages=[(str(row.cells[0]), row.cells[1]) for row in funnel.rows],
        empty=_("No leads introduced in this range."),
    )
    by_department = tables["departments"]
    status_columns = by_department.columns[1:-1]
    department_chart = charts.stacked_bars(
        chart_id="chart-lead-departments",
        title=by_department.title,
        desc=_("Leads of each introducer's department, stacked by status."),
        labels=[str(row.cells[0]) for row in by_department.rows],
        series=[
            charts.Series(
                column.label,
                [row.cells[index + 1] for row in by_department.rows],
                f"ah-c{index % charts.PALETTE}",
            )
            for index, column in enumerate(status_columns)
        ],
        value_label=_label("int"),
        empty=_("No leads introduced in this range."),
    )
    sections = [
        Section(weeks, [throughput, outcomes], wide=True),
        Section(funnel, [funnel_chart]),
        Section(
            tables["stages"], [_bars(tables["stages"], value_index=1, kind="int", css="ah-c3")]
        ),
        Section(by_department, [department_chart], wide=True),
    ]
    return _respond(
        request,
        "tasks/dashboard_marketing.html",
        dashboard,
        filters,
        sections,
        everyone=everyone,
    )


# --------------------------------------------------------------------------- organisation


# The organisation chart's bars: the departments with the most hours (the table beside it
# lists every one). A hundred bars made a chart two thousand pixels tall.
CHART_DEPARTMENTS = 15


def _busiest_departments(table: Table) -> SafeString:
    rows = table.rows
    if len(rows) > CHART_DEPARTMENTS:
        rows = sorted(rows, key=lambda row: -(row.cells[4] or 0))[:CHART_DEPARTMENTS]
        title = ngettext(
            "The %(count)d department with the most hours logged",
            "The %(count)d departments with the most hours logged",
            CHART_DEPARTMENTS,
        ) % {"count": CHART_DEPARTMENTS}
    else:
        title = _("Hours logged by department")
    return charts.bar_chart(
        chart_id=f"chart-{table.key}",
        title=title,
        desc=_(
            "Hours logged (submitted and approved) in the range; the table lists every department."
        ),
        items=[(str(row.cells[0]), row.cells[4] or 0) for row in rows],
        value_label=_label("hours"),
        empty=_("Nothing in this range."),
    )


@require_GET
def dashboard_org(request: HttpRequest) -> HttpResponse:
    if not permissions.can_view_org_dashboard(request.user):
        raise PermissionDenied
    filters = _filters(request)
    dashboard = figures.org_dashboard(
        rng=filters.rng, drill_down=permissions.can_view_department_dashboard(request.user)
    )
    tables = dashboard.tables
    kept = f"?start={filters.rng.start.isoformat()}&end={filters.rng.end.isoformat()}"
    for row in tables["departments"].rows:
        if row.link:
            row.link += kept  # the drill-down keeps the range
    trend = tables["trend"]
    month_labels = [_short_month(row.cells[0]) for row in trend.rows]
    participation_trend = charts.line_chart(
        chart_id="chart-trend-participation",
        title=_("Participation per month"),
        desc=trend.caption,
        labels=month_labels,
        series=[
            charts.Series(_("Participation"), [row.cells[2] or 0 for row in trend.rows], "ah-c0")
        ],
        value_label=_label("percent"),
        top_value=100,
    )
    hours_trend = charts.line_chart(
        chart_id="chart-trend-hours",
        title=_("Hours per month"),
        desc=trend.caption,
        labels=month_labels,
        series=[
            charts.Series(_("Hours logged"), [row.cells[3] for row in trend.rows], "ah-c1"),
            charts.Series(_("Hours approved"), [row.cells[4] for row in trend.rows], "ah-c2"),
        ],
        value_label=_label("hours"),
    )
    participation = tables["participation"]
    participation_chart = charts.stacked_bars(
        chart_id="chart-participation",
        title=participation.title,
        desc=participation.caption,
        labels=[_short_day(row.cells[0]) for row in participation.rows],
        series=[
            charts.Series(
                _("Participation"), [row.cells[2] or 0 for row in participation.rows], "ah-c0"
            )
        ],
        value_label=_label("percent"),
    )
    sections = [
        Section(tables["departments"], [_busiest_departments(tables["departments"])]),
        Section(tables["categories"], [_bars(tables["categories"], value_index=1, kind="hours")]),
        Section(participation, [participation_chart]),
        Section(trend, [participation_trend, hours_trend], wide=True),
        Section(tables["money"], []),
    ]
    return _respond(request, "tasks/dashboard_org.html", dashboard, filters, sections)


@require_GET
def dashboard_department(request: HttpRequest, pk: int) -> HttpResponse:
    if not permissions.can_view_department_dashboard(request.user):
        raise PermissionDenied
    department = get_object_or_404(Department, pk=pk, kind=Department.Kind.NON_MARKETING)
    filters = _filters(request)
    dashboard = figures.department_dashboard(department=department, rng=filters.rng)
    tables = dashboard.tables
    sections = [
        Section(
            tables["people"],
            [
                _bars(
                    tables["people"],
                    value_index=4,
                    kind="percent",
                    marker=100,
                    marker_label=_("Budget"),
                )
            ],
            wide=True,
        ),
        Section(tables["categories"], [_bars(tables["categories"], value_index=1, kind="hours")]),
    ]
    return _respond(
        request,
        "tasks/dashboard_department.html",
        dashboard,
        filters,
        sections,
        department=department,
    )


urlpatterns = [
    path("dashboard/me/", dashboard_me, name="dashboard_me"),
    path("dashboard/team/", dashboard_team, name="dashboard_team"),
    path("dashboard/marketing/", dashboard_marketing, name="dashboard_marketing"),
    path("dashboard/org/", dashboard_org, name="dashboard_org"),
    path("dashboard/department/<int:pk>/", dashboard_department, name="dashboard_department"),
]
