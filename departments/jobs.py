"""Celery jobs of the organisation app (see ``config/celery.py`` for why ``jobs``)."""

from celery import shared_task

from departments.models import StaffProfile


@shared_task(name="departments.count_active_people")
def count_active_people() -> int:
    """How many people are active: a read-only job that proves a worker reaches the database."""
    return StaffProfile.objects.filter(is_active=True).count()
