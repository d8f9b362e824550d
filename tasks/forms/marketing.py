"""Forms of the marketing pages: the task a marketing lead creates and assigns, the
follow-up thread, and the assignee's answers.

The forms only parse what was typed; every rule (positive estimate, due date not in the
past, who may be assigned, required reasons) is the service's, whose messages the views
put beside the fields.
"""

from __future__ import annotations

from django import forms
from django.forms.models import ModelChoiceIterator
from django.utils.translation import gettext_lazy as _

from departments.forms import DateInput
from tasks import selectors
from tasks.models import MAX_TEXT

TITLE_MAX = 200


class CandidateIterator(ModelChoiceIterator):
    """Hands each candidate to the template with their remaining budget this week, from
    the list the form already read (no second query when the checkboxes are drawn)."""

    def __iter__(self):
        for obj in self.field.people:
            yield self.choice(obj)

    def __len__(self):
        return len(self.field.people)

    def __bool__(self):
        return bool(self.field.people)

    def choice(self, obj):
        obj.remaining_week_minutes = self.field.remaining.get(obj.pk, 0)
        estimate = self.field.estimate
        obj.over_budget = estimate is not None and estimate > obj.remaining_week_minutes
        return super().choice(obj)


class CandidateField(forms.ModelMultipleChoiceField):
    iterator = CandidateIterator

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.people: list = []
        self.remaining: dict[int, int] = {}
        self.estimate: int | None = None

    def label_from_instance(self, obj):
        return _("%(name)s (%(department)s) — %(minutes)d min left this week") % {
            "name": obj.display_name,
            "department": obj.department.name,
            "minutes": self.remaining.get(obj.pk, 0),
        }


class TaskForm(forms.Form):
    title = forms.CharField(
        label=_("Title"),
        required=False,
        widget=forms.TextInput(attrs={"maxlength": TITLE_MAX}),
    )
    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=selectors.active_categories(),
        required=False,
        empty_label=_("Choose a category"),
    )
    due_date = forms.DateField(label=_("Due date"), widget=DateInput())
    estimated_minutes = forms.IntegerField(
        label=_("Estimated minutes"),
        required=False,
        widget=forms.NumberInput(attrs={"min": 1, "step": 1}),
        help_text=_("Per assignee. Each person's remaining budget this week is shown below."),
    )
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": MAX_TEXT * 2}),
        help_text=_("What should be done, for which client, and what counts as done."),
    )
    assignees = CandidateField(
        label=_("Assign to"),
        queryset=selectors.assignable_people(),
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        help_text=_(
            "Active non-marketing staff. The estimate is compared with what is left of each "
            "person's marketing budget from today to Friday; it may exceed it, with a warning."
        ),
    )

    def __init__(self, *args, today, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["assignees"]
        field.people = list(field.queryset)
        field.remaining = selectors.remaining_week_minutes(people=field.people, today=today)
        field.estimate = self._typed_estimate()

    def _typed_estimate(self) -> int | None:
        """The estimate as typed, to mark candidates before the form is even valid."""
        if not self.is_bound:
            return None
        try:
            value = int(self.data.get(self.add_prefix("estimated_minutes"), ""))
        except (TypeError, ValueError):
            return None
        return value if value > 0 else None

    def over_budget(self) -> list:
        """Chosen people whose remaining week budget is below the estimate."""
        data = getattr(self, "cleaned_data", {})
        estimate = data.get("estimated_minutes")
        remaining = self.fields["assignees"].remaining
        if not estimate:
            return []
        return [
            profile
            for profile in data.get("assignees") or []
            if estimate > remaining.get(profile.pk, 0)
        ]

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "title": data["title"],
            "category": data["category"],
            "due_date": data["due_date"],
            "estimated_minutes": data["estimated_minutes"],
            "description": data["description"],
            "assignees": [profile.user for profile in data["assignees"]],
        }


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Comment"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": MAX_TEXT}),
        help_text=_("Follow-up for the lead and the assignees."),
    )


class CancelTaskForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for cancelling"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": MAX_TEXT}),
        help_text=_("The assignees see it in the task's history."),
    )


class CompleteAssignmentForm(forms.Form):
    outcome = forms.CharField(
        label=_("Outcome"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": MAX_TEXT}),
        help_text=_("What came of the work: contacts made, material delivered, next steps."),
    )


class DeclineAssignmentForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for declining"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": MAX_TEXT}),
        help_text=_("So that the marketing lead can reassign the task."),
    )
