"""Celery jobs of the assist-work app (named ``jobs`` so nobody confuses them with
marketing tasks). Each takes primary keys and calls one service."""

from celery import shared_task

from tasks import notifications


@shared_task(
    name="tasks.send_time_log_rejected", autoretry_for=(OSError,), retry_backoff=True, max_retries=5
)
def send_time_log_rejected(log_ids: list[int]) -> int:
    return notifications.notify_time_logs_rejected(log_ids=log_ids)


@shared_task(name="tasks.send_missed_rejection_emails")
def send_missed_rejection_emails() -> int:
    """Every few minutes: rejection emails that were never queued or never went out."""
    return notifications.notify_missed_rejections()


@shared_task(name="tasks.rollup_summaries", acks_late=True, reject_on_worker_lost=True)
def rollup_summaries(days: list[str] | None = None) -> dict:
    """Daily: roll up yesterday in full and every day marked dirty since the last run."""
    import datetime

    from django.utils import timezone

    from tasks.summaries import summaries_rollup

    if days is None:
        wanted = [timezone.localdate() - datetime.timedelta(days=1)]
    else:
        wanted = [datetime.date.fromisoformat(day) for day in days]
    return summaries_rollup(days=wanted)


@shared_task(name="tasks.send_approval_reminders")
def send_approval_reminders() -> int:
    from tasks.digests import send_approval_reminders as send

    return send()


@shared_task(name="tasks.send_weekly_digests")
def send_weekly_digests() -> int:
    from tasks.digests import send_weekly_digests as send

    return send()


@shared_task(name="tasks.rebuild_summaries", acks_late=True, reject_on_worker_lost=True)
def rebuild_summaries(start: str | None = None, end: str | None = None) -> dict:
    """By hand (repair): recompute the summaries of all history, or of start–end, from
    the raw logs."""
    import datetime

    from tasks.summaries import summaries_rebuild

    return summaries_rebuild(
        start=datetime.date.fromisoformat(start) if start else None,
        end=datetime.date.fromisoformat(end) if end else None,
    )
