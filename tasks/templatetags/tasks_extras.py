"""Template filters of the assist-work pages."""

from __future__ import annotations

from functools import cache

from django import template
from django.apps import apps
from django.utils.translation import gettext_lazy as _

from tasks.models import TimeLog

register = template.Library()

OUTCOME_PREFIX = "outcome:"


@cache
def _status_labels() -> dict:
    """Every ``status`` value of the models whose changes the history records, with its
    (lazy) label; the first model to define a value names it."""
    labels: dict = {"deleted": _("Deleted")}
    for app_label in ("tasks", "rewards"):
        if not apps.is_installed(app_label):
            continue
        for model in apps.get_app_config(app_label).get_models():
            for field in model._meta.concrete_fields:
                if field.name == "status" and field.choices:
                    for value, label in field.flatchoices:
                        labels.setdefault(value, label)
    return labels


@cache
def _outcome_labels() -> dict:
    labels = dict(TimeLog.OutcomeStatus.choices)
    labels["unreviewed"] = TimeLog.OutcomeStatus.PENDING.label
    return labels


@register.filter
def state_label(value) -> str:
    """The translated label of a history state: ``submitted`` → "Submitted",
    ``outcome:confirmed`` → "Confirmed"; unknown values come back as they are."""
    if value is None or value == "":
        return ""
    value = str(value)
    if value.startswith(OUTCOME_PREFIX):
        label = _outcome_labels().get(value[len(OUTCOME_PREFIX) :])
    else:
        label = _status_labels().get(value)
    return str(label) if label is not None else value
