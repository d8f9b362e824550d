"""marketing pages: the marketing lead's task board, creating and assigning tasks, the
follow-up thread, and the assignee's "My tasks". Every write goes through
``tasks.services``; every object through ``tasks.permissions``."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q, prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from departments.roles import is_admin
from departments.web import add_service_errors
from tasks import permissions, selectors, services
from tasks.forms.marketing import (
    CancelTaskForm,
    CommentForm,
    CompleteAssignmentForm,
    DeclineAssignmentForm,
    TaskForm,
)
from tasks.history import history_of, history_of_many
from tasks.models import MarketingTask, TaskAssignment

PAGE_SIZE = 50
DEFAULT_DUE_IN_DAYS = 7

# Board columns and the order of the cards in each: what is still to do by due date,
# what is finished most recent first.
BOARD_COLUMNS = [
    (MarketingTask.Status.OPEN, ("due_date", "pk")),
    (MarketingTask.Status.IN_PROGRESS, ("due_date", "pk")),
    (MarketingTask.Status.DONE, ("-due_date", "-pk")),
    (MarketingTask.Status.CANCELLED, ("-due_date", "-pk")),
]


def _name(user) -> str:
    return user.get_full_name() or user.get_username()


# --------------------------------------------------------------------------- board


@require_GET
def task_board(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not permissions.can_open_task_board(user):
        raise PermissionDenied
    sees_all = is_admin(user)
    # The assignments of all four columns are read in one query below, not per column.
    board = selectors.task_board(user=user, all_tasks=sees_all).prefetch_related(None)
    columns, cards = [], []
    for status, ordering in BOARD_COLUMNS:
        tasks = board.filter(status=status).order_by(*ordering)
        page = Paginator(tasks, PAGE_SIZE).get_page(request.GET.get(f"{status}_page"))
        # Sliced here rather than by the paginator, which skips the query for an empty
        # column: the page then costs the same number of queries whatever the columns hold.
        start = (page.number - 1) * PAGE_SIZE
        page.object_list = list(tasks[start : start + PAGE_SIZE])
        cards.extend(page.object_list)
        columns.append(
            {
                "status": status,
                "label": MarketingTask.Status(status).label,
                "page": page,
                "page_param": f"{status}_page",
            }
        )
    prefetch_related_objects(
        cards,
        Prefetch(
            "assignments",
            queryset=TaskAssignment.objects.select_related("assignee").order_by("pk"),
        ),
    )
    context = {
        "columns": columns,
        "today": timezone.localdate(),
        "sees_all": sees_all,
        "can_create": permissions.can_create_task(user),
    }
    return render(request, "tasks/task_board.html", context)


# --------------------------------------------------------------------------- create


@require_http_methods(["GET", "POST"])
def task_create(request: HttpRequest) -> HttpResponse:
    if not permissions.can_create_task(request.user):
        raise PermissionDenied
    today = timezone.localdate()
    initial = {"due_date": today + datetime.timedelta(days=DEFAULT_DUE_IN_DAYS)}
    form = TaskForm(request.POST or None, today=today, initial=initial)
    checking = request.method == "POST" and "check_budgets" in request.POST
    if request.method == "POST" and form.is_valid() and not checking:
        over_budget = form.over_budget()
        try:
            task = services.task_create(actor=request.user, **form.service_kwargs())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            count = len(form.cleaned_data["assignees"])
            messages.success(
                request,
                ngettext(
                    "Task “%(title)s” created and assigned to %(count)d person.",
                    "Task “%(title)s” created and assigned to %(count)d people.",
                    count,
                )
                % {"title": task.title, "count": count},
            )
            if over_budget:
                messages.warning(request, _over_budget_message(form, over_budget))
            return redirect("tasks:task_detail", pk=task.pk)
    context = {
        "form": form,
        "over_budget": form.over_budget() if form.is_bound else [],
        "checking": checking,
        "today": today,
    }
    return render(request, "tasks/task_form.html", context)


def _over_budget_message(form: TaskForm, people) -> str:
    remaining = form.fields["assignees"].remaining
    names = ", ".join(
        _("%(name)s (%(minutes)d min left)")
        % {"name": profile.display_name, "minutes": remaining.get(profile.pk, 0)}
        for profile in people
    )
    return _(
        "The estimate of %(estimate)d minutes is more than the budget left this week for: "
        "%(people)s. The task was assigned anyway; agree the timing with them."
    ) % {"estimate": form.cleaned_data["estimated_minutes"], "people": names}


# --------------------------------------------------------------------------- detail


def _visible_logs(user, task: MarketingTask, logs: list, *, manager: bool) -> list:
    """The task's lead sees all its time; others their own and their reports' only."""
    if manager:
        return logs
    return [log for log in logs if user.pk in (log.staff.user_id, log.staff.line_supervisor_id)]


def _detail_context(request: HttpRequest, task: MarketingTask) -> dict:
    user = request.user
    data = selectors.task_detail(task=task)
    manager = permissions.can_manage_task(user, task)
    assignments = data["assignments"]
    by_pk = {assignment.pk: assignment for assignment in assignments}
    labels = dict(TaskAssignment.Status.choices)
    assignment_history = []
    for change in history_of_many(assignments):
        change.from_label = labels.get(change.from_state, change.from_state)
        change.to_label = labels.get(change.to_state, change.to_state)
        assignment_history.append((by_pk[change.object_id], change))
    logs = _visible_logs(user, task, data["logs"], manager=manager)
    return {
        "task": task,
        "today": timezone.localdate(),
        "assignments": assignments,
        "my_assignment": next((a for a in assignments if a.assignee_id == user.pk), None),
        "comments": data["comments"],
        "logs_page": Paginator(logs, PAGE_SIZE).get_page(request.GET.get("logs_page")),
        "logged_minutes": data["logged_minutes"],
        "history": history_of(task),
        "assignment_history": assignment_history,
        "can_manage": manager,
        "can_comment": permissions.can_comment_task(user, task),
        "can_cancel": manager and task.can_move_to(MarketingTask.Status.CANCELLED),
        "can_close": manager and task.can_move_to(MarketingTask.Status.DONE),
    }


def _render_detail(
    request: HttpRequest,
    task: MarketingTask,
    *,
    comment_form: CommentForm | None = None,
    cancel_form: CancelTaskForm | None = None,
) -> HttpResponse:
    context = _detail_context(request, task)
    context["comment_form"] = comment_form or CommentForm()
    context["cancel_form"] = cancel_form or CancelTaskForm()
    return render(request, "tasks/task_detail.html", context)


@require_GET
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, permissions.get_task_for_user(request.user, pk))


@require_POST
def task_comment(request: HttpRequest, pk: int) -> HttpResponse:
    task = permissions.get_task_for_user(request.user, pk)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            services.task_comment_add(actor=request.user, task=task, body=form.cleaned_data["body"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if request.htmx:
                form = CommentForm()
            else:
                messages.success(request, _("Comment posted."))
                return redirect(reverse("tasks:task_detail", args=[task.pk]) + "#comments")
    if request.htmx:
        context = {
            "task": task,
            "comments": selectors.task_detail(task=task)["comments"],
            "comment_form": form,
            "can_comment": True,
        }
        return render(request, "tasks/_task_comments.html", context)
    return _render_detail(request, task, comment_form=form)


@require_POST
def task_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    task = permissions.get_task_for_user(request.user, pk, for_change=True)
    form = CancelTaskForm(request.POST)
    if form.is_valid():
        try:
            services.task_cancel(actor=request.user, task=task, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            if not hasattr(error, "error_dict"):
                messages.error(request, " ".join(error.messages))
                return redirect("tasks:task_detail", pk=task.pk)
            add_service_errors(form, error)
        else:
            messages.success(request, _("Task cancelled."))
            return redirect("tasks:task_detail", pk=task.pk)
    return _render_detail(request, task, cancel_form=form)


@require_POST
def task_close(request: HttpRequest, pk: int) -> HttpResponse:
    task = permissions.get_task_for_user(request.user, pk, for_change=True)
    try:
        services.task_close(actor=request.user, task=task)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Task closed as done."))
    return redirect("tasks:task_detail", pk=task.pk)


# --------------------------------------------------------------------------- my tasks

_ACTIVE = Q(
    status__in=[TaskAssignment.Status.ASSIGNED, TaskAssignment.Status.STARTED],
    task__status__in=[MarketingTask.Status.OPEN, MarketingTask.Status.IN_PROGRESS],
)


def _my_tasks_url(request: HttpRequest) -> str:
    url = reverse("tasks:my_tasks")
    page = request.GET.get("page", "")
    return f"{url}?page={page}" if page.isdigit() else url


def _render_my_tasks(request: HttpRequest, *, bound: tuple | None = None) -> HttpResponse:
    assignments = selectors.my_assignments(user=request.user)
    active = Paginator(assignments.filter(_ACTIVE), PAGE_SIZE).get_page(request.GET.get("page"))
    finished = Paginator(
        assignments.exclude(_ACTIVE).order_by("-task__due_date", "-pk"), PAGE_SIZE
    ).get_page(request.GET.get("finished_page"))
    for assignment in active:
        assignment.complete_form = CompleteAssignmentForm(prefix=f"complete-{assignment.pk}")
        assignment.decline_form = DeclineAssignmentForm(prefix=f"decline-{assignment.pk}")
        if bound and bound[0] == assignment.pk:
            setattr(assignment, f"{bound[1]}_form", bound[2])
            assignment.open_form = bound[1]
    context = {"active": active, "finished": finished, "today": timezone.localdate()}
    return render(request, "tasks/my_tasks.html", context)


@require_GET
def my_tasks(request: HttpRequest) -> HttpResponse:
    return _render_my_tasks(request)


@require_POST
def assignment_start(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = permissions.get_assignment_for_user(request.user, pk)
    try:
        services.assignment_start(actor=request.user, assignment=assignment)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("You started “%(title)s”.") % {"title": assignment.task.title})
    return redirect(_my_tasks_url(request))


def _answer(
    request: HttpRequest, pk: int, *, kind: str, form_class, service, field: str, done: str
) -> HttpResponse:
    """Complete or decline: one text field the service requires, its errors beside it."""
    assignment = permissions.get_assignment_for_user(request.user, pk)
    form = form_class(request.POST, prefix=f"{kind}-{pk}")
    if form.is_valid():
        try:
            service(actor=request.user, assignment=assignment, **{field: form.cleaned_data[field]})
        except ValidationError as error:
            if not hasattr(error, "error_dict"):
                messages.error(request, " ".join(error.messages))
                return redirect(_my_tasks_url(request))
            add_service_errors(form, error)
        else:
            messages.success(request, done)
            return redirect(_my_tasks_url(request))
    return _render_my_tasks(request, bound=(assignment.pk, kind, form))


@require_POST
def assignment_complete(request: HttpRequest, pk: int) -> HttpResponse:
    return _answer(
        request,
        pk,
        kind="complete",
        form_class=CompleteAssignmentForm,
        service=services.assignment_complete,
        field="outcome",
        done=_("Marked as completed. Thank you!"),
    )


@require_POST
def assignment_decline(request: HttpRequest, pk: int) -> HttpResponse:
    return _answer(
        request,
        pk,
        kind="decline",
        form_class=DeclineAssignmentForm,
        service=services.assignment_decline,
        field="reason",
        done=_("Task declined; the marketing lead sees your reason."),
    )


urlpatterns = [
    path("tasks/", task_board, name="task_board"),
    path("tasks/new/", task_create, name="task_create"),
    path("tasks/<int:pk>/", task_detail, name="task_detail"),
    path("tasks/<int:pk>/comments/", task_comment, name="task_comment"),
    path("tasks/<int:pk>/cancel/", task_cancel, name="task_cancel"),
    path("tasks/<int:pk>/close/", task_close, name="task_close"),
    path("my-tasks/", my_tasks, name="my_tasks"),
    path("assignments/<int:pk>/start/", assignment_start, name="assignment_start"),
    path("assignments/<int:pk>/complete/", assignment_complete, name="assignment_complete"),
    path("assignments/<int:pk>/decline/", assignment_decline, name="assignment_decline"),
]
