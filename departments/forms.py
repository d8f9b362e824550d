from django import forms
from django.contrib.auth import get_user_model
from django.forms.models import ModelChoiceIterator
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.html import conditional_escape, escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from departments.models import MAX_DAILY_BUDGET_MINUTES, StaffProfile


def _attributes(attrs: dict) -> str:
    """``attrs.html``: in the widget's order, ``True`` as a bare attribute, ``False`` left
    out, anything else (``None`` too) as its text, escaped unless already safe."""
    return "".join(
        f" {conditional_escape(key)}"
        if value is True
        else f' {conditional_escape(key)}="{conditional_escape(str(value))}"'
        for key, value in attrs.items()
        if value is not False
    )


class DrawnInput:
    """Draws an ``<input>`` or ``<textarea>`` in Python, with the markup of Django's
    ``input.html`` / ``textarea.html`` and ``attrs.html`` templates. Each widget template
    costs about a fifth of a millisecond; the forms on the pages people open all day
    (Today, the approval queue, the dashboards' filters) have several."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        if isinstance(self, forms.Textarea):
            return format_html(
                '<textarea name="{}"{}>\n{}</textarea>',
                widget["name"],
                mark_safe(_attributes(widget["attrs"])),  # noqa: S308 - escaped there
                widget["value"] or "",
            )
        shown = "" if widget["value"] is None else format_html(' value="{}"', widget["value"])
        return format_html(
            '<input type="{}" name="{}"{}{}>',
            widget["type"],
            widget["name"],
            shown,
            mark_safe(_attributes(widget["attrs"])),  # noqa: S308 - escaped there
        )


class DateInput(DrawnInput, forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        kwargs.setdefault("format", "%Y-%m-%d")
        super().__init__(**kwargs)


class NumberInput(DrawnInput, forms.NumberInput):
    pass


class TextInput(DrawnInput, forms.TextInput):
    pass


class Textarea(DrawnInput, forms.Textarea):
    pass


class ShortListIterator(ModelChoiceIterator):
    """Reads the choices with one ordinary query. Django's own iterator streams them through
    a server-side cursor on PostgreSQL: DECLARE, FETCH and CLOSE, each a round trip, which
    only pays off for lists far longer than anyone picks from in a drop-down."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset:  # evaluated once; validation reads its own row
            yield self.choice(obj)


class ListSelect(forms.Select):
    """A flat ``<select>`` drawn in Python. Django draws each ``<option>`` through a
    template of its own, which costs more than the rest of a field: for a supervisor's
    fifty reports that was about 3 ms a page."""

    def render(self, name, value, attrs=None, renderer=None):
        chosen = set(self.format_value(value))
        options = "".join(
            '<option value="{}"{}>{}</option>'.format(
                escape(str(key)), " selected" if str(key) in chosen else "", escape(str(label))
            )
            for key, label in self.choices
        )
        return format_html(
            '<select name="{}"{}>{}</select>',
            name,
            flatatt(self.build_attrs(self.attrs, attrs)),
            mark_safe(options),  # noqa: S308 - every key and label went through escape()
        )


class ShortListChoiceField(forms.ModelChoiceField):
    """A drop-down of a short list: the categories, a person's open tasks, a team."""

    widget = ListSelect
    iterator = ShortListIterator


class ProfileForm(forms.ModelForm):
    class Meta:
        model = StaffProfile
        fields = ["title", "goals", "primary_duties", "auxiliary_duties"]
        widgets = {
            "goals": forms.Textarea(attrs={"rows": 3}),
            "primary_duties": forms.Textarea(attrs={"rows": 3}),
            "auxiliary_duties": forms.Textarea(attrs={"rows": 3}),
        }


class BudgetRuleForm(forms.Form):
    daily_minutes = forms.IntegerField(
        label=_("Daily budget (minutes)"),
        min_value=0,
        max_value=MAX_DAILY_BUDGET_MINUTES,
        help_text=_("Minutes a day this person may spend on marketing-assist work."),
    )
    effective_from = forms.DateField(
        label=_("Effective from"),
        widget=DateInput(),
        help_text=_("Today or later: past days keep the budget they had."),
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def clean_effective_from(self):
        day = self.cleaned_data["effective_from"]
        if day < timezone.localdate():
            raise forms.ValidationError(
                _("A budget change cannot start in the past; choose today or later.")
            )
        return day


class DelegationForm(forms.Form):
    delegate = forms.ModelChoiceField(
        label=_("Delegate"),
        queryset=get_user_model().objects.none(),
        help_text=_("Who approves for you while you are away."),
    )
    start_date = forms.DateField(label=_("From"), widget=DateInput())
    end_date = forms.DateField(label=_("Until"), widget=DateInput(), help_text=_("Inclusive."))
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["delegate"].queryset = (
            get_user_model()
            .objects.filter(is_active=True, profile__is_active=True)
            .exclude(pk=user.pk)
            .order_by("first_name", "username")
        )
        self.fields["delegate"].label_from_instance = lambda u: (
            f"{u.get_full_name() or u.username} ({u.username})"
        )

    def clean(self):
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", _("The end date cannot be before the start date."))
        if end and end < timezone.localdate():
            self.add_error("end_date", _("A delegation cannot end in the past."))
        return data
