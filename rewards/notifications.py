"""Tell the approvers that a period's statements wait for them (once per period)."""

from __future__ import annotations

from collections import defaultdict

from django.contrib.auth import get_user_model
from django.urls import reverse

from rewards.models import PayoutPeriod, Statement
from tasks.digests import send_once, site_url


def notify_statements_ready(*, period_id: int) -> int:
    """Marketing leads get the statements to recommend; line supervisors those of people
    without a marketing lead, which they approve directly."""
    period = PayoutPeriod.objects.get(pk=period_id)
    waiting: dict[int, int] = defaultdict(int)
    for lead_id, supervisor_id in Statement.objects.filter(
        period=period, status=Statement.Status.DRAFT
    ).values_list("staff__marketing_lead_id", "staff__line_supervisor_id"):
        recipient = lead_id or supervisor_id
        if recipient:
            waiting[recipient] += 1
    users = (
        get_user_model()
        .objects.filter(pk__in=list(waiting), is_active=True)
        .select_related("profile")
    )
    sent = 0
    for user in users:
        queue = (
            "rewards:recommend_queue" if _is_lead_of_any(user, period) else "rewards:approve_queue"
        )
        sent += send_once(
            kind="statements-ready",
            key=str(period.pk),
            recipient=user,
            template="statements_ready",
            context={
                "period": period,
                "count": waiting[user.pk],
                "queue_url": site_url(reverse(queue)),
            },
        )
    return sent


def _is_lead_of_any(user, period: PayoutPeriod) -> bool:
    return Statement.objects.filter(period=period, staff__marketing_lead=user).exists()


def notify_missed_statements_ready() -> int:
    """Catch up on the notice of every calculated period whose statements wait: a notice
    that could not be queued (broker down) goes out now; one already sent is not sent
    again (``send_once``). Run by the daily period job."""
    sent = 0
    for period_id in (
        PayoutPeriod.objects.filter(
            status=PayoutPeriod.Status.CALCULATED,
            calculation_state=PayoutPeriod.CalculationState.DONE,
            statements__status=Statement.Status.DRAFT,
        )
        .values_list("pk", flat=True)
        .distinct()
    ):
        sent += notify_statements_ready(period_id=period_id)
    return sent
