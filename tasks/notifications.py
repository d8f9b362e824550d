"""Emails about assist work, each in the recipient's language."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from tasks.models import TimeLog

logger = logging.getLogger(__name__)


def _rejections_due() -> QuerySet[TimeLog]:
    return TimeLog.objects.filter(status=TimeLog.Status.REJECTED, rejection_email_pending=True)


def notify_time_logs_rejected(*, log_ids: Iterable[int]) -> int:
    """Right after a rejection: one email per person, listing their rejected entries
    with the reason. Entries already told (by an earlier run or the sweep) are skipped."""
    return _notify(_rejections_due().filter(pk__in=list(log_ids)))


def notify_missed_rejections() -> int:
    """The sweep: every rejection whose email has not gone out yet, e.g. because the
    job could not be queued while the broker was down."""
    return _notify(_rejections_due())


def _notify(due: QuerySet[TimeLog]) -> int:
    """One email per person and decider. Each is claimed and sent in its own transaction,
    so a run twice or two runs at once send it once, and a failed send leaves it due."""
    groups = sorted(
        set(due.values_list("staff_id", "decided_by_id")), key=lambda g: (g[0], g[1] or 0)
    )
    sent = 0
    failure: OSError | None = None
    for staff_id, decided_by_id in groups:
        try:
            sent += _notify_group(due.filter(staff_id=staff_id, decided_by_id=decided_by_id))
        except OSError as error:  # the mail server: the next run tries again
            logger.exception("Could not send the rejection email to staff %s", staff_id)
            failure = failure or error
    if failure is not None:
        raise failure  # after the others were sent; the job retries the rest
    return sent


@transaction.atomic
def _notify_group(due: QuerySet[TimeLog]) -> int:
    entries = list(
        due.select_for_update(of=("self",))
        .select_related("staff", "staff__user", "category", "decided_by")
        .order_by("day", "pk")
    )
    if not entries:
        return 0  # a concurrent run claimed them first
    TimeLog.objects.filter(pk__in=[log.pk for log in entries]).update(rejection_email_pending=False)
    staff = entries[0].staff
    if not staff.user.email:
        return 0
    with translation.override(staff.language or settings.LANGUAGE_CODE):
        context = {
            "staff": staff,
            "logs": entries,
            "decided_by": entries[0].decided_by,
            "url": settings.ALLHANDS_SITE_URL.rstrip("/") + reverse("tasks:my_week"),
        }
        subject = render_to_string("emails/time_logs_rejected_subject.txt", context).strip()
        text = render_to_string("emails/time_logs_rejected.txt", context)
        html = render_to_string("emails/time_logs_rejected.html", context)
    message = EmailMultiAlternatives(subject, text, to=[staff.user.email])
    message.attach_alternative(html, "text/html")
    message.send()
    return 1
