"""Forms of the payout, statement and role-model pages. They parse input only: who may
do what, and what a change needs, is checked by the services."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from departments.forms import NumberInput, Textarea
from rewards.models import MAX_TEXT

MAX_IDS_PER_DECISION = 2000


class IdsField(forms.Field):
    """Ids of the ticked rows. A value may hold several ids separated by commas, so that
    the checkbox of a whole list works without JavaScript."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {
        "invalid": _("The selection could not be read. Reload the page and try again."),
        "too_many": _("Select at most %(max)d statements at a time."),
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


def _note_field(label, help_text):
    return forms.CharField(
        label=label,
        required=False,
        strip=False,
        max_length=MAX_TEXT,
        widget=Textarea(attrs={"rows": 2, "maxlength": MAX_TEXT}),
        help_text=help_text,
    )


class SignOffForm(forms.Form):
    """A bulk decision on statements: ``actions`` says which buttons the page offers."""

    RECOMMEND = "recommend"
    APPROVE = "approve"
    RETURN = "return"
    LABELS = {RECOMMEND: _("Recommend"), APPROVE: _("Approve"), RETURN: _("Return")}

    statements = IdsField(required=False)
    action = forms.ChoiceField(error_messages={"required": _("Choose what to do.")})
    note = _note_field(_("Note for returning"), _("Needed to return: say what should change."))

    def __init__(self, *args, actions: tuple[str, ...], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [(action, self.LABELS[action]) for action in actions]


class AdjustmentForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Amount"),
        max_digits=12,
        decimal_places=2,
        help_text=_("Negative to reduce, e.g. -20.00."),
        widget=NumberInput(attrs={"step": "0.01"}),
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=MAX_TEXT,
        widget=Textarea(attrs={"rows": 2, "maxlength": MAX_TEXT}),
        error_messages={"required": _("Say why the amount is adjusted.")},
    )


class InquiryForm(forms.Form):
    question = forms.CharField(
        label=_("What do you disagree with?"),
        max_length=MAX_TEXT,
        widget=Textarea(attrs={"rows": 2, "maxlength": MAX_TEXT}),
        error_messages={"required": _("Say what you disagree with.")},
    )


class InquiryAnswerForm(forms.Form):
    answer = forms.CharField(
        label=_("Answer"),
        max_length=MAX_TEXT,
        widget=Textarea(attrs={"rows": 2, "maxlength": MAX_TEXT}),
        help_text=_("A correction is a separate adjustment line."),
        error_messages={"required": _("Write an answer.")},
    )


class NominationForm(forms.Form):
    citation = forms.CharField(
        label=_("Citation"),
        max_length=MAX_TEXT,
        widget=Textarea(attrs={"rows": 2, "maxlength": MAX_TEXT}),
        help_text=_("What makes this person a role model? Shown on the honour board."),
        error_messages={"required": _("Write a citation: what makes this person a role model?")},
    )
