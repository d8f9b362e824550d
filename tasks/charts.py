"""Server-rendered SVG charts for the dashboards.

Pure functions from figures to SVG markup: no JavaScript, no inline styles (colours and
type sizes come from classes in ``static/css/dashboards.css``, so a strict CSP holds).
Every chart carries ``role="img"`` with a ``<title>`` and a ``<desc>``, text labels on
its axes and values, and a ``viewBox`` so that it scales to the width of a phone; each
mark has its own ``<title>`` for a tooltip. The figures are also in a table next to the
chart, which is what screen readers and the CSV download use.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

WIDTH = 400
PALETTE = 8  # ah-c0 … ah-c7 in dashboards.css
LABEL_CHARS = 18

Number = int | float | Decimal


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[Number]
    css: str = "ah-c0"


def _fmt(value: Number | None, places: int = 0) -> str:
    if value is None:
        return "—"
    return number_format(value, decimal_pos=places, use_l10n=True, force_grouping=True)


def _default_value_label(value: Number) -> str:
    return _fmt(value, 1 if isinstance(value, Decimal) and value != value.to_integral() else 0)


def _short(label: str, limit: int = LABEL_CHARS) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _scale(highest: float, *, integer: bool) -> tuple[Decimal, Decimal]:
    """A round top for the axis and the step between its ticks (at most five steps;
    whole steps for counts)."""
    if highest <= 0:
        return Decimal(1), Decimal(1)
    raw = Decimal(str(highest)) / 5
    exponent = math.floor(math.log10(raw))
    step = Decimal(10) ** (exponent + 1)
    for multiple in (1, 2, 5):
        candidate = multiple * Decimal(10) ** exponent
        if candidate >= raw:
            step = candidate
            break
    if integer:
        step = max(step, Decimal(1))
    top = step * math.ceil(Decimal(str(highest)) / step)
    return top, step


def _ticks(top: Decimal, step: Decimal) -> list[Decimal | int]:
    count = int(top / step)
    return [_plain(step * n) for n in range(count + 1)]


def _plain(value: Decimal) -> Decimal | int:
    return int(value) if value == value.to_integral_value() else value.normalize()


def _is_integer(values) -> bool:
    return all(isinstance(v, int) or v is None for v in values)


def escape(text) -> str:
    """As ``conditional_escape`` for the plain text a chart writes (never safe markup)."""
    return html.escape(str(text))


def _n(value: float) -> str:
    """A coordinate, short and locale-independent."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _svg(chart_id: str, title: str, desc: str, height: float, body: SafeString) -> SafeString:
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="ah-chart" viewBox="0 0 {} {}" '
        'role="img" aria-labelledby="{}-title {}-desc" preserveAspectRatio="xMidYMin meet">'
        '<title id="{}-title">{}</title><desc id="{}-desc">{}</desc>{}</svg>',
        WIDTH,
        _n(height),
        chart_id,
        chart_id,
        chart_id,
        title,
        chart_id,
        desc,
        body,
    )


def _empty(chart_id: str, title: str, desc: str, message: str) -> SafeString:
    body = format_html(
        '<text class="ah-chart-empty" x="{}" y="34" text-anchor="middle">{}</text>',
        WIDTH // 2,
        message,
    )
    return _svg(chart_id, title, desc, 60, body)


