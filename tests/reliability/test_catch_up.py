"""Work done while the job queue was down is caught up when it comes back, through a
real worker on the real Redis: the daily rollup recomputes the days marked dirty, and
a payout calculation that could not be queued is requested again and runs.

Phase one points this process at a Redis that is not there (``outage.DEAD_BROKER``);
phase two uses the configured Redis (``REDIS_URL``) with a worker of its own.
"""

from __future__ import annotations

import datetime
import time

import pytest
from django.urls import reverse
from django.utils import timezone

from config.celery import app
from rewards.models import PayoutPeriod
from tasks.models import DayLedger, PersonDaySummary, TimeLog
from tasks.summaries import summaries_rebuild
from tests.celery_worker import running_worker
from tests.reliability.outage import DEAD_BROKER, broker_at
from tests.rewards.test_payout_pages import calculated_period
from tests.summary_tables import summary_tables
from tests.tasks.test_approvals import make_log

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

QUEUE = reverse("tasks:approval_queue")
WAIT_SECONDS = 60


@pytest.fixture
def default_queue():
    """Send what the services queue with ``.delay()`` to a worker's own queue."""
    saved = app.conf.task_default_queue
    yield lambda worker: setattr(app.conf, "task_default_queue", worker.queue)
    app.conf.task_default_queue = saved


def figures(profile, day) -> tuple[int, int, int]:
    summary = PersonDaySummary.objects.get(staff=profile, day=day)
    return summary.submitted_minutes, summary.approved_minutes, summary.rejected_minutes


def test_the_rollup_after_the_outage_gives_the_right_figures(client, org, tmp_path):
    today = timezone.localdate()
    yesterday = today - datetime.timedelta(days=1)
    staff, outsider = org.staff_profile, org.outsider.profile
    approve = [make_log(staff, yesterday, 30), make_log(outsider, today, 15)]
    reject = [make_log(staff, today, 25)]
    waiting = make_log(staff, today, 10)
    DayLedger.objects.update(dirty=False)  # as a rollup before the outage would leave it
    client.force_login(org.supervisor)

    with broker_at(DEAD_BROKER):
        response = client.post(QUEUE, {"action": "approve", "logs": [log.pk for log in approve]})
        assert response.status_code == 302
        response = client.post(
            QUEUE,
            {"action": "reject", "reason": "Name the client", "logs": [reject[0].pk]},
            follow=True,
        )
        assert response.status_code == 200
        assert "1 entry rejected" in response.content.decode()

    assert TimeLog.objects.get(pk=reject[0].pk).status == TimeLog.Status.REJECTED
    assert DayLedger.objects.filter(dirty=True).count() == 3

    with running_worker(tmp_path) as worker:
        result = worker.run("tasks.rollup_summaries", [], timeout=WAIT_SECONDS)

    assert result["person_days"] == 3
    assert DayLedger.objects.filter(dirty=True).count() == 0
    assert figures(staff, yesterday) == (0, 30, 0)
    assert figures(staff, today) == (waiting.minutes, 0, 25)
    assert figures(outsider, today) == (0, 15, 0)
    # The same as recomputing from the raw logs (the rebuild also writes empty rows for
    # the other departments, which the rollup had no reason to touch).
    people, departments = summary_tables()
    summaries_rebuild()
    rebuilt_people, rebuilt_departments = summary_tables()
    assert rebuilt_people == people
    touched = {row[:2] for row in departments}
    assert [row for row in rebuilt_departments if row[:2] in touched] == departments


def test_a_calculation_that_could_not_be_queued_runs_when_requested_again(
    client, org, tmp_path, default_queue
):
    period = calculated_period(org)
    calculate = reverse("rewards:period_calculate", args=[period.pk])
    client.force_login(org.finance)

    with broker_at(DEAD_BROKER):
        response = client.post(calculate, follow=True)
        assert "broker unavailable" in response.content.decode()
    period.refresh_from_db()
    assert period.calculation_state == PayoutPeriod.CalculationState.FAILED
    assert period.calculation_error == "broker unavailable"

    with running_worker(tmp_path) as worker:
        default_queue(worker)
        response = client.post(calculate, follow=True)  # the page's "Recalculate" button
        assert response.status_code == 200
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            period.refresh_from_db()
            if period.calculation_state == PayoutPeriod.CalculationState.DONE:
                break
            assert period.calculation_state != PayoutPeriod.CalculationState.FAILED, (
                period.calculation_error
            )
            assert time.monotonic() < deadline, worker.log()
            time.sleep(0.1)

    assert period.calculation_error == ""
    assert "rewards.calculate_payout_period" in worker.log()
