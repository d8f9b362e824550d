"""Celery jobs of the assist-work app (named ``jobs`` so nobody confuses them with
marketing tasks). Each takes primary keys and calls one service."""

from celery import shared_task

from tasks import notifications


@shared_task(name="tasks.send_time_log_rejected", autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_time_log_rejected(log_ids: list[int]) -> int:
    return notifications.notify_time_logs_rejected(log_ids=log_ids)
