"""A database error in the middle of a bulk decision changes nothing, and the person who
pressed the button reads a plain message (503), not a traceback.

The error is raised after the rows' status was already updated (the trail of state
changes is written last), so these tests prove the batch is rolled back as a whole.
"""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.db import DatabaseError
from django.urls import reverse

from rewards.models import Statement
from rewards.services import signoff
from tasks.models import DayLedger, StateChange, TimeLog
from tests.rewards.test_payout_pages import calculated_period
from tests.tasks.test_approvals import make_log

QUEUE = reverse("tasks:approval_queue")
APPROVE_STATEMENTS = reverse("rewards:approve_queue")
MESSAGE = "Nothing was changed: the database reported an error. Try again."


def fail_after_the_update(*args, **kwargs):
    raise DatabaseError("disk I/O error")


@pytest.fixture
def entries(org, today):
    yesterday = today - datetime.timedelta(days=1)
    logs = [
        make_log(org.staff_profile, yesterday, 30),
        make_log(org.staff_profile, today, 25),
        make_log(org.outsider.profile, today, 15),
    ]
    # A rolled-up state, so that a stray "dirty" mark would show.
    DayLedger.objects.update(dirty=False)
    return logs


def ledgers() -> list[tuple]:
    return list(
        DayLedger.objects.order_by("pk").values_list(
            "pk", "staff_id", "day", "logged_minutes", "dirty", "updated_at"
        )
    )


def statuses(logs) -> list[str]:
    return list(
        TimeLog.objects.filter(pk__in=[log.pk for log in logs])
        .order_by("pk")
        .values_list("status", flat=True)
    )


class TestTimeLogBulkDecisions:
    @pytest.mark.parametrize(
        "form",
        [{"action": "approve"}, {"action": "reject", "reason": "Name the client"}],
        ids=["approve", "reject"],
    )
    def test_a_database_error_half_way_changes_nothing_and_says_so(
        self, client, org, entries, monkeypatch, django_capture_on_commit_callbacks, form
    ):
        before = ledgers()
        trail = StateChange.objects.count()
        monkeypatch.setattr("tasks.services.record_changes", fail_after_the_update)
        client.force_login(org.supervisor)

        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            response = client.post(QUEUE, {**form, "logs": [log.pk for log in entries]})

        assert response.status_code == 503
        assert MESSAGE in response.content.decode()
        assert "Traceback" not in response.content.decode()
        assert statuses(entries) == [TimeLog.Status.SUBMITTED] * 3
        assert TimeLog.objects.filter(decided_by__isnull=False).count() == 0
        assert ledgers() == before
        assert StateChange.objects.count() == trail
        assert callbacks == []  # no rejection email queued for a rejection that never was
        assert mail.outbox == []

    def test_the_same_batch_goes_through_once_the_database_is_well(
        self, client, org, entries, monkeypatch
    ):
        client.force_login(org.supervisor)
        ids = [log.pk for log in entries]
        with monkeypatch.context() as patch:
            patch.setattr("tasks.services.record_changes", fail_after_the_update)
            assert client.post(QUEUE, {"action": "approve", "logs": ids}).status_code == 503

        response = client.post(QUEUE, {"action": "approve", "logs": ids})

        assert response.status_code == 302
        assert statuses(entries) == [TimeLog.Status.APPROVED] * 3
        assert DayLedger.objects.filter(dirty=True).count() == 3

    def test_the_page_keeps_the_selection_to_try_again(self, client, org, entries, monkeypatch):
        monkeypatch.setattr("tasks.services.record_changes", fail_after_the_update)
        client.force_login(org.supervisor)
        ids = [log.pk for log in entries]

        response = client.post(QUEUE, {"action": "approve", "logs": ids})

        assert response.context["selected"] == set(ids)


class TestStatementSignOff:
    @pytest.fixture
    def recommended(self, org, today):
        period = calculated_period(org)
        mine = list(
            Statement.objects.filter(period=period, staff__line_supervisor=org.supervisor)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        signoff.statements_recommend(actor=org.lead, statement_ids=mine)
        return period, mine

    def snapshot(self, period) -> list[tuple]:
        return list(
            Statement.objects.filter(period=period)
            .order_by("pk")
            .values_list("pk", "status", "approved_by", "approved_at", "total")
        )

    def test_a_database_error_half_way_approves_nothing_and_says_so(
        self, client, org, recommended, monkeypatch
    ):
        period, mine = recommended
        assert len(mine) == 2
        before = self.snapshot(period)
        trail = StateChange.objects.count()
        monkeypatch.setattr("rewards.services.signoff.record_changes", fail_after_the_update)
        client.force_login(org.supervisor)

        response = client.post(APPROVE_STATEMENTS, {"statements": mine, "action": "approve"})

        assert response.status_code == 503
        assert MESSAGE in response.content.decode()
        assert self.snapshot(period) == before
        assert set(Statement.objects.filter(pk__in=mine).values_list("status", flat=True)) == {
            Statement.Status.RECOMMENDED
        }
        assert StateChange.objects.count() == trail
        period.refresh_from_db()
        assert period.status == "calculated"


@pytest.mark.urls("config.urls")
def test_with_debug_off_the_message_is_the_same(client, org, entries, monkeypatch, settings):
    settings.DEBUG = False
    monkeypatch.setattr("tasks.services.record_changes", fail_after_the_update)
    client.force_login(org.supervisor)

    response = client.post(QUEUE, {"action": "approve", "logs": [log.pk for log in entries]})

    assert response.status_code == 503
    assert MESSAGE in response.content.decode()
