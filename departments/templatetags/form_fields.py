"""A lean Bootstrap 5 rendering of one form field, for the forms people fill in all day.

``{% include "includes/field.html" with field=form.day %}`` gives the markup that crispy's
``as_crispy_field`` gives for the same field (label, widget, errors, help text, and the
``aria-describedby`` / ``aria-invalid`` that Django adds), with a fraction of the template
work: on the time-log form crispy's own templates were a fifth of the Today page's time.
"""

from __future__ import annotations

from django import forms, template
from django.forms import BoundField

register = template.Library()


@register.filter
def is_checkbox(field: BoundField) -> bool:
    return isinstance(field.field.widget, forms.CheckboxInput)


@register.filter
def bootstrap_widget(field: BoundField) -> str:
    """The field's widget with its Bootstrap class, marked invalid when the field has errors."""
    widget = field.field.widget
    if isinstance(widget, forms.CheckboxInput):
        css = "form-check-input"
    elif isinstance(widget, forms.Select):
        css = "form-select"
    else:
        css = "form-control"
    extra = field.field.widget.attrs.get("class")
    if extra:
        css = f"{css} {extra}"
    if field.errors:
        css += " is-invalid"
    return field.as_widget(attrs={"class": css})
