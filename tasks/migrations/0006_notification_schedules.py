"""Reminders and digests among the periodic jobs (editable in the admin)."""

from django.db import migrations

from tasks.schedules import install, uninstall

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
    install(apps, SCHEDULES)


def remove(apps, schema_editor):
    uninstall(apps, SCHEDULES)


class Migration(migrations.Migration):
    dependencies = [
        ("tasks", "0005_sent_notifications"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create, remove)]
