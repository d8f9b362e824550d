"""Reads of the marketing lead's outcome reviews."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet

from tasks.models import MarketingTask, TimeLog


def outcomes_to_review(*, user, task: MarketingTask | None = None) -> QuerySet[TimeLog]:
    """Entries logged on tasks ``user`` created whose outcome nobody reviewed yet, oldest
    first. Rejected time has nothing to confirm; one's own entries are reviewed by others."""
    logs = (
        TimeLog.objects.filter(task__created_by=user, outcome_status=TimeLog.OutcomeStatus.PENDING)
        .exclude(status=TimeLog.Status.REJECTED)
        .exclude(staff__user=user)
    )
    if task is not None:
        logs = logs.filter(task=task)
    return logs.select_related(
        "staff", "staff__user", "staff__department", "category", "task"
    ).order_by("day", "pk")


def tasks_with_outcomes_to_review(*, user) -> QuerySet[MarketingTask]:
    """The lead's tasks that have entries waiting for an outcome review (the filter's choices)."""
    pending = outcomes_to_review(user=user).filter(task=OuterRef("pk"))
    return MarketingTask.objects.filter(Exists(pending), created_by=user).order_by("due_date", "pk")
