"""Writes of assist work. Every rule about time logs lives here, once.

Rules 1 and 2 of the spec: a person's non-rejected minutes on a day never exceed their
budget plus granted extensions, also under concurrent submissions (each write locks the
person's ``DayLedger`` row for that day); minutes are positive; no future days; nothing
older than the edit window or inside a closed payout period is created or changed.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

import audit.services
from departments.models import StaffProfile
from departments.selectors import budget_minutes_for
from tasks import permissions
from tasks.history import record_change, record_changes
from tasks.models import (
    MAX_LOG_MINUTES,
    AssistCategory,
    BudgetExtension,
    DayLedger,
    MarketingTask,
    TaskAssignment,
    TaskComment,
    TimeLog,
)

MAX_TEXT = 2000


# --------------------------------------------------------------------------- budget


def granted_extension_minutes(*, staff: StaffProfile, day: datetime.date) -> int:
    return (
        BudgetExtension.objects.filter(
            staff=staff, day=day, status=BudgetExtension.Status.GRANTED
        ).aggregate(total=Sum("minutes"))["total"]
        or 0
    )


def day_cap_minutes(*, staff: StaffProfile, day: datetime.date) -> int:
    """Budget of the day plus granted extensions."""
    return budget_minutes_for(staff=staff, day=day) + granted_extension_minutes(
        staff=staff, day=day
    )


def _lock_day(staff_id: int, day: datetime.date) -> DayLedger:
    """Take the person-day lock. Concurrent writers for the same day queue here."""
    try:
        with transaction.atomic():
            DayLedger.objects.get_or_create(staff_id=staff_id, day=day)
    except IntegrityError:
        pass  # created by a concurrent transaction a moment ago
    return DayLedger.objects.select_for_update().get(staff_id=staff_id, day=day)


def _counted_minutes(staff_id: int, day: datetime.date, *, exclude_pk=None) -> int:
    logs = TimeLog.objects.filter(staff_id=staff_id, day=day).exclude(
        status=TimeLog.Status.REJECTED
    )
    if exclude_pk is not None:
        logs = logs.exclude(pk=exclude_pk)
    return logs.aggregate(total=Sum("minutes"))["total"] or 0


def _refresh_ledger(ledger: DayLedger) -> None:
    ledger.logged_minutes = _counted_minutes(ledger.staff_id, ledger.day)
    ledger.dirty = True
    ledger.save(update_fields=["logged_minutes", "dirty", "updated_at"])


def _check_budget(
    staff: StaffProfile, day: datetime.date, minutes: int, *, exclude_pk=None
) -> None:
    used = _counted_minutes(staff.pk, day, exclude_pk=exclude_pk)
    cap = day_cap_minutes(staff=staff, day=day)
    remaining = max(cap - used, 0)
    if minutes > remaining:
        raise ValidationError(
            {
                "minutes": _(
                    "Only %(remaining)d minutes of your budget remain for %(day)s "
                    "(budget %(cap)d, already logged %(used)d). Log at most %(remaining)d "
                    "minutes, or ask your line supervisor for an extension."
                )
                % {
                    "remaining": remaining,
                    "day": date_format(day, "SHORT_DATE_FORMAT"),
                    "cap": cap,
                    "used": used,
                }
            }
        )


# --------------------------------------------------------------------------- rule 2


def earliest_editable_day(today: datetime.date | None = None) -> datetime.date:
    today = today or timezone.localdate()
    return today - datetime.timedelta(days=settings.ALLHANDS_EDIT_WINDOW_DAYS)


def _check_day(day: datetime.date, *, field: str = "day") -> None:
    from rewards.selectors import period_closed_for_logging

    today = timezone.localdate()
    if day > today:
        raise ValidationError({field: _("You cannot log time for a future day.")})
    if day < earliest_editable_day(today):
        raise ValidationError(
            {
                field: _("Entries older than %(days)d days can no longer be created or changed.")
                % {"days": settings.ALLHANDS_EDIT_WINDOW_DAYS}
            }
        )
    period = period_closed_for_logging(day=day)
    if period is not None:
        raise ValidationError(
            {
                field: _("The payout period %(period)s is closed; its time can no longer change.")
                % {"period": str(period)}
            }
        )


def _check_fields(
    *,
    staff: StaffProfile,
    minutes,
    category: AssistCategory | None,
    task: MarketingTask | None,
    description: str,
    outcome: str,
    duties_done: bool,
) -> None:
    errors: dict[str, str] = {}
    if not isinstance(minutes, int) or isinstance(minutes, bool) or minutes <= 0:
        errors["minutes"] = _("Enter a whole number of minutes greater than zero.")
    elif minutes > MAX_LOG_MINUTES:
        errors["minutes"] = _("A day has only %(max)d minutes.") % {"max": MAX_LOG_MINUTES}
    if category is None or not category.is_active:
        errors["category"] = _("Choose an active category.")
    if task is not None:
        if task.is_closed and task.status == MarketingTask.Status.CANCELLED:
            errors["task"] = _("This task was cancelled; time can no longer be logged on it.")
        elif (
            not TaskAssignment.objects.filter(task=task, assignee_id=staff.user_id)
            .exclude(status=TaskAssignment.Status.DECLINED)
            .exists()
        ):
            errors["task"] = _("You can only log time on tasks assigned to you.")
    if not (description or "").strip():
        errors["description"] = _("Describe what you did.")
    elif len(description) > MAX_TEXT:
        errors["description"] = _("Keep the description under %(max)d characters.") % {
            "max": MAX_TEXT
        }
    if len(outcome or "") > MAX_TEXT:
        errors["outcome"] = _("Keep the outcome under %(max)d characters.") % {"max": MAX_TEXT}
    if duties_done is not True:
        errors["duties_done"] = _(
            "Marketing-assist work comes on top of your own job: confirm your own duties "
            "for the day are done."
        )
    if errors:
        raise ValidationError(errors)


# --------------------------------------------------------------------------- time logs


@transaction.atomic
def time_log_create(
    *,
    staff: StaffProfile,
    day: datetime.date,
    minutes: int,
    category: AssistCategory,
    description: str,
    duties_done: bool,
    task: MarketingTask | None = None,
    outcome: str = "",
    actor=None,
) -> TimeLog:
    if not staff.is_active:
        raise ValidationError(_("This person is not active."))
    _check_fields(
        staff=staff,
        minutes=minutes,
        category=category,
        task=task,
        description=description,
        outcome=outcome,
        duties_done=duties_done,
    )
    _check_day(day)
    ledger = _lock_day(staff.pk, day)
    _check_budget(staff, day, minutes)
    log = TimeLog.objects.create(
        staff=staff,
        day=day,
        minutes=minutes,
        category=category,
        task=task,
        description=description.strip(),
        outcome=(outcome or "").strip(),
        duties_done=True,
    )
    _refresh_ledger(ledger)
    record_change(subject=log, from_state="", to_state=log.status, actor=actor or staff.user)
    return log


@transaction.atomic
def time_log_update(*, actor, log: TimeLog, **fields) -> TimeLog:
    allowed = {"day", "minutes", "category", "task", "description", "outcome", "duties_done"}
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"Unknown time log fields: {sorted(unknown)}")
    log = TimeLog.objects.select_for_update(of=("self",)).select_related("staff").get(pk=log.pk)
    if not permissions.can_change_time_log(actor, log):
        raise PermissionDenied
    if log.status != TimeLog.Status.SUBMITTED:
        raise ValidationError(
            _("Only submitted time can be changed; this entry was already decided.")
        )
    new = {name: fields.get(name, getattr(log, name)) for name in allowed}
    _check_fields(
        staff=log.staff,
        minutes=new["minutes"],
        category=new["category"],
        task=new["task"],
        description=new["description"],
        outcome=new["outcome"],
        duties_done=new["duties_done"],
    )
    _check_day(log.day)
    if new["day"] != log.day:
        _check_day(new["day"])
    # Lock both days in a fixed order so that two moves between the same days cannot deadlock.
    ledgers = {day: _lock_day(log.staff_id, day) for day in sorted({log.day, new["day"]})}
    _check_budget(log.staff, new["day"], new["minutes"], exclude_pk=log.pk)
    for name, value in new.items():
        setattr(log, name, value.strip() if isinstance(value, str) else value)
    log.save()
    for ledger in ledgers.values():
        _refresh_ledger(ledger)
    return log


@transaction.atomic
def time_log_delete(*, actor, log: TimeLog) -> None:
    log = TimeLog.objects.select_for_update(of=("self",)).select_related("staff").get(pk=log.pk)
    if not permissions.can_change_time_log(actor, log):
        raise PermissionDenied
    if log.status != TimeLog.Status.SUBMITTED:
        raise ValidationError(
            _("Only submitted time can be deleted; this entry was already decided.")
        )
    _check_day(log.day)
    ledger = _lock_day(log.staff_id, log.day)
    record_change(subject=log, from_state=log.status, to_state="deleted", actor=actor)
    log.delete()
    _refresh_ledger(ledger)


def _logs_for_decision(actor, log_ids: Iterable[int]) -> list[TimeLog]:
    ids = sorted({int(pk) for pk in log_ids})
    if not ids:
        raise ValidationError(_("Select at least one entry."))
    logs = list(
        TimeLog.objects.select_for_update(of=("self",))
        .select_related("staff", "staff__user")
        .filter(pk__in=ids)
        .order_by("pk")
    )
    if len(logs) != len(ids):
        raise ValidationError(_("Some of the selected entries no longer exist. Reload the page."))
    for log in logs:
        if not permissions.can_approve_time(actor, log):
            raise PermissionDenied
        if log.status != TimeLog.Status.SUBMITTED:
            raise ValidationError(
                _("Some of the selected entries were already decided. Reload the page.")
            )
    return logs


@transaction.atomic
def time_logs_approve(*, actor, log_ids: Iterable[int]) -> int:
    """Approve all or nothing: one entry the actor may not approve stops the batch."""
    logs = _logs_for_decision(actor, log_ids)
    now = timezone.now()
    TimeLog.objects.filter(pk__in=[log.pk for log in logs]).update(
        status=TimeLog.Status.APPROVED, decided_by=actor, decided_at=now, updated_at=now
    )
    DayLedger.objects.filter(
        staff_id__in={log.staff_id for log in logs}, day__in={log.day for log in logs}
    ).update(dirty=True)
    record_changes(
        subjects=logs,
        from_state=TimeLog.Status.SUBMITTED,
        to_state=TimeLog.Status.APPROVED,
        actor=actor,
    )
    audit.services.record_each(action="time_approved", objs=logs, actor=actor)
    return len(logs)


@transaction.atomic
def time_logs_reject(*, actor, log_ids: Iterable[int], reason: str) -> int:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why, so that the person can put it right.")})
    if len(reason) > MAX_TEXT:
        raise ValidationError(
            {"reason": _("Keep the reason under %(max)d characters.") % {"max": MAX_TEXT}}
        )
    logs = _logs_for_decision(actor, log_ids)
    now = timezone.now()
    TimeLog.objects.filter(pk__in=[log.pk for log in logs]).update(
        status=TimeLog.Status.REJECTED,
        decided_by=actor,
        decided_at=now,
        rejection_reason=reason,
        rejection_email_pending=True,
        updated_at=now,
    )
    for staff_id, day in sorted({(log.staff_id, log.day) for log in logs}):
        _refresh_ledger(_lock_day(staff_id, day))
    record_changes(
        subjects=logs,
        from_state=TimeLog.Status.SUBMITTED,
        to_state=TimeLog.Status.REJECTED,
        actor=actor,
        reason=reason,
    )
    audit.services.record_each(
        action="time_rejected", objs=logs, actor=actor, extra={"reason": reason}
    )
    from tasks.jobs import send_time_log_rejected

    ids = [log.pk for log in logs]
    transaction.on_commit(lambda: _queue_safely(send_time_log_rejected, ids))
    return len(logs)


def _queue_safely(job, *args) -> None:
    """Queue a job; when the broker is down, log it instead of failing the request."""
    import logging

    try:
        job.delay(*args)
    except Exception:
        logging.getLogger(__name__).exception("Could not queue %s", job.name)


@transaction.atomic
def time_log_review_outcome(*, actor, log: TimeLog, outcome_status: str, note: str = "") -> TimeLog:
    log = (
        TimeLog.objects.select_for_update(of=("self",))
        .select_related("task", "staff")
        .get(pk=log.pk)
    )
    if not permissions.can_review_outcome(actor, log):
        raise PermissionDenied
    valid = {TimeLog.OutcomeStatus.CONFIRMED, TimeLog.OutcomeStatus.NEEDS_FOLLOW_UP}
    if outcome_status not in valid:
        raise ValidationError({"outcome_status": _("Choose confirmed or needs follow-up.")})
    note = (note or "").strip()
    if outcome_status == TimeLog.OutcomeStatus.NEEDS_FOLLOW_UP and not note:
        raise ValidationError({"note": _("Say what needs follow-up.")})
    if len(note) > MAX_TEXT:
        raise ValidationError(
            {"note": _("Keep the note under %(max)d characters.") % {"max": MAX_TEXT}}
        )
    previous = log.outcome_status or "unreviewed"
    log.outcome_status = outcome_status
    log.outcome_note = note
    log.outcome_by = actor
    log.outcome_at = timezone.now()
    log.save(
        update_fields=["outcome_status", "outcome_note", "outcome_by", "outcome_at", "updated_at"]
    )
    record_change(
        subject=log,
        from_state=f"outcome:{previous}",
        to_state=f"outcome:{outcome_status}",
        actor=actor,
        reason=note,
    )
    audit.services.record(
        action="outcome_reviewed",
        obj=log,
        actor=actor,
        extra={"outcome_status": outcome_status, "note": note},
    )
    return log


# --------------------------------------------------------------------------- extensions


@transaction.atomic
def extension_request(
    *, staff: StaffProfile, day: datetime.date, minutes: int, reason: str
) -> BudgetExtension:
    errors = {}
    if not isinstance(minutes, int) or isinstance(minutes, bool) or minutes <= 0:
        errors["minutes"] = _("Enter a whole number of minutes greater than zero.")
    elif minutes > MAX_LOG_MINUTES:
        errors["minutes"] = _("A day has only %(max)d minutes.") % {"max": MAX_LOG_MINUTES}
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = _("Say why you need more time that day.")
    elif len(reason) > MAX_TEXT:
        errors["reason"] = _("Keep the reason under %(max)d characters.") % {"max": MAX_TEXT}
    today = timezone.localdate()
    if day < earliest_editable_day(today):
        errors["day"] = _(
            "Entries older than %(days)d days can no longer be created or changed."
        ) % {"days": settings.ALLHANDS_EDIT_WINDOW_DAYS}
    elif day > today + datetime.timedelta(days=60):
        errors["day"] = _("Ask for extensions at most 60 days ahead.")
    if staff.line_supervisor_id is None:
        errors["day"] = _(
            "You have no line supervisor to grant an extension; ask an administrator."
        )
    if errors:
        raise ValidationError(errors)
    if BudgetExtension.objects.filter(
        staff=staff, day=day, status=BudgetExtension.Status.REQUESTED
    ).exists():
        raise ValidationError({"day": _("You already have a pending request for this day.")})
    extension = BudgetExtension.objects.create(staff=staff, day=day, minutes=minutes, reason=reason)
    record_change(
        subject=extension, from_state="", to_state=extension.status, actor=staff.user, reason=reason
    )
    return extension


@transaction.atomic
def extension_decide(
    *, actor, extension: BudgetExtension, grant: bool, note: str = ""
) -> BudgetExtension:
    extension = (
        BudgetExtension.objects.select_for_update(of=("self",))
        .select_related("staff")
        .get(pk=extension.pk)
    )
    if not permissions.can_decide_extension(actor, extension):
        raise PermissionDenied
    if extension.status != BudgetExtension.Status.REQUESTED:
        raise ValidationError(_("This request was already decided."))
    note = (note or "").strip()
    if not grant and not note:
        raise ValidationError({"note": _("Say why the extension is refused.")})
    if len(note) > MAX_TEXT:
        raise ValidationError(
            {"note": _("Keep the note under %(max)d characters.") % {"max": MAX_TEXT}}
        )
    previous = extension.status
    extension.status = BudgetExtension.Status.GRANTED if grant else BudgetExtension.Status.REFUSED
    extension.decided_by = actor
    extension.decided_at = timezone.now()
    extension.decision_note = note
    extension.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    if grant:
        DayLedger.objects.filter(staff=extension.staff, day=extension.day).update(dirty=True)
    record_change(
        subject=extension, from_state=previous, to_state=extension.status, actor=actor, reason=note
    )
    audit.services.record(
        action="extension_granted" if grant else "extension_refused",
        obj=extension,
        actor=actor,
        extra={"staff": extension.staff.user_id, "minutes": extension.minutes, "note": note},
    )
    return extension


@transaction.atomic
def extension_withdraw(*, actor, extension: BudgetExtension) -> BudgetExtension:
    extension = (
        BudgetExtension.objects.select_for_update().select_related("staff").get(pk=extension.pk)
    )
    if extension.staff.user_id != actor.pk:
        raise PermissionDenied
    if extension.status != BudgetExtension.Status.REQUESTED:
        raise ValidationError(_("This request was already decided."))
    extension.status = BudgetExtension.Status.WITHDRAWN
    extension.save(update_fields=["status"])
    record_change(
        subject=extension,
        from_state=BudgetExtension.Status.REQUESTED,
        to_state=extension.status,
        actor=actor,
    )
    return extension


# --------------------------------------------------------------------------- marketing tasks


def _check_task_fields(*, title, description, category, due_date, estimated_minutes) -> dict:
    errors = {}
    if not (title or "").strip():
        errors["title"] = _("Give the task a title.")
    elif len(title) > 200:
        errors["title"] = _("Keep the title under 200 characters.")
    if len(description or "") > MAX_TEXT * 2:
        errors["description"] = _("Keep the description under %(max)d characters.") % {
            "max": MAX_TEXT * 2
        }
    if category is None or not category.is_active:
        errors["category"] = _("Choose an active category.")
    if (
        not isinstance(estimated_minutes, int)
        or isinstance(estimated_minutes, bool)
        or estimated_minutes <= 0
    ):
        errors["estimated_minutes"] = _("Enter a whole number of minutes greater than zero.")
    elif estimated_minutes > 60 * 24 * 31:
        errors["estimated_minutes"] = _("Split work longer than a month into several tasks.")
    return errors


@transaction.atomic
def task_create(
    *,
    actor,
    title: str,
    category: AssistCategory,
    due_date: datetime.date,
    estimated_minutes: int,
    assignees: Iterable,
    description: str = "",
) -> MarketingTask:
    if not permissions.can_create_task(actor):
        raise PermissionDenied
    assignees = list(assignees)
    errors = _check_task_fields(
        title=title,
        description=description,
        category=category,
        due_date=due_date,
        estimated_minutes=estimated_minutes,
    )
    if due_date < timezone.localdate():
        errors["due_date"] = _("The due date cannot be in the past.")
    if not assignees:
        errors["assignees"] = _("Assign the task to at least one person.")
    elif any(not permissions.can_be_assigned(user) for user in assignees):
        errors["assignees"] = _("Tasks go to active non-marketing staff only.")
    if errors:
        raise ValidationError(errors)
    task = MarketingTask.objects.create(
        title=title.strip(),
        description=(description or "").strip(),
        category=category,
        created_by=actor,
        due_date=due_date,
        estimated_minutes=estimated_minutes,
    )
    TaskAssignment.objects.bulk_create(
        TaskAssignment(task=task, assignee=user) for user in assignees
    )
    record_change(subject=task, from_state="", to_state=task.status, actor=actor)
    return task


def _move_task(task: MarketingTask, status: str, actor, reason: str = "") -> None:
    if not task.can_move_to(status):
        raise ValidationError(
            _("A task that is %(current)s cannot become %(new)s.")
            % {
                "current": MarketingTask.Status(task.status).label,
                "new": MarketingTask.Status(status).label,
            }
        )
    previous = task.status
    task.status = status
    task.save(update_fields=["status", "updated_at"])
    record_change(subject=task, from_state=previous, to_state=status, actor=actor, reason=reason)


@transaction.atomic
def task_cancel(*, actor, task: MarketingTask, reason: str) -> MarketingTask:
    task = MarketingTask.objects.select_for_update().get(pk=task.pk)
    if not permissions.can_manage_task(actor, task):
        raise PermissionDenied
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the task is cancelled.")})
    _move_task(task, MarketingTask.Status.CANCELLED, actor, reason)
    return task


@transaction.atomic
def task_close(*, actor, task: MarketingTask) -> MarketingTask:
    """The marketing lead marks a task in progress as done."""
    task = MarketingTask.objects.select_for_update().get(pk=task.pk)
    if not permissions.can_manage_task(actor, task):
        raise PermissionDenied
    _move_task(task, MarketingTask.Status.DONE, actor)
    return task


def _assignment_for(actor, assignment: TaskAssignment) -> tuple[TaskAssignment, MarketingTask]:
    assignment = TaskAssignment.objects.select_for_update().get(pk=assignment.pk)
    task = MarketingTask.objects.select_for_update().get(pk=assignment.task_id)
    if assignment.assignee_id != actor.pk:
        raise PermissionDenied
    if task.is_closed:
        raise ValidationError(_("This task is closed."))
    return assignment, task


def _settle_task(task: MarketingTask, actor) -> None:
    statuses = set(task.assignments.values_list("status", flat=True))
    active = statuses - {TaskAssignment.Status.DECLINED}
    if active and active == {TaskAssignment.Status.COMPLETED}:
        if task.status == MarketingTask.Status.OPEN:
            _move_task(task, MarketingTask.Status.IN_PROGRESS, actor)
        _move_task(task, MarketingTask.Status.DONE, actor)


@transaction.atomic
def assignment_start(*, actor, assignment: TaskAssignment) -> TaskAssignment:
    assignment, task = _assignment_for(actor, assignment)
    if assignment.status != TaskAssignment.Status.ASSIGNED:
        raise ValidationError(_("You already responded to this task."))
    assignment.status = TaskAssignment.Status.STARTED
    assignment.responded_at = timezone.now()
    assignment.save(update_fields=["status", "responded_at"])
    record_change(
        subject=assignment,
        from_state=TaskAssignment.Status.ASSIGNED,
        to_state=assignment.status,
        actor=actor,
    )
    if task.status == MarketingTask.Status.OPEN:
        _move_task(task, MarketingTask.Status.IN_PROGRESS, actor)
    return assignment


@transaction.atomic
def assignment_complete(*, actor, assignment: TaskAssignment, outcome: str) -> TaskAssignment:
    assignment, task = _assignment_for(actor, assignment)
    if assignment.status not in (TaskAssignment.Status.ASSIGNED, TaskAssignment.Status.STARTED):
        raise ValidationError(_("You already completed or declined this task."))
    outcome = (outcome or "").strip()
    if not outcome:
        raise ValidationError({"outcome": _("Describe the outcome: what came of the work?")})
    if len(outcome) > MAX_TEXT:
        raise ValidationError(
            {"outcome": _("Keep the outcome under %(max)d characters.") % {"max": MAX_TEXT}}
        )
    previous = assignment.status
    assignment.status = TaskAssignment.Status.COMPLETED
    assignment.outcome = outcome
    assignment.responded_at = timezone.now()
    assignment.save(update_fields=["status", "outcome", "responded_at"])
    record_change(
        subject=assignment,
        from_state=previous,
        to_state=assignment.status,
        actor=actor,
        reason=outcome,
    )
    _settle_task(task, actor)
    return assignment


@transaction.atomic
def assignment_decline(*, actor, assignment: TaskAssignment, reason: str) -> TaskAssignment:
    assignment, task = _assignment_for(actor, assignment)
    if assignment.status not in (TaskAssignment.Status.ASSIGNED, TaskAssignment.Status.STARTED):
        raise ValidationError(_("You already completed or declined this task."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            {"reason": _("Say why you decline, so that the lead can reassign it.")}
        )
    if len(reason) > MAX_TEXT:
        raise ValidationError(
            {"reason": _("Keep the reason under %(max)d characters.") % {"max": MAX_TEXT}}
        )
    previous = assignment.status
    assignment.status = TaskAssignment.Status.DECLINED
    assignment.decline_reason = reason
    assignment.responded_at = timezone.now()
    assignment.save(update_fields=["status", "decline_reason", "responded_at"])
    record_change(
        subject=assignment,
        from_state=previous,
        to_state=assignment.status,
        actor=actor,
        reason=reason,
    )
    _settle_task(task, actor)
    return assignment


@transaction.atomic
def task_comment_add(*, actor, task: MarketingTask, body: str) -> TaskComment:
    if not permissions.can_comment_task(actor, task):
        raise PermissionDenied
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("Write something first.")})
    if len(body) > MAX_TEXT:
        raise ValidationError(
            {"body": _("Keep comments under %(max)d characters.") % {"max": MAX_TEXT}}
        )
    return TaskComment.objects.create(task=task, author=actor, body=body)