def _legend(series: Sequence[Series], y: float, extra: Sequence[tuple[str, str]] = ()) -> str:
    """Swatches and names, three to a row."""
    entries = [(s.name, s.css, "rect") for s in series] + [(n, c, "line") for n, c in extra]
    parts = []
    for index, (name, css, shape) in enumerate(entries):
        x = 8 + (index % 3) * 130
        row_y = y + (index // 3) * 16
        if shape == "rect":
            swatch = (
                f'<rect class="ah-mark {escape(css)}" x="{x}" y="{_n(row_y - 9)}" '
                'width="10" height="10"></rect>'
            )
        else:
            swatch = (
                f'<line class="{escape(css)}" x1="{x}" x2="{x + 10}" y1="{_n(row_y - 4)}" '
                f'y2="{_n(row_y - 4)}"></line>'
            )
        parts.append(
            f'{swatch}<text class="ah-legend" x="{x + 14}" y="{_n(row_y)}">'
            f"{escape(_short(name, 18))}</text>"
        )
    return mark_safe("".join(parts))  # noqa: S308 - every text in it is escaped


def _legend_height(count: int) -> float:
    return 16 * math.ceil(count / 3) if count else 0


def bar_chart(
    *,
    chart_id: str,
    title: str,
    desc: str,
    items: Sequence[tuple[str, Number]],
    value_label: Callable[[Number], str] = _default_value_label,
    marker: Number | None = None,
    marker_label: str = "",
    empty: str = "",
    css: str = "ah-c0",
) -> SafeString:
    """Horizontal bars, one per item (label, value), with the value written after it.
    ``marker`` draws a dashed reference line (e.g. 100 % of the budget)."""
    if not items:
        return _empty(chart_id, title, desc, empty or title)
    label_w, value_w, row_h, top = 120, 56, 22, 8
    plot_w = WIDTH - label_w - value_w - 8
    top_value = max([float(v or 0) for _label, v in items] + [float(marker or 0)])
    scale = plot_w / (top_value or 1)
    rows = []
    for index, (label, value) in enumerate(items):
        y = top + index * row_h
        width = max(float(value or 0) * scale, 0)
        text = escape(value_label(value))
        # Plain f-strings with every text escaped: the same markup as format_html at a
        # fraction of its cost, for a hundred departments or fifty people.
        rows.append(
            f'<text class="ah-label" x="{label_w - 6}" y="{_n(y + 14)}" text-anchor="end">'
            f"{escape(_short(label))}</text>"
            f'<rect class="ah-mark {escape(css)}" x="{label_w}" y="{_n(y + 3)}" '
            f'width="{_n(width)}" height="{row_h - 6}"><title>{escape(label)}: {text}</title>'
            f'</rect><text class="ah-value" x="{_n(label_w + width + 4)}" y="{_n(y + 14)}">'
            f"{text}</text>"
        )
    height = top + len(items) * row_h + 8
    if marker is not None:
        x = label_w + float(marker) * scale
        rows.append(
            format_html(
                '<line class="ah-ref" x1="{}" x2="{}" y1="{}" y2="{}"><title>{}</title></line>',
                _n(x),
                _n(x),
                top,
                _n(height - 6),
                marker_label,
            )
        )
    body = mark_safe("".join(rows))  # noqa: S308 - every text in it is escaped
    return _svg(chart_id, title, desc, height, body)


def _y_axis(
    ticks: Sequence[Decimal | int],
    y_of: Callable[[float], float],
    left: float,
    value_label: Callable[[Number], str],
) -> list[str]:
    parts = []
    for tick in ticks:
        y = y_of(float(tick))
        parts.append(
            f'<line class="ah-grid" x1="{left}" x2="{WIDTH - 8}" y1="{_n(y)}" y2="{_n(y)}">'
            f'</line><text class="ah-axis" x="{left - 4}" y="{_n(y + 4)}" text-anchor="end">'
            f"{escape(value_label(tick))}</text>"
        )
    return parts


def _x_labels(labels: Sequence[str], x_of: Callable[[int], float], y: float) -> list[str]:
    """At most eight labels, evenly spread, so that they never overlap."""
    every = max(1, math.ceil(len(labels) / 8))
    return [
        f'<text class="ah-axis" x="{_n(x_of(index))}" y="{y}" text-anchor="middle">'
        f"{escape(_short(labels[index], 10))}</text>"
        for index in range(0, len(labels), every)
    ]


def stacked_bars(
    *,
    chart_id: str,
    title: str,
    desc: str,
    labels: Sequence[str],
    series: Sequence[Series],
    line: Series | None = None,
    value_label: Callable[[Number], str] = _default_value_label,
    empty: str = "",
) -> SafeString:
    """Vertical columns, one per label, each stacking the ``series`` values; ``line``
    draws a level over each column (e.g. the budget of each day; none where it is 0)."""
    if not labels:
        return _empty(chart_id, title, desc, empty or title)
    left, top, plot_h, bottom = 40, 10, 150, 30
    plot_w = WIDTH - left - 8
    count = len(labels)
    totals = [sum(float(s.values[i] or 0) for s in series) for i in range(count)]
    levels = [float(v or 0) for v in line.values] if line else []
    every_value = [v for s in series for v in s.values] + (list(line.values) if line else [])
    top_value, tick_step = _scale(max([*totals, *levels, 0]), integer=_is_integer(every_value))
    height_of = float(top_value)
    step = plot_w / count
    bar_w = max(step * 0.8, 0.4)

    def y_of(value: float) -> float:
        return top + plot_h - value / height_of * plot_h

    parts = _y_axis(_ticks(top_value, tick_step), y_of, left, value_label)
    for index, label in enumerate(labels):
        x = left + index * step + (step - bar_w) / 2
        base = 0.0
        for s in series:
            value = float(s.values[index] or 0)
            if value <= 0:
                continue
            parts.append(
                f'<rect class="ah-mark {escape(s.css)}" x="{_n(x)}" y="{_n(y_of(base + value))}" '
                f'width="{_n(bar_w)}" height="{_n(value / height_of * plot_h)}">'
                f"<title>{escape(label)} · {escape(s.name)}: "
                f"{escape(value_label(s.values[index]))}</title></rect>"
            )
            base += value
    parts += _x_labels(labels, lambda i: left + i * step + step / 2, top + plot_h + 14)
    if line is not None:
        segments = [
            f"M{_n(left + index * step)} {_n(y_of(level))}H{_n(left + (index + 1) * step)}"
            for index, level in enumerate(levels)
            if level > 0
        ]
        if segments:
            parts.append(
                format_html(
                    '<path class="ah-ref" d="{}"><title>{}</title></path>',
                    "".join(segments),
                    line.name,
                )
            )
    legend_y = top + plot_h + bottom
    parts.append(_legend(series, legend_y, [(line.name, "ah-ref")] if line else []))
    height = legend_y + _legend_height(len(series) + (1 if line else 0))
    body = mark_safe("".join(parts))  # noqa: S308 - every text in it is escaped
    return _svg(chart_id, title, desc, height, body)


def line_chart(
    *,
    chart_id: str,
    title: str,
    desc: str,
    labels: Sequence[str],
    series: Sequence[Series],
    value_label: Callable[[Number], str] = _default_value_label,
    top_value: Number | None = None,
    empty: str = "",
) -> SafeString:
    """One line per series over the labels (e.g. months), with a dot per value.
    ``top_value`` fixes the top of the axis (e.g. 100 for percentages)."""
    if not labels:
        return _empty(chart_id, title, desc, empty or title)
    left, top, plot_h, bottom = 40, 10, 140, 30
    plot_w = WIDTH - left - 12
    count = len(labels)
    if top_value:
        axis_top = Decimal(str(top_value))
        tick_step = axis_top / 4
    else:
        values = [v for s in series for v in s.values]
        axis_top, tick_step = _scale(
            max([float(v or 0) for v in values] + [0]), integer=_is_integer(values)
        )
    height_of = float(axis_top)
    step = plot_w / max(count - 1, 1)

    def x_of(index: int) -> float:
        return left + index * step

    def y_of(value: float) -> float:
        return top + plot_h - value / height_of * plot_h

    parts = _y_axis(_ticks(axis_top, tick_step), y_of, left, value_label)
    for s in series:
        points = " ".join(
            f"{_n(x_of(i))},{_n(y_of(float(v or 0)))}" for i, v in enumerate(s.values)
        )
        parts.append(f'<polyline class="ah-line {escape(s.css)}" points="{points}"></polyline>')
        for index, value in enumerate(s.values):
            shown = value_label(value) if value is not None else "—"
            parts.append(
                f'<circle class="ah-dot {escape(s.css)}" cx="{_n(x_of(index))}" '
                f'cy="{_n(y_of(float(value or 0)))}" r="2.5"><title>{escape(labels[index])} · '
                f"{escape(s.name)}: {escape(shown)}</title></circle>"
            )
    parts += _x_labels(labels, x_of, top + plot_h + 14)
    legend_y = top + plot_h + bottom
    parts.append(_legend(series, legend_y))
    height = legend_y + _legend_height(len(series))
    body = mark_safe("".join(parts))  # noqa: S308 - every text in it is escaped
    return _svg(chart_id, title, desc, height, body)


def funnel(
    *,
    chart_id: str,
    title: str,
    desc: str,
    stages: Sequence[tuple[str, int]],
    empty: str = "",
) -> SafeString:
    """Centred bars narrowing stage by stage, each with its count and its share of the
    first stage."""
    if not stages or not stages[0][1]:
        return _empty(chart_id, title, desc, empty or title)
    row_h, top, label_h = 34, 6, 12
    first = stages[0][1]
    plot_w = WIDTH - 16
    parts = []
    for index, (label, value) in enumerate(stages):
        width = max(plot_w * value / first, 2)
        x = (WIDTH - width) / 2
        y = top + index * row_h
        share = round(100 * value / first)
        parts.append(
            format_html(
                '<text class="ah-label" x="{}" y="{}" text-anchor="middle">{} · {} ({} %)</text>'
                '<rect class="ah-mark ah-c{}" x="{}" y="{}" width="{}" height="{}">'
                "<title>{}: {}</title></rect>",
                WIDTH // 2,
                _n(y + label_h - 2),
                label,
                _fmt(value),
                share,
                index % PALETTE,
                _n(x),
                _n(y + label_h + 1),
                _n(width),
                row_h - label_h - 6,
                label,
                _fmt(value),
            )
        )
    height = top + len(stages) * row_h + 4
    body = mark_safe("".join(parts))  # noqa: S308 - every text in it is escaped
    return _svg(chart_id, title, desc, height, body)
