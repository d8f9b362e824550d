"""The weekly digest job runs every morning instead of on Mondays only.

Beat counts a run as done even when it could not hand the job to the broker, so a Monday
inside a Redis outage lost that week's digest. The job sends last week's digest once per
ISO week (``SentNotification``), so running it daily changes nothing on a normal week
and sends a missed digest the next morning. A schedule an admin has changed is left as
it is."""

from django.db import migrations
from django.utils import timezone

NAME = "Weekly digests"
MONDAYS = {"minute": "30", "hour": "7", "day_of_week": "1"}
DAILY = {"minute": "30", "hour": "7", "day_of_week": "*"}
DESCRIPTIONS = {
    "1": "Sends last week's digest to supervisors, marketing leads and management.",
    "*": "Sends last week's digest to supervisors, marketing leads and management; runs "
    "every morning so that a digest missed during an outage goes out the next day (each "
    "digest is sent once a week).",
}


def _move(apps, source: dict, target: dict) -> None:
    crontab_model = apps.get_model("django_celery_beat", "CrontabSchedule")
    task = (
        apps.get_model("django_celery_beat", "PeriodicTask")
        .objects.filter(name=NAME, task="tasks.send_weekly_digests")
        .select_related("crontab")
        .first()
    )
    if task is None or task.crontab is None:
        return
    current = task.crontab
    if any(getattr(current, key) != value for key, value in source.items()) or (
        current.day_of_month,
        current.month_of_year,
    ) != ("*", "*"):
        return  # changed by an admin: theirs to keep
    crontab, _ = crontab_model.objects.get_or_create(
        **target, day_of_month="*", month_of_year="*", timezone=current.timezone
    )
    task.crontab = crontab
    task.description = DESCRIPTIONS[target["day_of_week"]]
    task.save(update_fields=["crontab", "description"])
    # A running beat reloads its schedule when this stamp moves.
    apps.get_model("django_celery_beat", "PeriodicTasks").objects.update_or_create(
        ident=1, defaults={"last_update": timezone.now()}
    )


def every_morning(apps, schema_editor):
    _move(apps, MONDAYS, DAILY)


def mondays_only(apps, schema_editor):
    _move(apps, DAILY, MONDAYS)


class Migration(migrations.Migration):
    dependencies = [
        ("tasks", "0007_rejection_email_pending"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(every_morning, mondays_only)]
