"""Forms of the lead pages. They only parse what was typed (amounts as text → ``Decimal``,
dates); every rule (client protection, transitions, the contract ceiling, shares adding up
to 100 %) is the service's, whose messages the views put beside the fields."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from departments.forms import DateInput
from rewards.models import MAX_TEXT, Collection

MONEY = {"max_digits": 12, "decimal_places": 2}
TEXT_MAX = 200


def _money_field(label, *, required: bool, help_text="", min_value=Decimal("0")):
    return forms.DecimalField(
        label=label,
        required=required,
        min_value=min_value,
        help_text=help_text,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        **MONEY,
    )


class _CurrencyLabels:
    """Shows the currency in the labels of money fields (the setting may change)."""

    money_fields: tuple[str, ...] = ()

    def _label_currency(self) -> None:
        for name in self.money_fields:
            field = self.fields[name]
            field.label = _("%(label)s (%(currency)s)") % {
                "label": field.label,
                "currency": settings.ALLHANDS_CURRENCY,
            }


class LeadForm(_CurrencyLabels, forms.Form):
    money_fields = ("estimated_value",)

    client_name = forms.CharField(
        label=_("Client"),
        required=False,
        widget=forms.TextInput(attrs={"maxlength": TEXT_MAX}),
        help_text=_("The company's name, e.g. 北京星光科技有限公司 or Acme Ltd."),
    )
    contact = forms.CharField(
        label=_("Contact"),
        required=False,
        widget=forms.TextInput(attrs={"maxlength": TEXT_MAX}),
        help_text=_(
            "Who to talk to: a name with a phone number or an e-mail address. Used, with "
            "the name, to recognise a client somebody already introduced."
        ),
    )
    need = forms.CharField(
        label=_("What the client needs"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": MAX_TEXT}),
    )
    estimated_value = _money_field(
        _("Estimated value"),
        required=False,
        help_text=_("Your best guess of the deal's size; leave empty if you cannot tell."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._label_currency()

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "client_name": data["client_name"],
            "contact": data["contact"],
            "need": data["need"],
            "estimated_value": data["estimated_value"] or Decimal("0.00"),
        }


class WinForm(_CurrencyLabels, forms.Form):
    money_fields = ("contract_amount",)

    contract_amount = _money_field(_("Contract amount"), required=True)
    won_on = forms.DateField(label=_("Signed on"), widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._label_currency()


class LoseForm(forms.Form):
    reason = forms.CharField(
        label=_("Why was it lost?"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": MAX_TEXT}),
        help_text=_("The introducer sees the reason."),
    )


class CollectionForm(_CurrencyLabels, forms.Form):
    money_fields = ("amount",)

    kind = forms.ChoiceField(label=_("Kind"), choices=Collection.Kind.choices)
    received_on = forms.DateField(label=_("Date"), widget=DateInput())
    amount = _money_field(_("Amount"), required=True)
    note = forms.CharField(
        label=_("Note"),
        required=False,
        widget=forms.TextInput(attrs={"maxlength": TEXT_MAX}),
        help_text=_("E.g. the invoice or bank reference."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._label_currency()


class ClaimForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("accept", _("Accept")), ("reject", _("Reject"))],
        widget=forms.HiddenInput,
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": MAX_TEXT}),
        help_text=_("Required when you reject: the introducer sees it."),
    )


class CreditShareForm(forms.Form):
    staff = forms.TypedChoiceField(label=_("Person"), coerce=int, required=False, empty_value=None)
    percent = forms.DecimalField(
        label=_("Share (%)"),
        required=False,
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=Decimal("100"),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    role = forms.CharField(
        label=_("Contribution"),
        required=False,
        widget=forms.TextInput(attrs={"maxlength": TEXT_MAX}),
    )

    def __init__(self, *args, people_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["staff"].choices = [("", _("Choose a person")), *people_choices]
        # Drawn as a table row, not through crispy: the widgets carry Bootstrap's classes.
        self.fields["staff"].widget.attrs["class"] = "form-select"
        for name in ("percent", "role"):
            self.fields[name].widget.attrs["class"] = "form-control"

    def add_error(self, field, error):
        super().add_error(field, error)
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                if "is-invalid" not in widget.attrs.get("class", ""):
                    widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()

    def clean(self):
        data = super().clean()
        has_person = data.get("staff") is not None
        has_share = data.get("percent") is not None
        if has_person and not has_share and "percent" not in self.errors:
            self.add_error("percent", _("Enter this person's share."))
        if has_share and not has_person and "staff" not in self.errors:
            self.add_error("staff", _("Choose whose share this is."))
        return data


class BaseCreditShareFormSet(forms.BaseFormSet):
    def __init__(self, *args, people: list, **kwargs):
        self.people = {profile.pk: profile for profile in people}
        choices = [
            (profile.pk, f"{profile.display_name} ({profile.department.name})")
            for profile in people
        ]
        kwargs.setdefault("form_kwargs", {})["people_choices"] = choices
        super().__init__(*args, **kwargs)

    def shares(self) -> list[tuple]:
        """(profile, percent, role) of the filled rows, for ``credit_split_set``."""
        return [
            (
                self.people[form.cleaned_data["staff"]],
                form.cleaned_data["percent"],
                form.cleaned_data["role"],
            )
            for form in self.forms
            if form.cleaned_data.get("staff") is not None
        ]


CreditShareFormSet = forms.formset_factory(
    CreditShareForm, formset=BaseCreditShareFormSet, extra=3, max_num=30, validate_max=True
)
