"""The widgets drawn in Python give exactly the markup of Django's widget templates."""

import datetime

import pytest
from django import forms
from django.utils.safestring import mark_safe

from departments import forms as drawn

ATTRS = {"id": "id_field", "aria-describedby": "id_field_helptext"}
HOSTILE = "<b>\"quoted\" & 'single'</b>"


@pytest.mark.parametrize(
    ("ours", "django", "value"),
    [
        (
            drawn.DateInput(attrs={"class": "form-control form-control-sm", "max": "2026-11-27"}),
            forms.DateInput(
                format="%Y-%m-%d",
                attrs={
                    "type": "date",
                    "class": "form-control form-control-sm",
                    "max": "2026-11-27",
                },
            ),
            datetime.date(2026, 11, 2),
        ),
        (drawn.DateInput(), forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}), None),
        (
            drawn.NumberInput(attrs={"min": 1, "step": 1, "required": True, "disabled": False}),
            forms.NumberInput(attrs={"min": 1, "step": 1, "required": True, "disabled": False}),
            30,
        ),
        (drawn.NumberInput(), forms.NumberInput(), None),
        (
            drawn.TextInput(attrs={"placeholder": HOSTILE, "maxlength": 200}),
            forms.TextInput(attrs={"placeholder": HOSTILE, "maxlength": 200}),
            HOSTILE,
        ),
        (
            drawn.Textarea(attrs={"rows": 2, "maxlength": 500}),
            forms.Textarea(attrs={"rows": 2, "maxlength": 500}),
            f"{HOSTILE}\nsecond line",
        ),
        (drawn.Textarea(attrs={"rows": 3}), forms.Textarea(attrs={"rows": 3}), ""),
        (drawn.Textarea(), forms.Textarea(), None),
        (
            drawn.TextInput(attrs={"data-none": None, "title": mark_safe("a &amp; b")}),
            forms.TextInput(attrs={"data-none": None, "title": mark_safe("a &amp; b")}),
            mark_safe("safe &amp; sound"),
        ),
    ],
)
def test_drawn_widgets_match_django_templates(ours, django, value):
    assert type(ours).render is drawn.DrawnInput.render  # drawn in Python, not a template
    assert ours.render("field", value, ATTRS) == django.render("field", value, ATTRS)


def test_drawn_widgets_escape_what_people_typed():
    html = drawn.TextInput().render("field", '"><script>alert(1)</script>', ATTRS)
    assert "<script>" not in html
    assert 'value="&quot;&gt;&lt;script&gt;' in html


def test_bound_field_with_errors_renders_through_drawn_widget():
    class Form(forms.Form):
        minutes = forms.IntegerField(widget=drawn.NumberInput(attrs={"min": 1}))

    form = Form(data={"minutes": "many"})
    html = str(form["minutes"])
    assert 'value="many"' in html
    assert 'aria-invalid="true"' in html
