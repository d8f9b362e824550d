"""The job queue (Redis) is down: the web app keeps working.

Every test here points this process's Celery app at a Redis that is not there
(``outage.DEAD_BROKER``), with eager execution off, so ``.delay()`` really tries the
broker and fails after about 1.5 s. The cache may be on the same Redis; no page uses
it (sessions live in the database), which ``cache_down`` proves.
"""

from __future__ import annotations

import datetime
import logging

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from config import background
from rewards.models import PayoutPeriod
from tasks.models import DayLedger, TimeLog
from tests.reliability.outage import DEAD_BROKER, broker_at
from tests.rewards.test_payout_pages import calculated_period
from tests.tasks.test_approvals import make_log

QUEUE = reverse("tasks:approval_queue")
BANNER = "Background work is delayed: the job queue cannot be reached."


@pytest.fixture
def broker_down():
    with broker_at(DEAD_BROKER):
        yield


@pytest.fixture
def cache_down(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": DEAD_BROKER,
        }
    }


@pytest.fixture
def entries(org, today):
    yesterday = today - datetime.timedelta(days=1)
    for profile in (org.staff_profile, org.outsider.profile):
        profile.language = "en"
        profile.save()
    return [
        make_log(org.staff_profile, yesterday, 30),
        make_log(org.staff_profile, today, 25),
        make_log(org.outsider.profile, today, 15),
    ]


def pages_for(org) -> dict:
    everyone = [reverse("home"), reverse("tasks:my_week")]
    return {
        "staff": everyone,
        "supervisor": [*everyone, QUEUE, reverse("tasks:extension_queue")],
        "finance": [*everyone, reverse("rewards:periods")],
        "admin": [reverse("home"), reverse("rewards:periods"), reverse("tasks:jobs")],
    }


class TestPages:
    @pytest.mark.parametrize(
        ("name", "banner"),
        [("staff", False), ("supervisor", True), ("finance", True), ("admin", True)],
    )
    def test_pages_render_and_the_right_people_see_the_banner(
        self, client, org, entries, broker_down, cache_down, name, banner
    ):
        client.force_login(getattr(org, name))
        for url in pages_for(org)[name]:
            response = client.get(url, follow=True)
            assert response.status_code == 200, url
            assert (BANNER in response.content.decode()) is banner, url

    @pytest.mark.parametrize("name", ["staff", "supervisor", "finance", "admin"])
    def test_no_banner_while_the_broker_is_up(self, client, org, entries, name):
        background.forget()
        client.force_login(getattr(org, name))
        for url in pages_for(org)[name]:
            assert BANNER not in client.get(url, follow=True).content.decode(), url

    def test_the_check_runs_once_for_many_requests_and_adds_no_query(
        self, client, org, entries, monkeypatch
    ):
        background.forget()
        calls = []
        check = background._check_broker
        monkeypatch.setattr(background, "_check_broker", lambda: calls.append(1) or check())
        client.force_login(org.supervisor)
        client.get(QUEUE)  # warm up the per-process caches (content types, translations)
        with CaptureQueriesContext(connection) as up:
            client.get(QUEUE)
        with broker_at(DEAD_BROKER):
            client.get(QUEUE)
            with CaptureQueriesContext(connection) as down:
                for _ in range(5):
                    assert BANNER in client.get(QUEUE).content.decode()
        assert len(calls) == 2  # once with the broker up, once after it went away
        assert len(down) == 5 * len(up)

    def test_the_answer_is_kept_for_thirty_seconds(self, monkeypatch):
        now = [1000.0]
        answers = iter([False, True])
        monkeypatch.setattr(background.time, "monotonic", lambda: now[0])
        monkeypatch.setattr(background, "_check_broker", lambda: next(answers))
        background.forget()

        assert background.broker_reachable() is False
        now[0] += background.CHECK_SECONDS - 1
        assert background.broker_reachable() is False
        now[0] += 1
        assert background.broker_reachable() is True
        background.forget()

    def test_healthz_reports_503_with_the_broker_error(self, client, db, broker_down):
        response = client.get(reverse("healthz"))

        assert response.status_code == 503
        assert response.json()["database"] == "ok"
        assert response.json()["broker"].startswith("error")


class TestWritesCommit:
    def test_a_rejection_is_saved_and_reads_as_usual(
        self,
        client,
        org,
        entries,
        broker_down,
        cache_down,
        caplog,
        django_capture_on_commit_callbacks,
    ):
        ids = [log.pk for log in entries]
        client.force_login(org.supervisor)

        with (
            caplog.at_level(logging.ERROR, logger="tasks.services"),
            django_capture_on_commit_callbacks(execute=True),
        ):
            response = client.post(
                QUEUE, {"action": "reject", "reason": "Name the client", "logs": ids}, follow=True
            )

        assert response.status_code == 200
        content = response.content.decode()
        assert "3 entries rejected" in content
        assert BANNER in content
        assert set(TimeLog.objects.filter(pk__in=ids).values_list("status", flat=True)) == {
            TimeLog.Status.REJECTED
        }
        assert set(DayLedger.objects.values_list("logged_minutes", flat=True)) == {0}
        assert "Could not queue tasks.send_time_log_rejected" in caplog.text
        assert mail.outbox == []

    def test_an_approval_is_saved(self, client, org, entries, broker_down):
        ids = [log.pk for log in entries]
        client.force_login(org.supervisor)

        response = client.post(QUEUE, {"action": "approve", "logs": ids}, follow=True)

        assert response.status_code == 200
        assert "3 entries approved" in response.content.decode()
        assert TimeLog.objects.filter(status=TimeLog.Status.APPROVED).count() == 3
        assert DayLedger.objects.filter(dirty=True).count() == 3  # for the next rollup


class TestPayoutCalculation:
    def test_it_shows_broker_unavailable_and_the_retry_works_once_it_is_back(
        self, client, org, today, django_capture_on_commit_callbacks
    ):
        period = calculated_period(org)
        calculate = reverse("rewards:period_calculate", args=[period.pk])
        client.force_login(org.finance)

        with broker_at(DEAD_BROKER):
            with django_capture_on_commit_callbacks(execute=True):
                response = client.post(calculate)
            response = client.get(response["Location"])
            assert response.status_code == 200
            content = response.content.decode()
            assert "The calculation failed." in content
            assert "broker unavailable" in content
            assert BANNER in content
        period.refresh_from_db()
        assert period.calculation_state == PayoutPeriod.CalculationState.FAILED
        failed_run = period.calculation_run

        # The broker is back (in this process: jobs run inline again).
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(calculate)
        response = client.get(response["Location"])

        assert response.status_code == 200
        assert "broker unavailable" not in response.content.decode()
        period.refresh_from_db()
        assert period.calculation_run == failed_run + 1
        assert period.calculation_state == PayoutPeriod.CalculationState.DONE
        assert period.calculation_error == ""


class TestJobsPage:
    def test_run_now_says_the_worker_cannot_be_reached(self, client, org, broker_down):
        client.force_login(org.admin)

        response = client.post(reverse("tasks:job_run", args=["rollup"]), follow=True)

        assert response.status_code == 200
        content = response.content.decode()
        assert "The background worker cannot be reached" in content
        assert BANNER in content
