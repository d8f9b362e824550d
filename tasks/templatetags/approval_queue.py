"""The approval queue's person-days, drawn in Python.

A page holds a page of entries (``QUEUE_LIMIT``), most often one per person-day. Drawn
through a template include per day, with a ``{% blocktranslate %}`` and a ``{% url %}`` per
entry, a hundred of them took most of the page's time (about 25 ms of 57 at 10,000
people). Django's admin draws its change list's rows the same way (``items_for_result``),
for the same reason.
Every text drawn passes through ``escape`` (the standard library's, which Django's own
``escape`` calls, without its lazy-string wrapper); numbers are drawn as ``int``.
"""

from __future__ import annotations

from html import escape

from django import template
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext, ngettext

register = template.Library()

TEXT_LIMIT = 200  # characters of a description or outcome shown in the queue

DAY = """<section class="card mb-3" aria-labelledby="group-{index}-label">
  <div class="card-header d-flex flex-wrap justify-content-between align-items-center gap-2">
    <div class="form-check mb-0">
      <input class="form-check-input" type="checkbox" name="logs" value="{ids}" \
id="group-{index}" data-check-all="input[data-group='{index}']"{checked}>
      <label class="form-check-label" for="group-{index}" id="group-{index}-label">
        <strong>{name}</strong>
        <span class="text-body-secondary">· {department} · {when}</span>
      </label>
    </div>
    <div class="small">{waiting} · <span{over_class}>{figures}</span>{over_badge}</div>
  </div>
  <div class="table-responsive">
  <table class="table table-sm align-middle mb-0">
    {head}
    <tbody>{rows}</tbody>
  </table>
  </div>
</section>
"""

ENTRY = (
    '<tr><td><input class="form-check-input" type="checkbox" name="logs" value="{pk}" '
    'id="log-{pk}" data-entry data-group="{index}"{checked} aria-label="{label}"></td>'
    '<td class="text-end">{minutes}</td><td>{category}</td><td>{task}</td>'
    '<td class="ah-pre">{description}</td><td class="ah-pre">{outcome}</td></tr>\n'
)

NO_TASK = '<span class="text-body-secondary">—</span>'


def _text(text: str) -> str:
    """Escaped, and shortened the way ``|truncatechars`` shortens (a shorter text as is)."""
    if len(text) > TEXT_LIMIT:
        text = Truncator(text).chars(TEXT_LIMIT)
    return escape(text)


class _Page:
    """What every day of one page shares: the translated words, the column heads, and
    the task links and dates already drawn."""

    def __init__(self, selected):
        self.selected = selected
        self.day_label = gettext("%(weekday)s, %(date)s")
        self.figures = gettext("%(counted)s of %(cap)s minutes that day")
        self.over_badge = ' <span class="badge text-bg-danger">{}</span>'.format(
            escape(gettext("over budget"))
        )
        self.head = (
            '<thead><tr><th scope="col"><span class="visually-hidden">{}</span></th>'
            '<th scope="col" class="text-end">{}</th><th scope="col">{}</th>'
            '<th scope="col">{}</th><th scope="col">{}</th><th scope="col">{}</th>'
            "</tr></thead>"
        ).format(
            *map(
                escape,
                (
                    gettext("Tick"),
                    gettext("Minutes"),
                    gettext("Category"),
                    gettext("Task"),
                    gettext("Description"),
                    gettext("Outcome"),
                ),
            )
        )
        # Drawn once a page each: the same people, days, tasks and minutes recur.
        self.tasks: dict[int, str] = {}
        self.dates: dict = {}
        self.categories: dict[int, str] = {}
        self.people: dict[int, tuple[str, str]] = {}
        self.waiting: dict[int, str] = {}
        self.labels: dict[int, str] = {}

    def task(self, log) -> str:
        if log.task_id is None:
            return NO_TASK
        link = self.tasks.get(log.task_id)
        if link is None:
            link = self.tasks[log.task_id] = '<a href="{}">{}</a>'.format(
                escape(reverse("tasks:task_detail", args=[log.task_id])), escape(log.task_title)
            )
        return link

    def category(self, category) -> str:
        label = self.categories.get(category.pk)
        if label is None:
            label = self.categories[category.pk] = escape(category.label)
        return label

    def date(self, day) -> str:
        drawn = self.dates.get(day)
        if drawn is None:
            drawn = self.dates[day] = escape(
                self.day_label
                % {"weekday": date_format(day, "D"), "date": date_format(day, "DATE_FORMAT")}
            )
        return drawn

    def person(self, person) -> tuple[str, str]:
        drawn = self.people.get(person.pk)
        if drawn is None:
            drawn = self.people[person.pk] = (
                escape(person.display_name),
                escape(person.department),
            )
        return drawn

    def label(self, minutes: int) -> str:
        label = self.labels.get(minutes)
        if label is None:
            label = self.labels[minutes] = escape(
                ngettext(
                    "Tick the entry of %(minutes)s minute",
                    "Tick the entry of %(minutes)s minutes",
                    minutes,
                )
                % {"minutes": minutes}
            )
        return label

    def waiting_text(self, minutes: int) -> str:
        text = self.waiting.get(minutes)
        if text is None:
            text = self.waiting[minutes] = escape(
                ngettext("%(minutes)s minute waiting", "%(minutes)s minutes waiting", minutes)
                % {"minutes": minutes}
            )
        return text

    def entry(self, log, index: int) -> str:
        return ENTRY.format(
            pk=int(log.pk),
            index=index,
            checked=" checked" if log.pk in self.selected else "",
            label=self.label(log.minutes),
            minutes=int(log.minutes),
            category=self.category(log.category),
            task=self.task(log),
            description=_text(log.description),
            outcome=_text(log.outcome) or "—",
        )

    def day(self, group, index: int) -> str:
        name, department = self.person(group.staff)
        figures = group.figures
        return DAY.format(
            index=index,
            ids=group.ids,  # numbers and commas
            checked=" checked" if group.checked else "",
            name=name,
            department=department,
            when=self.date(group.day),
            waiting=self.waiting_text(group.pending_minutes),
            over_class=' class="text-danger fw-semibold"' if figures.over else "",
            figures=escape(self.figures % {"counted": figures.counted, "cap": figures.cap}),
            over_badge=self.over_badge if figures.over else "",
            head=self.head,
            rows="".join(self.entry(log, index) for log in group.logs),
        )


@register.simple_tag
def approval_days(queue, selected) -> SafeString:
    """Each person-day of ``queue``: a card whose checkbox ticks the whole day, and a table
    of its entries, each with its own checkbox (ticked when its id is in ``selected``)."""
    page = _Page(selected)
    return mark_safe(  # noqa: S308 - every text in it went through escape()
        "".join(page.day(group, index) for index, group in enumerate(queue.days, start=1))
    )
