"""The periodic jobs, as editable rows of django-celery-beat (admins change them in the
admin; the worker's beat reads them from the database)."""

from django.db import migrations

from tasks.schedules import install, uninstall

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
    install(apps, SCHEDULES)


def remove(apps, schema_editor):
    uninstall(apps, SCHEDULES)


class Migration(migrations.Migration):
    dependencies = [
        ("tasks", "0003_summaries"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create, remove)]
