import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from audit.models import AuditEntry


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _summaries_reading(text: str) -> list[str]:
    """The stored summaries (message ids) whose wording in the reader's language has ``text``."""
    wanted = text.casefold()
    return sorted(
        message for message in AuditEntry.message_ids() if wanted in gettext(message).casefold()
    )


def audit_entries(*, filters: dict) -> QuerySet[AuditEntry]:
    """Entries matching the viewer's filters, newest first, with what the list shows."""
    entries = AuditEntry.objects.select_related("content_type").order_by("-created_at", "-pk")
    if filters.get("date_from"):
        entries = entries.filter(created_at__gte=_start_of(filters["date_from"]))
    if filters.get("date_to"):
        next_day = filters["date_to"] + datetime.timedelta(days=1)
        entries = entries.filter(created_at__lt=_start_of(next_day))
    if filters.get("user"):
        entries = entries.filter(actor_repr__icontains=filters["user"].strip())
    if filters.get("action"):
        entries = entries.filter(action=filters["action"])
    if filters.get("object_type"):
        entries = entries.filter(content_type=filters["object_type"])
    text = (filters.get("q") or "").strip()
    if text:
        entries = entries.filter(
            Q(summary__icontains=text)
            | Q(summary__in=_summaries_reading(text))
            | Q(object_repr__icontains=text)
            | Q(actor_repr__icontains=text)
            | Q(ip_address__icontains=text)
            | Q(object_id=text)
        )
    return entries
