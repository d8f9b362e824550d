import datetime
import importlib

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from tasks import services
from tasks.digests import (
    previous_week,
    send_approval_reminders,
    send_weekly_digests,
    team_weeks,
)
from tasks.models import AssistCategory, SentNotification, TimeLog
from tasks.summaries import summaries_rollup

MONDAY = datetime.date(2026, 3, 16)


def _at(day, hour=9):
    return datetime.datetime.combine(
        day, datetime.time(hour), tzinfo=timezone.get_current_timezone()
    )


@pytest.fixture
def last_week_logs(org):
    """The staff logs 60 minutes on each working day of the previous week."""
    category = AssistCategory.objects.get(code="client-visit")
    start, _end = previous_week(MONDAY)
    for offset in range(5):
        day = start + datetime.timedelta(days=offset)
        with time_machine.travel(_at(day), tick=False):
            services.time_log_create(
                staff=org.staff_profile,
                day=day,
                minutes=60,
                category=category,
                description="Joined the client visit",
                duties_done=True,
            )
    summaries_rollup()
    return start


def test_supervisor_digest_reports_team_usage_against_budget(org, last_week_logs):
    start, end = previous_week(MONDAY)
    teams = team_weeks(start=start, end=end)
    person = next(p for p in teams[org.supervisor.pk].people if p.profile == org.staff_profile)
    assert (person.logged, person.budget, person.percent) == (300, 600, 50)
    outsider = next(p for p in teams[org.supervisor.pk].people if p.profile.user == org.outsider)
    assert outsider.far_under


def test_digests_go_out_once_per_week_in_the_recipients_language(org, last_week_logs):
    org.supervisor.profile.language = "zh-hans"
    org.supervisor.profile.save()
    with time_machine.travel(_at(MONDAY, 8), tick=False):
        first = send_weekly_digests()
        again = send_weekly_digests()
    assert first > 0
    assert again == 0
    to_supervisor = [m for m in mail.outbox if m.to == [org.supervisor.email]]
    assert len(to_supervisor) == 1
    body = to_supervisor[0].body
    assert org.staff_profile.display_name in body
    assert "300" in body
    assert "600" in body
    assert to_supervisor[0].alternatives
    assert "<table" in to_supervisor[0].alternatives[0][0]
    assert (
        SentNotification.objects.filter(kind="digest:supervisor", recipient=org.supervisor).count()
        == 1
    )


def test_digest_is_rendered_in_the_recipients_language(org, last_week_logs, monkeypatch):
    from django.utils import translation

    languages = []
    original = translation.override

    def recording_override(language, *args, **kwargs):
        languages.append(language)
        return original(language, *args, **kwargs)

    monkeypatch.setattr("tasks.digests.translation.override", recording_override)
    org.supervisor.profile.language = "zh-hans"
    org.supervisor.profile.save()
    with time_machine.travel(_at(MONDAY, 8), tick=False):
        send_weekly_digests()
    assert "zh-hans" in languages


def test_management_digest_shows_participation(org, last_week_logs):
    with time_machine.travel(_at(MONDAY, 8), tick=False):
        send_weekly_digests()
    to_admin = [m for m in mail.outbox if m.to == [org.admin.email]]
    assert len(to_admin) == 1
    assert "300" in to_admin[0].body  # minutes contributed


def test_reminders_name_the_waiting_items_and_reach_the_delegate(org):
    category = AssistCategory.objects.get(code="phone-marketing")
    day = datetime.date(2026, 3, 10)
    with time_machine.travel(_at(day), tick=False):
        services.time_log_create(
            staff=org.staff_profile,
            day=day,
            minutes=30,
            category=category,
            description="Calls",
            duties_done=True,
        )
    with time_machine.travel(_at(day + datetime.timedelta(days=1)), tick=False):
        assert send_approval_reminders() == 0  # not waiting long enough yet
    with time_machine.travel(_at(day + datetime.timedelta(days=3)), tick=False):
        sent = send_approval_reminders()
        assert send_approval_reminders() == 0
    recipients = sorted(m.to[0] for m in mail.outbox)
    assert sent == 2
    assert recipients == sorted([org.supervisor.email, org.delegate.email])
    assert "1 time entry to approve" in mail.outbox[0].body


def test_approved_items_are_not_reminded(org):
    category = AssistCategory.objects.get(code="phone-marketing")
    day = datetime.date(2026, 3, 10)
    with time_machine.travel(_at(day), tick=False):
        log = services.time_log_create(
            staff=org.staff_profile,
            day=day,
            minutes=30,
            category=category,
            description="Calls",
            duties_done=True,
        )
        services.time_logs_approve(actor=org.supervisor, log_ids=[log.pk])
    with time_machine.travel(_at(day + datetime.timedelta(days=5)), tick=False):
        assert send_approval_reminders() == 0
    assert TimeLog.objects.get(pk=log.pk).status == "approved"


def test_a_digest_missed_on_monday_goes_out_the_next_morning_once(org, last_week_logs):
    # Monday's run never happened (the broker was down when beat wanted to queue it).
    tuesday, wednesday = MONDAY + datetime.timedelta(days=1), MONDAY + datetime.timedelta(days=2)
    with time_machine.travel(_at(tuesday, 7), tick=False):
        late = send_weekly_digests()
    with time_machine.travel(_at(wednesday, 7), tick=False):
        after = send_weekly_digests()

    assert late > 0
    assert after == 0
    assert len([m for m in mail.outbox if m.to == [org.supervisor.email]]) == 1


def test_the_digest_job_runs_every_morning(db):
    periodic = PeriodicTask.objects.select_related("crontab").get(name="Weekly digests")
    crontab = periodic.crontab
    assert (crontab.minute, crontab.hour, crontab.day_of_week) == ("30", "7", "*")
    assert "next day" in periodic.description


def _digest_migration():
    loader = MigrationLoader(connection)
    name = ("tasks", "0008_weekly_digests_every_morning")
    module = importlib.import_module(loader.get_migration(*name).__module__)
    return module, loader.project_state(name).apps


def test_the_schedule_change_leaves_an_admins_own_schedule_alone(db):
    periodic = PeriodicTask.objects.get(name="Weekly digests")
    own = CrontabSchedule.objects.create(minute="0", hour="18", day_of_week="5")
    periodic.crontab = own
    periodic.save()
    module, apps = _digest_migration()

    module.every_morning(apps, None)
    module.mondays_only(apps, None)

    periodic.refresh_from_db()
    assert periodic.crontab == own


def test_the_schedule_change_goes_back_to_mondays(db):
    module, apps = _digest_migration()

    module.mondays_only(apps, None)

    periodic = PeriodicTask.objects.select_related("crontab").get(name="Weekly digests")
    assert (periodic.crontab.hour, periodic.crontab.day_of_week) == ("7", "1")
    module.every_morning(apps, None)
    periodic.refresh_from_db()
    assert periodic.crontab.day_of_week == "*"
