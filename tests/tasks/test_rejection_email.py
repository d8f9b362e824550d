"""A rejection tells each person once, in their language, why and which entries."""

import datetime
import io
from unittest import mock

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation
from django_celery_beat.models import PeriodicTask

from tasks import jobs, notifications
from tasks.models import TimeLog
from tests.tasks.test_approvals import make_log

QUEUE = reverse("tasks:approval_queue")
REASON = "Client visits need the client's name"


@pytest.fixture
def entries(org, today):
    yesterday = today - datetime.timedelta(days=1)
    outsider = org.outsider.profile
    # The model's default language is the site's (Chinese); these tests read English.
    for profile in (org.staff_profile, outsider):
        profile.language = "en"
        profile.save()
    return {
        "staff": [
            make_log(org.staff_profile, yesterday, 30, description="Visited the harbour office"),
            make_log(org.staff_profile, today, 25, description="Phoned the distributor"),
        ],
        "outsider": [make_log(outsider, today, 15, description="Wrote a soft article")],
        "other": make_log(org.other_staff.profile, today, 20, description="Other team"),
    }


def reject(client, org, ids, reason=REASON, user=None):
    client.force_login(user or org.supervisor)
    return client.post(QUEUE, {"action": "reject", "reason": reason, "logs": ids})


def ids_of(*groups):
    return [log.pk for group in groups for log in group]


