"""Reminders and digests among the periodic jobs (editable in the admin)."""

import json

from django.conf import settings
from django.db import migrations

SCHEDULES = [
    (
        "Approval reminders",
        "tasks.send_approval_reminders",
        "0",
        "8",
        "1-5",
        "Reminds approvers (and their delegates) of items waiting too long.",
    ),
    (
        "Weekly digests",
        "tasks.send_weekly_digests",
        "30",
        "7",
        "1",
        "Sends last week's digest to supervisors, marketing leads and management.",
    ),
]


def create(apps, schema_editor):
    crontab_model = apps.get_model("django_celery_beat", "CrontabSchedule")
    task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, minute, hour, day_of_week, description in SCHEDULES:
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


def remove(apps, schema_editor):
    task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    task_model.objects.filter(name__in=[row[0] for row in SCHEDULES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("tasks", "0005_sent_notifications"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create, remove)]
