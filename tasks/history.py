"""The state-change trail shared by logs, tasks, extensions (and rewards)."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db.models import Model, QuerySet

from tasks.models import StateChange


def record_change(
    *, subject: Model, from_state: str, to_state: str, actor, reason: str = ""
) -> None:
    StateChange.objects.create(
        content_type=ContentType.objects.get_for_model(subject, for_concrete_model=True),
        object_id=subject.pk,
        from_state=from_state or "",
        to_state=to_state,
        actor=actor if getattr(actor, "pk", None) else None,
        reason=reason or "",
    )


def record_changes(
    *, subjects: list[Model], from_state: str, to_state: str, actor, reason: str = ""
) -> None:
    if not subjects:
        return
    content_type = ContentType.objects.get_for_model(subjects[0], for_concrete_model=True)
    StateChange.objects.bulk_create(
        StateChange(
            content_type=content_type,
            object_id=subject.pk,
            from_state=from_state or "",
            to_state=to_state,
            actor=actor if getattr(actor, "pk", None) else None,
            reason=reason or "",
        )
        for subject in subjects
    )


def history_of_many(subjects: list[Model]) -> QuerySet[StateChange]:
    """The trail of several objects of one model, in one query."""
    if not subjects:
        return StateChange.objects.none()
    return StateChange.objects.filter(
        content_type=ContentType.objects.get_for_model(subjects[0], for_concrete_model=True),
        object_id__in=[subject.pk for subject in subjects],
    ).select_related("actor")


def history_of(subject: Model) -> QuerySet[StateChange]:
    return StateChange.objects.filter(
        content_type=ContentType.objects.get_for_model(subject, for_concrete_model=True),
        object_id=subject.pk,
    ).select_related("actor")
