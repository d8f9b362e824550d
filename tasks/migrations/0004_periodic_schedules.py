"""The periodic jobs, as editable rows of django-celery-beat (admins change them in the
admin; the worker's beat reads them from the database)."""

import json

from django.conf import settings
from django.db import migrations

SCHEDULES = [
    # name, task, minute, hour, day_of_week, description
    (
        "Daily summary rollup",
        "tasks.rollup_summaries",
        "10",
        "1",
        "*",
        "Rolls up yesterday and every changed day into the summary tables.",
    ),
    (
        "Close due payout periods",
        "rewards.close_due_periods",
        "0",
        "2",
        "*",
        "Closes finished months for logging once their grace days are over.",
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
        ("tasks", "0003_summaries"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create, remove)]
