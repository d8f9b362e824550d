"""The periodic jobs page, for admins: each job with its schedule (from
django-celery-beat, changed in the admin), its last runs and a "Run now" button that
queues it; a progress view polls the queued job's state.

Queuing needs the broker. When it cannot be reached the page says so and the job is
not lost: its next scheduled run, or a new "Run now", will do the work.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from celery.result import AsyncResult
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST
from django_celery_beat.models import PeriodicTask
from kombu.exceptions import OperationalError

from config.celery import app
from rewards import jobs as reward_jobs
from tasks import jobs as task_jobs
from tasks.permissions import can_run_jobs

logger = logging.getLogger(__name__)

SESSION_KEY = "allhands_job_runs"
KEEP_RUNS = 20
RESULT_CHARS = 2000


@dataclass(frozen=True)
class Job:
    key: str
    label: str
    description: str
    task: Any
    command: str
    confirm: str = ""


JOBS = [
    Job(
        key="rollup",
        label=gettext_lazy("Roll up summaries"),
        description=gettext_lazy(
            "Recomputes the summary tables for every changed day and, in full, for yesterday."
        ),
        task=task_jobs.rollup_summaries,
        command="manage.py rollup_summaries",
    ),
    Job(
        key="rebuild",
        label=gettext_lazy("Rebuild summaries"),
        description=gettext_lazy(
            "Repair: recomputes the summaries of all history from the raw time logs. "
            "Runs only by hand."
        ),
        task=task_jobs.rebuild_summaries,
        command="manage.py rollup_summaries --rebuild",
        confirm=gettext_lazy("Recompute every summary from the raw logs?"),
    ),
    Job(
        key="reminders",
        label=gettext_lazy("Approval reminders"),
        description=gettext_lazy(
            "Reminds approvers (and their delegates) of items waiting too long; "
            "each reminder goes out once a day."
        ),
        task=task_jobs.send_approval_reminders,
        command="manage.py send_notifications reminders",
    ),
    Job(
        key="digests",
        label=gettext_lazy("Weekly digests"),
        description=gettext_lazy(
            "Sends last week's digest to supervisors, marketing leads and management; "
            "each digest goes out once a week."
        ),
        task=task_jobs.send_weekly_digests,
        command="manage.py send_notifications digests",
    ),
    Job(
        key="rejections",
        label=gettext_lazy("Missed rejection emails"),
        description=gettext_lazy(
            "Sends the rejection emails that could not be queued or sent when the time "
            "was rejected (for example while the job queue was down); each goes out once."
        ),
        task=task_jobs.send_missed_rejection_emails,
        command="manage.py send_notifications rejections",
    ),
    Job(
        key="close_periods",
        label=gettext_lazy("Close due payout periods"),
        description=gettext_lazy(
            "Closes finished months for logging once their grace days are over."
        ),
        task=reward_jobs.close_due_periods,
        command="manage.py close_periods",
    ),
]
JOBS_BY_KEY = {job.key: job for job in JOBS}
JOBS_BY_TASK = {job.task.name: job for job in JOBS}

STATE_LABELS = {
    "PENDING": gettext_lazy("Waiting for a worker"),
    "RECEIVED": gettext_lazy("Received by a worker"),
    "STARTED": gettext_lazy("Running"),
    "RETRY": gettext_lazy("Waiting to retry"),
    "SUCCESS": gettext_lazy("Finished"),
    "FAILURE": gettext_lazy("Failed"),
    "REVOKED": gettext_lazy("Cancelled"),
    "UNKNOWN": gettext_lazy("The result store cannot be reached"),
}


def _require_admin(request: HttpRequest) -> None:
    if not can_run_jobs(request.user):
        raise PermissionDenied


def _runs(request: HttpRequest) -> list[dict]:
    return list(request.session.get(SESSION_KEY, []))


def _result_text(payload: Any, failed: bool) -> str:
    if payload is None:
        return ""
    if failed or isinstance(payload, BaseException):
        text = f"{type(payload).__name__}: {payload}"
    else:
        text = json.dumps(payload, ensure_ascii=False, default=str, indent=1)
    return text if len(text) <= RESULT_CHARS else text[:RESULT_CHARS] + "…"


def run_status(run: dict) -> dict:
    """What the result backend knows of a queued run."""
    result = AsyncResult(run["id"], app=app)
    try:
        state = result.state
        payload = result.result if state in ("SUCCESS", "FAILURE") else None
    except Exception:  # the result store is down: say so rather than fail the page
        logger.warning("Cannot read the state of job %s", run["id"], exc_info=True)
        state, payload = "UNKNOWN", None
    job = JOBS_BY_KEY.get(run.get("job", ""))
    failed = state == "FAILURE"
    return {
        "id": run["id"],
        "job": job,
        "job_label": job.label if job else run.get("job", ""),
        "at": parse_datetime(run.get("at", "")),
        "state": state,
        "state_label": STATE_LABELS.get(state, state),
        "ready": state in ("SUCCESS", "FAILURE", "REVOKED"),
        "failed": failed,
        "result_text": _result_text(payload, failed),
    }


def _schedule(task: PeriodicTask) -> dict:
    if task.crontab_id:
        crontab = task.crontab
        code = " ".join(
            [
                crontab.minute,
                crontab.hour,
                crontab.day_of_month,
                crontab.month_of_year,
                crontab.day_of_week,
            ]
        )
        text = crontab.human_readable
    elif task.interval_id:
        code, text = "", str(task.interval)
    else:
        code, text = "", str(task.clocked or task.solar or "")
    return {
        "task": task,
        "code": code,
        "text": text,
        "admin_url": reverse("admin:django_celery_beat_periodictask_change", args=[task.pk]),
    }


def _page_context(request: HttpRequest, *, focus: dict | None = None) -> dict:
    schedules: dict[str, list[dict]] = {job.key: [] for job in JOBS}
    for task in (
        PeriodicTask.objects.filter(task__in=list(JOBS_BY_TASK))
        .select_related("crontab", "interval", "solar", "clocked")
        .order_by("name")
    ):
        schedules[JOBS_BY_TASK[task.task].key].append(_schedule(task))
    latest: dict[str, dict] = {}
    for run in _runs(request):
        latest.setdefault(run.get("job", ""), run)
    rows = []
    for job in JOBS:
        last = latest.get(job.key)
        if last and focus and last["id"] == focus["id"]:
            last = None  # already shown on top, with its progress
        rows.append(
            {
                "job": job,
                "schedules": schedules[job.key],
                "last": run_status(last) if last else None,
            }
        )
    return {"jobs": rows, "focus": focus}


@require_GET
def jobs_page(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    return render(request, "tasks/jobs.html", _page_context(request))


@require_POST
def job_run(request: HttpRequest, key: str) -> HttpResponse:
    _require_admin(request)
    job = JOBS_BY_KEY.get(key)
    if job is None:
        raise Http404
    try:
        result = job.task.delay()
    except (OperationalError, OSError):
        logger.warning("Could not queue the job %s", job.task.name, exc_info=True)
        messages.error(
            request,
            _(
                "The background worker cannot be reached, so %(job)s was not started. "
                "Try again when the worker is back; scheduled runs resume by themselves."
            )
            % {"job": job.label},
        )
        return redirect("tasks:jobs")
    runs = [{"id": result.id, "job": job.key, "at": timezone.now().isoformat()}, *_runs(request)]
    request.session[SESSION_KEY] = runs[:KEEP_RUNS]
    messages.success(request, _("%(job)s was queued.") % {"job": job.label})
    return redirect("tasks:job_status", task_id=result.id)


@require_GET
def job_status(request: HttpRequest, task_id: str) -> HttpResponse:
    """The state of a run queued from this page: a partial polled by htmx, or the jobs
    page with the run's progress on top."""
    _require_admin(request)
    run = next((r for r in _runs(request) if r["id"] == task_id), None)
    if run is None:
        raise Http404
    status = run_status(run)
    if request.htmx:
        return render(request, "tasks/_dash_job_status.html", {"run": status})
    return render(request, "tasks/jobs.html", _page_context(request, focus=status))


urlpatterns = [
    path("admin-jobs/", jobs_page, name="jobs"),
    path("admin-jobs/<slug:key>/run/", job_run, name="job_run"),
    path("admin-jobs/status/<str:task_id>/", job_status, name="job_status"),
]
