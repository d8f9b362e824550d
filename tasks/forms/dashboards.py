"""The dashboards' filter: a date range (a preset or from/to) and, where it makes
sense, a department."""

from __future__ import annotations

import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from departments.forms import DateInput, ListSelect
from tasks.dashboards import (
    DEFAULT_PRESET,
    MAX_RANGE_DAYS,
    PRESETS,
    DateRange,
    preset_range,
)

EARLIEST = datetime.date(2000, 1, 1)


class DashboardFilterForm(forms.Form):
    preset = forms.ChoiceField(label=_("Period"), choices=[("", "—"), *PRESETS], required=False)
    start = forms.DateField(
        label=_("From"),
        required=False,
        widget=DateInput(attrs={"class": "form-control form-control-sm"}),
    )
    end = forms.DateField(
        label=_("To"),
        required=False,
        widget=DateInput(attrs={"class": "form-control form-control-sm"}),
    )
    department = forms.TypedChoiceField(
        label=_("Department"),
        required=False,
        coerce=int,
        empty_value=None,
        widget=ListSelect(attrs={"class": "form-select form-select-sm"}),
    )

    def __init__(self, *args, today: datetime.date, departments=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        if departments is None:
            del self.fields["department"]
        else:
            self.fields["department"].choices = [
                ("", _("All departments")),
                *[(str(pk), name) for pk, name in departments],
            ]

    def clean(self):
        cleaned = super().clean()
        preset, start, end = cleaned.get("preset"), cleaned.get("start"), cleaned.get("end")
        if self.errors:
            return cleaned
        if preset or not (start or end):
            cleaned["range"] = preset_range(preset or DEFAULT_PRESET, self.today)
            return cleaned
        end = min(end or self.today, self.today)
        start = start or end.replace(day=1)
        if start < EARLIEST:
            self.add_error("start", _("Choose a day after %(day)s.") % {"day": EARLIEST})
        elif start > end:
            self.add_error(
                "start", _("The first day must come before the last one (at the latest today).")
            )
        elif (end - start).days >= MAX_RANGE_DAYS:
            self.add_error(
                "start", _("Choose at most %(days)d days at once.") % {"days": MAX_RANGE_DAYS}
            )
        else:
            cleaned["range"] = DateRange(start, end)
        return cleaned

    def date_range(self) -> DateRange:
        """The chosen range, or this month when the input is not valid."""
        if self.is_valid():
            return self.cleaned_data["range"]
        return preset_range(DEFAULT_PRESET, self.today)

    def department_id(self) -> int | None:
        if "department" not in self.fields or not self.is_valid():
            return None
        return self.cleaned_data.get("department")