class TestRejectionEmail:
    def test_it_sends_one_email_per_person_with_the_reason_and_the_entries(
        self, client, org, entries, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            response = reject(client, org, ids_of(entries["staff"], entries["outsider"]))
        assert response.status_code == 302
        assert len(mail.outbox) == 2
        by_recipient = {tuple(message.to): message for message in mail.outbox}
        assert set(by_recipient) == {(org.staff.email,), (org.outsider.email,)}

        staff_mail = by_recipient[(org.staff.email,)]
        assert staff_mail.subject == "Allhands: 2 time entries were rejected"
        assert "Visited the harbour office" in staff_mail.body
        assert "Phoned the distributor" in staff_mail.body
        assert "Wrote a soft article" not in staff_mail.body
        assert staff_mail.body.count(REASON) == 2
        html, mimetype = staff_mail.alternatives[0]
        assert mimetype == "text/html"
        assert "Visited the harbour office" in html
        assert "Client visits need the client&#x27;s name" in html

        outsider_mail = by_recipient[(org.outsider.email,)]
        assert outsider_mail.subject == "Allhands: 1 time entry was rejected"
        assert "Wrote a soft article" in outsider_mail.body
        assert "Phoned the distributor" not in outsider_mail.body

    def test_it_is_written_in_each_persons_language(
        self, client, org, entries, django_capture_on_commit_callbacks
    ):
        profile = org.staff_profile
        profile.language = "zh-hans"
        profile.save()
        with django_capture_on_commit_callbacks(execute=True):
            reject(client, org, ids_of(entries["staff"], entries["outsider"]))

        by_recipient = {message.to[0]: message for message in mail.outbox}
        assert len(by_recipient) == 2
        with translation.override("zh-hans"):
            chinese = translation.ngettext(
                "Allhands: %(counter)s time entry was rejected",
                "Allhands: %(counter)s time entries were rejected",
                2,
            ) % {"counter": 2}
        assert chinese != "Allhands: 2 time entries were rejected"
        assert by_recipient[org.staff.email].subject == chinese
        assert by_recipient[org.outsider.email].subject == "Allhands: 1 time entry was rejected"

    def test_it_waits_for_the_commit(
        self, client, org, entries, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            reject(client, org, ids_of(entries["staff"]))
        assert len(callbacks) == 1
        assert mail.outbox == []

    def test_approving_sends_nothing(
        self, client, org, entries, django_capture_on_commit_callbacks
    ):
        client.force_login(org.supervisor)
        with django_capture_on_commit_callbacks(execute=True):
            client.post(QUEUE, {"action": "approve", "logs": ids_of(entries["staff"])})
        assert mail.outbox == []

    def test_a_rejection_without_reason_sends_nothing(
        self, client, org, entries, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            response = reject(client, org, ids_of(entries["staff"]), reason="")
        assert response.status_code == 200
        assert callbacks == []
        assert mail.outbox == []

    def test_a_batch_refused_as_a_whole_sends_nothing(
        self, client, org, entries, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            response = reject(client, org, [*ids_of(entries["staff"]), entries["other"].pk])
        assert response.status_code == 403
        assert callbacks == []
        assert mail.outbox == []

    def test_a_person_without_an_address_is_skipped(
        self, client, org, entries, django_capture_on_commit_callbacks
    ):
        org.outsider.email = ""
        org.outsider.save()
        with django_capture_on_commit_callbacks(execute=True):
            reject(client, org, ids_of(entries["staff"], entries["outsider"]))
        assert [message.to for message in mail.outbox] == [[org.staff.email]]

    def test_a_broker_outage_does_not_undo_the_decision(
        self, client, org, entries, django_capture_on_commit_callbacks
    ):
        with (
            mock.patch(
                "tasks.jobs.send_time_log_rejected.delay", side_effect=OSError("broker down")
            ),
            django_capture_on_commit_callbacks(execute=True),
        ):
            response = reject(client, org, ids_of(entries["staff"]))
        assert response.status_code == 302
        statuses = set(
            TimeLog.objects.filter(pk__in=ids_of(entries["staff"])).values_list("status", flat=True)
        )
        assert statuses == {"rejected"}
        assert mail.outbox == []
        assert pending(entries["staff"]) == [True, True]

        # The broker is back: the periodic sweep sends what the outage held back.
        assert jobs.send_missed_rejection_emails.delay().get() == 1
        assert [message.to for message in mail.outbox] == [[org.staff.email]]
        assert "Visited the harbour office" in mail.outbox[0].body
        assert "Phoned the distributor" in mail.outbox[0].body
        assert pending(entries["staff"]) == [False, False]


def pending(logs) -> list[bool]:
    return [TimeLog.objects.get(pk=log.pk).rejection_email_pending for log in logs]


@pytest.fixture
def broker_down():
    with mock.patch("tasks.jobs.send_time_log_rejected.delay", side_effect=OSError("broker down")):
        yield


class TestMissedRejectionSweep:
    """A rejection stays due until its email went out; the sweep sends each one once."""

    def test_the_email_sent_at_once_is_not_sent_again(
        self, client, org, entries, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            reject(client, org, ids_of(entries["staff"]))
        assert len(mail.outbox) == 1
        assert pending(entries["staff"]) == [False, False]

        assert notifications.notify_missed_rejections() == 0
        assert notifications.notify_time_logs_rejected(log_ids=ids_of(entries["staff"])) == 0
        assert len(mail.outbox) == 1

    def test_the_sweep_sends_each_missed_email_once_per_person(
        self, client, org, entries, broker_down, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            reject(client, org, ids_of(entries["staff"], entries["outsider"]))
        assert mail.outbox == []

        assert notifications.notify_missed_rejections() == 2
        assert notifications.notify_missed_rejections() == 0
        call_command("send_notifications", "rejections", stdout=io.StringIO())

        assert sorted(message.to[0] for message in mail.outbox) == sorted(
            [org.staff.email, org.outsider.email]
        )
        staff_mail = next(m for m in mail.outbox if m.to == [org.staff.email])
        assert staff_mail.subject == "Allhands: 2 time entries were rejected"
        assert staff_mail.body.count(REASON) == 2

    def test_the_late_email_is_in_the_persons_language(
        self, client, org, entries, broker_down, django_capture_on_commit_callbacks
    ):
        profile = org.staff_profile
        profile.language = "zh-hans"
        profile.save()
        with django_capture_on_commit_callbacks(execute=True):
            reject(client, org, ids_of(entries["staff"]))

        notifications.notify_missed_rejections()

        [message] = mail.outbox
        with translation.override("zh-hans"):
            assert message.subject == translation.ngettext(
                "Allhands: %(counter)s time entry was rejected",
                "Allhands: %(counter)s time entries were rejected",
                2,
            ) % {"counter": 2}
        assert message.subject != "Allhands: 2 time entries were rejected"

    def test_a_failed_send_leaves_it_due_for_the_next_run(
        self, client, org, entries, broker_down, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            reject(client, org, ids_of(entries["staff"], entries["outsider"]))
        real_send = EmailMultiAlternatives.send
        calls = []

        def send_failing_for_staff(message, *args, **kwargs):
            calls.append(message.to)
            if message.to == [org.staff.email]:
                raise ConnectionRefusedError("mail server down")
            return real_send(message, *args, **kwargs)

        with (
            mock.patch.object(EmailMultiAlternatives, "send", send_failing_for_staff),
            pytest.raises(ConnectionRefusedError),
        ):
            notifications.notify_missed_rejections()
        # The other person was told; the failed one is still due.
        assert len(calls) == 2
        assert [message.to for message in mail.outbox] == [[org.outsider.email]]
        assert pending(entries["staff"]) == [True, True]
        assert pending(entries["outsider"]) == [False]

        assert notifications.notify_missed_rejections() == 1
        assert [message.to for message in mail.outbox] == [
            [org.outsider.email],
            [org.staff.email],
        ]

    def test_a_person_without_an_address_is_not_due_for_ever(
        self, client, org, entries, broker_down, django_capture_on_commit_callbacks
    ):
        org.outsider.email = ""
        org.outsider.save()
        with django_capture_on_commit_callbacks(execute=True):
            reject(client, org, ids_of(entries["outsider"]))

        assert notifications.notify_missed_rejections() == 0
        assert pending(entries["outsider"]) == [False]
        assert mail.outbox == []

    def test_rejections_from_before_the_marker_are_not_sent(self, org, entries):
        # Written as the demo data and rows older than the marker are: already told.
        TimeLog.objects.filter(pk__in=ids_of(entries["staff"])).update(
            status=TimeLog.Status.REJECTED, rejection_reason=REASON, decided_by=org.supervisor
        )
        assert notifications.notify_missed_rejections() == 0
        assert mail.outbox == []

    def test_the_sweep_is_a_periodic_job_on_the_jobs_page(self, org, login):
        periodic = PeriodicTask.objects.get(name="Missed rejection emails")
        assert periodic.task == jobs.send_missed_rejection_emails.name
        assert periodic.enabled
        assert (periodic.crontab.minute, periodic.crontab.hour) == ("*/10", "*")
        html = login(org.admin).get(reverse("tasks:jobs")).content.decode()
        assert "Missed rejection emails" in html
        assert "manage.py send_notifications rejections" in html
