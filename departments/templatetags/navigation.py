"""The main navigation, drawn once per distinct state and then reused.

What the navigation shows depends only on the language, the user's roles, which entry is
the current page and the supervisor's count of entries waiting: the template is drawn for
each such state once per process (about 0.8 ms: two dozen URL reversals and as many
translations) and kept, as a pure function of that state, in a bounded cache.
"""

from __future__ import annotations

import functools
from pathlib import Path

from django import template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template.loader import render_to_string
from django.urls import get_script_prefix
from django.utils.autoreload import file_changed
from django.utils.safestring import SafeString
from django.utils.translation import get_language

register = template.Library()

ROLE_FLAGS = ("is_staff_role", "is_line_supervisor", "is_marketing_lead", "is_finance", "is_admin")
# The pages that have an entry of their own in the navigation (by view name).
ENTRIES = frozenset(
    {
        "tasks:today",
        "tasks:my_week",
        "tasks:my_tasks",
        "tasks:approval_queue",
        "tasks:task_board",
        "tasks:outcome_queue",
        "rewards:my_leads",
        "rewards:pipeline",
        "departments:org_chart",
        "departments:delegations",
        "audit:list",
    }
)


def _current(request) -> tuple[str, bool]:
    """(the navigation entry of this page, or "", whether it is one of the dashboards)."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "", False
    view = match.view_name
    dashboards = match.url_name is not None and (
        match.url_name.startswith("dashboard") or view == "tasks:jobs"
    )
    return (view if view in ENTRIES else ""), dashboards


@register.simple_tag(takes_context=True)
def main_navigation(context) -> SafeString:
    active, dashboards = _current(context.get("request"))
    return _drawn(
        get_language(),
        get_script_prefix(),
        tuple(bool(context.get(flag)) for flag in ROLE_FLAGS),
        active,
        dashboards,
        context.get("nav_pending_count") or 0,
    )


@functools.lru_cache(maxsize=1024)
def _drawn(
    language: str,
    script_prefix: str,
    roles: tuple[bool, ...],
    active: str,
    dashboards: bool,
    pending: int,
) -> SafeString:
    # language and script_prefix are part of the key: they are in effect while drawing.
    return render_to_string(
        "includes/nav_items.html",
        {
            **dict(zip(ROLE_FLAGS, roles, strict=True)),
            "active": active,
            "dashboards_active": dashboards,
            "nav_pending_count": pending,
        },
    )


# What a drawing depends on beyond its key: the URLs, the languages, the templates and
# the translations. Tests change the settings; the development server reloads templates
# and catalogues without a restart.
DRAWN_FROM_SETTINGS = frozenset(
    {"ROOT_URLCONF", "LANGUAGES", "LANGUAGE_CODE", "TEMPLATES", "FORCE_SCRIPT_NAME"}
)


@receiver(setting_changed)
def _forget_on_setting_changed(*, setting: str, **_kwargs) -> None:
    if setting in DRAWN_FROM_SETTINGS:
        _drawn.cache_clear()


@receiver(file_changed)
def _forget_on_file_changed(*, file_path: Path, **_kwargs) -> None:
    if Path(file_path).suffix in {".html", ".mo"}:
        _drawn.cache_clear()
