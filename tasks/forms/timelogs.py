"""Forms of the time-logging pages.

The forms only turn what was typed into Python values (a date, a whole number, a
category). Every rule about those values — positive minutes, no future day, the edit
window, the budget, the length of texts, the duties confirmation — lives in
``tasks.services`` and comes back as a ``ValidationError`` that the view puts beside
the field, so the same wording reaches the pages, the API and the admin.
"""

from __future__ import annotations

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from departments.forms import DateInput, NumberInput, ShortListChoiceField, Textarea
from tasks import selectors
from tasks.models import MAX_LOG_MINUTES, MAX_TEXT, MarketingTask

QUICK_MINUTES = (15, 30, 45, 60, 90, 120)
MINUTES_DATALIST_ID = "ah-quick-minutes"


def _minutes_field(label, help_text) -> forms.IntegerField:
    # No min/max validators here: the service owns the rule and its message. The
    # browser attributes only help people who type.
    return forms.IntegerField(
        label=label,
        help_text=help_text,
        widget=NumberInput(
            attrs={
                "min": 1,
                "max": MAX_LOG_MINUTES,
                "step": 1,
                "inputmode": "numeric",
                "list": MINUTES_DATALIST_ID,
            }
        ),
        error_messages={"invalid": _("Enter the minutes as a whole number, e.g. 30.")},
    )


def _text_widget(rows: int) -> Textarea:
    return Textarea(attrs={"rows": rows, "maxlength": MAX_TEXT})


class TimeLogForm(forms.Form):
    day = forms.DateField(
        label=_("Date"),
        widget=DateInput(),
        help_text=_("Today, or a recent day you forgot to log."),
        error_messages={"invalid": _("Enter a date such as 2026-03-10.")},
    )
    minutes = _minutes_field(
        _("Minutes"), _("15-minute steps or free: any whole number of minutes.")
    )
    category = ShortListChoiceField(
        label=_("Category"),
        queryset=selectors.active_categories(),
        empty_label=_("Choose a category"),
    )
    task = ShortListChoiceField(
        label=_("Task"),
        queryset=MarketingTask.objects.none(),
        required=False,
        empty_label=_("No task (own initiative)"),
        help_text=_("The marketing task this work was for, if any."),
    )
    description = forms.CharField(
        label=_("What did you do?"),
        required=False,
        widget=_text_widget(3),
        help_text=_(
            "Required: a sentence or two, e.g. “Called three clients about the spring offer.”"
        ),
    )
    outcome = forms.CharField(
        label=_("Outcome"),
        required=False,
        widget=_text_widget(2),
        help_text=_("Optional: what came of it (a meeting agreed, a lead, a reply)."),
    )
    duties_done = forms.BooleanField(
        label=_("My own duties for the day are done"),
        required=False,
        help_text=_("Marketing-assist work comes on top of your own job, never instead of it."),
    )

    def __init__(self, *args, user, current_task_id: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["day"].widget.attrs["max"] = today.isoformat()
        self.fields["category"].label_from_instance = lambda category: category.label
        # Tasks still open for this person, plus the one an entry already points at.
        tasks = selectors.open_tasks_for(user=user)
        if current_task_id is not None:
            tasks = MarketingTask.objects.filter(
                Q(pk__in=tasks.values("pk")) | Q(pk=current_task_id)
            ).order_by("due_date", "pk")
        self.fields["task"].queryset = tasks

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "day": data["day"],
            "minutes": data["minutes"],
            "category": data["category"],
            "task": data["task"],
            "description": data["description"],
            "outcome": data["outcome"],
            "duties_done": data["duties_done"],
        }


class ExtensionRequestForm(forms.Form):
    day = forms.DateField(
        label=_("Date"),
        widget=DateInput(),
        help_text=_("The day you need more time for."),
        error_messages={"invalid": _("Enter a date such as 2026-03-10.")},
    )
    minutes = _minutes_field(
        _("Extra minutes"), _("On top of your daily budget, for that day only.")
    )
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        widget=_text_widget(3),
        help_text=_("Required: why you need more time. Your line supervisor decides on it."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["minutes"].widget.attrs.pop("list", None)
