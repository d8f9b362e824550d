"""A rejection remembers that its email is due until it has gone out, and a periodic
sweep sends the ones that were never queued (broker down) or never sent.

Entries rejected before this migration count as told: their email was queued then."""

from django.db import migrations, models

from tasks.schedules import install, uninstall

SCHEDULES = [
    (
        "Missed rejection emails",
        "tasks.send_missed_rejection_emails",
        "*/10",
        "*",
        "*",
        "Sends the rejection emails that could not be queued or sent when the time was "
        "rejected; each goes out once.",
    ),
]


def create(apps, schema_editor):
    install(apps, SCHEDULES)


def remove(apps, schema_editor):
    uninstall(apps, SCHEDULES)


class Migration(migrations.Migration):
    dependencies = [
        ("tasks", "0006_notification_schedules"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.AddField(
            model_name="timelog",
            name="rejection_email_pending",
            field=models.BooleanField(
                default=False, editable=False, verbose_name="rejection email pending"
            ),
        ),
        migrations.AddIndex(
            model_name="timelog",
            index=models.Index(
                condition=models.Q(("rejection_email_pending", True)),
                fields=["staff", "decided_by"],
                name="time_log_rejection_email_due",
            ),
        ),
        migrations.RunPython(create, remove),
    ]
