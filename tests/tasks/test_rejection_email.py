"""A rejection tells each person once, in their language, why and which entries."""

import datetime
from unittest import mock

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation

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
        with (
            mock.patch(
                "tasks.notifications.translation.override", wraps=translation.override
            ) as override,
            django_capture_on_commit_callbacks(execute=True),
        ):
            reject(client, org, ids_of(entries["staff"], entries["outsider"]))
        languages = sorted(call.args[0] for call in override.call_args_list)
        assert languages == ["en", "zh-hans"]
        assert len(mail.outbox) == 2

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
