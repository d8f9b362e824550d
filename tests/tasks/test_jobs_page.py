"""The periodic jobs page: admins only, each job with its schedule from
django-celery-beat, "Run now" queues the job (inline in tests) and leads to a progress
view polled by htmx until the job is done; a broker that cannot be reached gives a clear
message, not an error page. Also the management command that closes due periods."""

import datetime
import uuid

import pytest
from celery.result import AsyncResult
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask
from kombu.exceptions import OperationalError

from config.celery import app
from rewards.models import PayoutPeriod
from tasks import jobs
from tasks.models import AssistCategory, DayLedger, PersonDaySummary, TimeLog
from tasks.views.jobs_admin import JOBS, SESSION_KEY

USERS = [
    "staff",
    "supervisor",
    "delegate",
    "lead",
    "other_supervisor",
    "outsider",
    "finance",
    "admin",
    "anonymous",
]
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def stored_results(monkeypatch):
    """Inline jobs keep their results in the result store, as a worker's would (the
    setting is read when a job is bound, hence on each job)."""
    for job in JOBS:
        monkeypatch.setattr(job.task, "store_eager_result", True)
    previous = app.conf.task_store_eager_result
    app.conf.task_store_eager_result = True
    yield
    app.conf.task_store_eager_result = previous


def _as(client, org, who):
    if who != "anonymous":
        client.force_login(getattr(org, who))
    return client


def _expected(who):
    return {"admin": 200, "anonymous": 302}.get(who, 403)


@pytest.mark.parametrize("who", USERS)
def test_the_jobs_page_is_for_admins_only(client, org, who):
    response = _as(client, org, who).get(reverse("tasks:jobs"))

    assert response.status_code == _expected(who)


@pytest.mark.parametrize("who", USERS)
def test_only_admins_can_run_a_job(client, org, who, stored_results, monkeypatch):
    queued = []
    monkeypatch.setattr(jobs.rollup_summaries, "delay", lambda: queued.append(1) or _pending())

    response = _as(client, org, who).post(reverse("tasks:job_run", args=["rollup"]))

    assert response.status_code == (302 if who in ("admin", "anonymous") else 403)
    assert queued == ([1] if who == "admin" else [])


@pytest.mark.parametrize("who", [u for u in USERS if u != "admin"])
def test_only_admins_see_a_jobs_progress(client, org, who):
    url = reverse("tasks:job_status", args=[str(uuid.uuid4())])

    assert _as(client, org, who).get(url).status_code == _expected(who)


def test_running_a_job_needs_a_post(login, org):
    response = login(org.admin).get(reverse("tasks:job_run", args=["rollup"]))

    assert response.status_code == 405


def test_an_unknown_job_is_not_found(login, org):
    assert login(org.admin).post(reverse("tasks:job_run", args=["nope"])).status_code == 404


def test_only_runs_started_from_this_session_can_be_watched(login, org):
    url = reverse("tasks:job_status", args=[str(uuid.uuid4())])

    assert login(org.admin).get(url).status_code == 404


def test_the_page_lists_every_job_with_its_schedule_and_admin_link(login, org):
    rollup = PeriodicTask.objects.get(name="Daily summary rollup")
    rollup.last_run_at = timezone.now() - datetime.timedelta(hours=3)
    rollup.total_run_count = 4
    rollup.save()

    response = login(org.admin).get(reverse("tasks:jobs"))
    html = response.content.decode()

    assert [row["job"].key for row in response.context["jobs"]] == [job.key for job in JOBS]
    for name, task in [
        ("Daily summary rollup", "tasks.rollup_summaries"),
        ("Approval reminders", "tasks.send_approval_reminders"),
        ("Weekly digests", "tasks.send_weekly_digests"),
        ("Close due payout periods", "rewards.close_due_periods"),
    ]:
        periodic = PeriodicTask.objects.get(name=name)
        assert periodic.task == task
        assert name in html
        assert reverse("admin:django_celery_beat_periodictask_change", args=[periodic.pk]) in html
    assert "10 1 * * *" in html  # the rollup's crontab
    assert "4 runs in all" in html
    rows = {row["job"].key: row for row in response.context["jobs"]}
    assert rows["rebuild"]["schedules"] == []
    assert "runs only by hand" in html
    assert html.count("Run now") == len(JOBS)


def test_a_schedule_changed_in_the_admin_shows_on_the_page(login, org):
    rollup = PeriodicTask.objects.get(name="Daily summary rollup")
    rollup.crontab = None
    rollup.interval = IntervalSchedule.objects.create(every=2, period=IntervalSchedule.SECONDS)
    rollup.enabled = False
    rollup.save()

    html = login(org.admin).get(reverse("tasks:jobs")).content.decode()

    assert "every 2 seconds" in html
    assert "disabled" in html


def _seed_dirty_day(org, day):
    category = AssistCategory.objects.get(code="phone-marketing")
    TimeLog.objects.create(
        staff=org.staff_profile,
        day=day,
        minutes=50,
        category=category,
        description="Calls",
        duties_done=True,
        status=TimeLog.Status.APPROVED,
    )
    DayLedger.objects.create(staff=org.staff_profile, day=day, logged_minutes=50, dirty=True)


