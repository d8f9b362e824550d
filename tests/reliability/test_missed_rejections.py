"""A rejection whose email could not be queued while the job queue was down is sent by
the periodic sweep once the queue is back: once per person, however often the sweep runs
and even when several sweeps run at the same moment."""

from __future__ import annotations

import datetime
from unittest import mock

import pytest
from django.core import mail
from django.core.mail import get_connection
from django.urls import reverse

from tasks import jobs, notifications, services
from tasks.models import TimeLog
from tests.reliability.outage import DEAD_BROKER, broker_at
from tests.tasks.test_approvals import make_log
from tests.tasks.test_budget_concurrency import run_together

QUEUE = reverse("tasks:approval_queue")
REASON = "Name the client"


@pytest.fixture
def entries(org, today):
    for profile in (org.staff_profile, org.outsider.profile):
        profile.language = "en"
        profile.save()
    return [
        make_log(org.staff_profile, today - datetime.timedelta(days=1), 30),
        make_log(org.staff_profile, today, 25),
        make_log(org.outsider.profile, today, 15),
    ]


def due(entries) -> list[bool]:
    return [TimeLog.objects.get(pk=log.pk).rejection_email_pending for log in entries]


def test_the_email_held_back_by_the_outage_goes_out_once_the_queue_is_back(
    client, org, entries, django_capture_on_commit_callbacks
):
    client.force_login(org.supervisor)
    with broker_at(DEAD_BROKER), django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            QUEUE, {"action": "reject", "reason": REASON, "logs": [e.pk for e in entries]}
        )
    assert response.status_code == 302
    assert mail.outbox == []
    assert due(entries) == [True, True, True]

    # The queue is back (in this process: jobs run inline); beat queues the sweep.
    assert jobs.send_missed_rejection_emails.delay().get() == 2
    assert jobs.send_missed_rejection_emails.delay().get() == 0

    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        [org.staff.email, org.outsider.email]
    )
    assert due(entries) == [False, False, False]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_sweeps_running_at_the_same_moment_send_each_email_once(org, entries):
    with mock.patch.object(
        jobs.send_time_log_rejected, "delay", side_effect=OSError("broker down")
    ):
        services.time_logs_reject(
            actor=org.supervisor, log_ids=[e.pk for e in entries], reason=REASON
        )
    assert due(entries) == [True, True, True]

    results = run_together([notifications.notify_missed_rejections] * 6)

    assert all(state == "ok" for state, _result in results), results
    assert sum(result for _state, result in results) == 2
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        [org.staff.email, org.outsider.email]
    )
    assert due(entries) == [False, False, False]


def test_a_mail_server_that_stops_answering_fails_the_send_instead_of_holding_it(settings):
    # The sweep sends inside the transaction that claims the rejections; a send without
    # a timeout would keep that transaction (and its row locks) open for ever.
    connection = get_connection("django.core.mail.backends.smtp.EmailBackend")
    assert connection.timeout == settings.EMAIL_TIMEOUT == 30
