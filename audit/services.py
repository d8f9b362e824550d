"""Writing the audit log. Callers inside a transaction get their entry in the same
transaction, so that a rolled-back action leaves no entry behind."""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, models, transaction
from django.http import HttpRequest
from django.utils import translation

from audit.context import get_request
from audit.models import AuditEntry

USER_AGENT_MAX = 255

logger = logging.getLogger(__name__)


def _valid_ip(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    """REMOTE_ADDR, or the first X-Forwarded-For hop when a trusted proxy sets it."""
    if getattr(settings, "ALLHANDS_TRUSTED_PROXY", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            first = _valid_ip(forwarded.split(",")[0])
            if first:
                return first
    return _valid_ip(request.META.get("REMOTE_ADDR", "") or "")


def _text(value: Any) -> str:
    return str(value) if value is not None else ""


def _entry(
    *,
    action: str,
    obj: models.Model | None,
    summary: Any,
    extra: dict | None,
    actor,
    request: HttpRequest | None,
    target: tuple[int | None, str, str] | None = None,
    actor_id: int | None = None,
    actor_repr: str = "",
) -> AuditEntry:
    request = request if request is not None else get_request()
    if actor is None and request is not None:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and (actor_id is None or user.pk == actor_id):
            actor = user
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    # Untranslated whatever the actor's language: a lazy or gettext_noop summary is kept
    # as its message id and translated for each reader (AuditEntry.summary_text).
    with translation.override(None):
        summary = _text(summary or AuditEntry.Action(action).label)
        object_repr = _text(obj)[:200] if obj is not None else ""
    entry = AuditEntry(
        action=action,
        actor=actor,
        actor_repr=actor.get_username() if actor is not None else actor_repr,
        summary=summary,
        extra=extra or {},
    )
    if actor is None and actor_id is not None:
        entry.actor_id = actor_id
    if target is not None:
        entry.content_type_id, entry.object_id, entry.object_repr = target
    elif obj is not None:
        entry.content_type = ContentType.objects.get_for_model(obj, for_concrete_model=False)
        entry.object_id = str(obj.pk) if obj.pk is not None else ""
        entry.object_repr = object_repr
    if request is not None:
        entry.ip_address = client_ip(request)
        entry.user_agent = request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_MAX]
    return entry


def record(
    *,
    action: str,
    obj: models.Model | None = None,
    summary: Any = "",
    extra: dict | None = None,
    actor=None,
    request: HttpRequest | None = None,
    target: tuple[int | None, str, str] | None = None,
    actor_id: int | None = None,
    actor_repr: str = "",
) -> AuditEntry:
    """One audit entry. ``actor`` defaults to the user of the current request; ``target``
    (content type id, object id, text) names an object that is not at hand as an instance.
    ``summary``: a message id (``gettext_noop``) or a lazy translation, never text already
    translated; empty means the action's label."""
    entry = _entry(
        action=action,
        obj=obj,
        summary=summary,
        extra=extra,
        actor=actor,
        request=request,
        target=target,
        actor_id=actor_id,
        actor_repr=actor_repr,
    )
    entry.save()
    return entry


def record_each(
    *,
    action: str,
    objs: Iterable[models.Model],
    summary: Any = "",
    extra: dict | None = None,
    actor=None,
) -> list[AuditEntry]:
    """One entry per object of a batch (one approval each), written in one query."""
    entries = [
        _entry(action=action, obj=obj, summary=summary, extra=extra, actor=actor, request=None)
        for obj in objs
    ]
    return AuditEntry.objects.bulk_create(entries)


def record_safely(**kwargs) -> AuditEntry | None:
    """For events outside a service (logins, refusals): a failing audit write is logged
    and does not turn the response into an error page."""
    try:
        with transaction.atomic():
            return record(**kwargs)
    except DatabaseError:
        logger.exception("Could not write the audit entry for %s", kwargs.get("action"))
        return None
