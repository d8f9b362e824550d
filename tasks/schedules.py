"""Install periodic jobs as django-celery-beat rows (used by data migrations, so it takes
the historical ``apps`` registry)."""

import json

from django.conf import settings


def install(apps, schedules) -> None:
    """``schedules``: (name, task, minute, hour, day_of_week, description) tuples.
    Existing rows are left alone: admins may have changed them."""
    crontab_model = apps.get_model("django_celery_beat", "CrontabSchedule")
    task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, minute, hour, day_of_week, description in schedules:
        crontab, _ = crontab_model.objects.get_or_create(
            minute=minute,
            hour=hour,
            day_of_week=day_of_week,
            day_of_month="*",
            month_of_year="*",
            timezone=settings.TIME_ZONE,
        )
        task_model.objects.get_or_create(
            name=name,
            defaults={
                "task": task,
                "crontab": crontab,
                "description": description,
                "kwargs": json.dumps({}),
            },
        )


def uninstall(apps, schedules) -> None:
    task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    task_model.objects.filter(name__in=[row[0] for row in schedules]).delete()
