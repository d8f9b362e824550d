"""Emails about assist work, each in the recipient's language."""

from __future__ import annotations

from collections import defaultdict

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from tasks.models import TimeLog


def notify_time_logs_rejected(*, log_ids: list[int]) -> int:
    """One email per person, listing their rejected entries with the reason."""
    logs = (
        TimeLog.objects.filter(pk__in=log_ids, status=TimeLog.Status.REJECTED)
        .select_related("staff", "staff__user", "category", "decided_by")
        .order_by("staff_id", "day", "pk")
    )
    by_person: dict[int, list[TimeLog]] = defaultdict(list)
    for log in logs:
        by_person[log.staff_id].append(log)
    sent = 0
    for entries in by_person.values():
        staff = entries[0].staff
        if not staff.user.email:
            continue
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
        sent += 1
    return sent