def test_run_now_queues_the_job_and_shows_its_progress(login, org, today, stored_results):
    _seed_dirty_day(org, today)
    client = login(org.admin)

    response = client.post(reverse("tasks:job_run", args=["rollup"]))

    run = client.session[SESSION_KEY][0]
    assert run["job"] == "rollup"
    assert response.status_code == 302
    assert response["Location"] == reverse("tasks:job_status", args=[run["id"]])
    # Inline in tests: the rollup already ran.
    summary = PersonDaySummary.objects.get(staff=org.staff_profile, day=today)
    assert summary.approved_minutes == 50

    page = client.get(response["Location"])
    assert page.status_code == 200
    assert page.context["focus"]["state"] == "SUCCESS"
    assert "Roll up summaries was queued." in page.content.decode()

    partial = client.get(response["Location"], **HTMX)
    html = partial.content.decode()
    assert partial.templates[0].name == "tasks/_dash_job_status.html"
    assert "SUCCESS" in html
    assert "person_days" in html
    assert "hx-trigger" not in html  # done: the polling stops


def test_the_last_run_shows_on_the_jobs_card(login, org, today, stored_results):
    client = login(org.admin)
    client.post(reverse("tasks:job_run", args=["rebuild"]))

    rows = {row["job"].key: row for row in client.get(reverse("tasks:jobs")).context["jobs"]}

    assert rows["rebuild"]["last"]["state"] == "SUCCESS"
    assert rows["rollup"]["last"] is None


def _pending():
    return AsyncResult(str(uuid.uuid4()), app=app)


def test_a_job_not_yet_done_keeps_polling_every_two_seconds(
    login, org, stored_results, monkeypatch
):
    monkeypatch.setattr(jobs.send_weekly_digests, "delay", _pending)
    client = login(org.admin)

    response = client.post(reverse("tasks:job_run", args=["digests"]))
    partial = client.get(response["Location"], **HTMX)
    html = partial.content.decode()

    assert "PENDING" in html
    assert 'hx-trigger="every 2s"' in html
    assert f'hx-get="{response["Location"]}"' in html


@pytest.fixture
def errors_kept():
    """An inline job that fails records its failure instead of raising (as in a worker)."""
    previous = app.conf.task_eager_propagates
    app.conf.task_eager_propagates = False
    yield
    app.conf.task_eager_propagates = previous


def test_a_failed_job_shows_its_error_and_stops_polling(
    login, org, stored_results, errors_kept, monkeypatch
):
    def explode():
        raise ValueError("the digest template is missing")

    monkeypatch.setattr(jobs.send_weekly_digests, "run", explode)
    client = login(org.admin)

    response = client.post(reverse("tasks:job_run", args=["digests"]))
    html = client.get(response["Location"], **HTMX).content.decode()

    assert "FAILURE" in html
    assert "ValueError: the digest template is missing" in html
    assert "hx-trigger" not in html


def test_a_broker_that_cannot_be_reached_gives_a_clear_message(login, org, monkeypatch):
    def down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(jobs.rollup_summaries, "delay", down)
    client = login(org.admin)

    response = client.post(reverse("tasks:job_run", args=["rollup"]), follow=True)

    assert response.status_code == 200
    assert response.redirect_chain == [(reverse("tasks:jobs"), 302)]
    assert "the background worker cannot be reached, so" in (response.content.decode().lower())
    assert SESSION_KEY not in client.session


def test_a_result_store_that_cannot_be_reached_does_not_break_the_page(
    login, org, stored_results, monkeypatch
):
    monkeypatch.setattr(jobs.send_approval_reminders, "delay", _pending)
    client = login(org.admin)
    response = client.post(reverse("tasks:job_run", args=["reminders"]))

    def unreachable(self):
        raise ConnectionError("result store down")

    monkeypatch.setattr(AsyncResult, "state", property(unreachable))
    html = client.get(response["Location"], **HTMX).content.decode()

    assert "UNKNOWN" in html
    assert "The result store cannot be reached" in html


def test_the_jobs_link_is_in_the_navigation_of_admins_only(login, org):
    assert reverse("tasks:jobs") in login(org.admin).get(reverse("tasks:jobs")).content.decode()
    assert (
        reverse("tasks:jobs")
        not in login(org.finance).get(reverse("tasks:dashboard_org")).content.decode()
    )


# --------------------------------------------------------------------------- by hand


def test_close_periods_closes_the_due_periods_once(org, capsys):
    due = PayoutPeriod.objects.create(
        start_date=datetime.date(2026, 1, 1), end_date=datetime.date(2026, 1, 31)
    )
    running = PayoutPeriod.objects.create(
        start_date=datetime.date(2026, 2, 1), end_date=datetime.date(2026, 2, 28)
    )

    call_command("close_periods", "--today", "2026-02-10")
    call_command("close_periods", "--today", "2026-02-10")

    due.refresh_from_db()
    running.refresh_from_db()
    assert due.status == PayoutPeriod.Status.CLOSED
    assert running.status == PayoutPeriod.Status.OPEN
    out = capsys.readouterr().out
    assert f"1 period(s) closed: {due.pk}." in out
    assert "No period was due." in out


def test_close_periods_respects_the_grace_days(org):
    period = PayoutPeriod.objects.create(
        start_date=datetime.date(2026, 1, 1), end_date=datetime.date(2026, 1, 31)
    )

    call_command("close_periods", "--today", "2026-02-03", "--grace-days", "3")
    period.refresh_from_db()
    assert period.status == PayoutPeriod.Status.OPEN

    call_command("close_periods", "--today", "2026-02-04", "--grace-days", "3")
    period.refresh_from_db()
    assert period.status == PayoutPeriod.Status.CLOSED
