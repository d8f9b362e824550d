"""Celery jobs of the rewards app: take primary keys, call one service."""

from celery import shared_task

from rewards.services import payouts


@shared_task(
    name="rewards.calculate_payout_period",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=3,
)
def calculate_payout_period(period_id: int, run: int | None = None) -> dict:
    return payouts.payout_period_calculate(period_id=period_id, run=run)


@shared_task(name="rewards.close_due_periods")
def close_due_periods() -> list[int]:
    """Close and calculate finished months, and send the "statements ready" notices an
    outage kept from going out."""
    from django.conf import settings

    from rewards.notifications import notify_missed_statements_ready

    closed = payouts.payout_periods_close_due(grace_days=settings.ALLHANDS_LOGGING_GRACE_DAYS)
    notify_missed_statements_ready()
    return closed


@shared_task(name="rewards.notify_statements_ready")
def notify_statements_ready(period_id: int) -> int:
    from rewards.notifications import notify_statements_ready as notify

    return notify(period_id=period_id)
