"""Forms of the approvals pages. They parse input only: who may decide what, and what a
decision needs, is checked by the services."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from departments.forms import DateInput, ListSelect, Textarea
from tasks.models import MAX_TEXT, TimeLog
from tasks.selectors_outcomes import tasks_with_outcomes_to_review

MAX_IDS_PER_DECISION = 2000


class ListedChoiceField(forms.ChoiceField):
    """A choice among objects read beforehand: listing them takes no query (a
    ModelChoiceField opens a server-side cursor each time it is drawn) and neither does
    checking the choice. Cleans to the object, or None."""

    widget = ListSelect

    def __init__(self, *, empty_label, **kwargs):
        self.empty_label = empty_label
        self.objects: dict[str, object] = {}
        super().__init__(choices=[("", empty_label)], **kwargs)

    def set_objects(self, objects, label=str) -> None:
        self.objects = {str(obj.pk): obj for obj in objects}
        self.choices = [("", self.empty_label)] + [
            (key, label(obj)) for key, obj in self.objects.items()
        ]

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return self.objects[str(value)]
        except KeyError:
            raise ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": value},
            ) from None

    def validate(self, value) -> None:
        forms.Field.validate(self, value)  # the choice itself was checked by to_python


class QueueFilterForm(forms.Form):
    """The approval queue's filters (GET). Every field is optional. The people and
    categories to choose from are the view's (``selectors_approvals.queue_choices``)."""

    person = ListedChoiceField(label=_("Person"), required=False, empty_label=_("Everyone"))
    category = ListedChoiceField(
        label=_("Category"), required=False, empty_label=_("All categories")
    )
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("Until"), required=False, widget=DateInput())

    FIELDS = ("person", "category", "date_from", "date_to")

    def __init__(self, data, *, people, categories, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["person"].set_objects(people, label=lambda person: person.display_name)
        self.fields["category"].set_objects(categories, label=lambda category: category.label)

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end date cannot be before the start date."))
        return data

    def values(self) -> dict:
        """The filters that parsed; a field with an error filters nothing."""
        self.is_valid()
        return {name: self.cleaned_data.get(name) for name in self.FIELDS}

    @property
    def is_filtered(self) -> bool:
        return any(value is not None for value in self.values().values())


class LogIdsField(forms.Field):
    """Ids of the ticked entries. A value may hold several ids separated by commas, so that
    the checkbox of a whole day (or of the whole queue) works without JavaScript."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {
        "invalid": _("The selection could not be read. Reload the page and try again."),
        "too_many": _("Select at most %(max)d entries at a time."),
    }

    def to_python(self, value) -> list[int]:
        if value in self.empty_values:
            return []
        if isinstance(value, str):
            value = [value]
        ids: set[int] = set()
        for item in value:
            for part in str(item).split(","):
                part = part.strip()
                if not part:
                    continue
                if not (part.isascii() and part.isdigit() and len(part) <= 18):
                    raise ValidationError(self.error_messages["invalid"], code="invalid")
                ids.add(int(part))
        if len(ids) > MAX_IDS_PER_DECISION:
            raise ValidationError(
                self.error_messages["too_many"],
                code="too_many",
                params={"max": MAX_IDS_PER_DECISION},
            )
        return sorted(ids)


class BulkDecisionForm(forms.Form):
    APPROVE = "approve"
    REJECT = "reject"

    logs = LogIdsField(required=False)
    action = forms.ChoiceField(
        choices=[(APPROVE, _("Approve")), (REJECT, _("Reject"))],
        error_messages={"required": _("Choose approve or reject.")},
    )
    reason = forms.CharField(
        label=_("Reason for rejection"),
        required=False,
        strip=False,
        widget=Textarea(attrs={"rows": 2, "maxlength": MAX_TEXT}),
        help_text=_("Needed to reject; the person receives it by email."),
    )


class ExtensionDecisionForm(forms.Form):
    GRANT = "grant"
    REFUSE = "refuse"

    decision = forms.ChoiceField(
        choices=[(GRANT, _("Grant")), (REFUSE, _("Refuse"))],
        error_messages={"required": _("Choose grant or refuse.")},
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        strip=False,
        widget=Textarea(attrs={"rows": 2, "maxlength": MAX_TEXT}),
        help_text=_("Needed to refuse."),
    )


class OutcomeReviewForm(forms.Form):
    outcome_status = forms.ChoiceField(
        choices=[
            (TimeLog.OutcomeStatus.CONFIRMED, TimeLog.OutcomeStatus.CONFIRMED.label),
            (TimeLog.OutcomeStatus.NEEDS_FOLLOW_UP, TimeLog.OutcomeStatus.NEEDS_FOLLOW_UP.label),
        ],
        error_messages={"required": _("Choose confirmed or needs follow-up.")},
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        strip=False,
        widget=Textarea(attrs={"rows": 2, "maxlength": MAX_TEXT}),
        help_text=_("Needed when the outcome needs follow-up."),
    )


class OutcomeFilterForm(forms.Form):
    task = forms.ModelChoiceField(
        label=_("Task"), queryset=None, required=False, empty_label=_("All my tasks")
    )

    def __init__(self, data, *, user, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["task"].queryset = tasks_with_outcomes_to_review(user=user)

    def values(self) -> dict:
        self.is_valid()
        return {"task": self.cleaned_data.get("task")}
