"""Assist work: time logs with their approval, budget extensions, marketing tasks.

Every write calls the same service as the pages (``tasks.services``); objects are fetched
through ``tasks.permissions.get_*_for_user`` (404 for what the caller may not see, 403
for what they may see but not change)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import F, prefetch_related_objects
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from api import filters, selectors, serializers
from api.views import examples as ex
from api.views.base import ID_PATTERN, ApiViewMixin, action_schema
from departments.roles import get_profile
from tasks import permissions, services
from tasks.models import BudgetExtension, MarketingTask, TaskAssignment, TimeLog

NO_CONTENT = OpenApiResponse(description="Deleted.")


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


# --------------------------------------------------------------------------- time logs


@extend_schema_view(
    list=extend_schema(
        summary="Time logs the caller may see",
        description="Own entries; reports' entries for line supervisors and active "
        "delegates; entries of the people a marketing lead follows or logged on their "
        "tasks; everything for admins. Filter with ``status``, ``date_after`` / "
        "``date_before``, ``staff``, ``department``, ``category``, ``task``.",
        examples=[ex.listed("Time logs", ex.LOG)],
    ),
    retrieve=extend_schema(examples=[ex.response("Time log", ex.LOG)]),
    create=extend_schema(
        summary="Log assist time (staff)",
        description="Within the day's budget plus granted extensions (also under concurrent "
        "submissions), not in the future, not older than the edit window nor in a closed "
        "payout period. Only on tasks assigned to the caller.",
        request=serializers.TimeLogWriteSerializer,
        responses={201: serializers.TimeLogSerializer},
        examples=[
            ex.LOG_REQUEST,
            ex.response("Submitted", ex.LOG, status_codes=[201]),
            ex.FIELD_ERRORS,
        ],
    ),
    update=extend_schema(
        summary="Change a submitted entry (its owner)",
        request=serializers.TimeLogWriteSerializer,
        responses=serializers.TimeLogSerializer,
        examples=[ex.LOG_REQUEST, ex.response("Changed", ex.LOG)],
    ),
    partial_update=extend_schema(
        summary="Change some fields of a submitted entry (its owner)",
        request=serializers.TimeLogWriteSerializer,
        responses=serializers.TimeLogSerializer,
        examples=[ex.LOG_PATCH, ex.response("Changed", {**ex.LOG, "minutes": 20})],
    ),
    destroy=extend_schema(
        summary="Delete a submitted entry (its owner)",
        responses={204: NO_CONTENT},
        examples=[ex.response("Deleted", None, status_codes=[204])],
    ),
)
@extend_schema(tags=["logs"])
class TimeLogViewSet(ApiViewMixin, viewsets.ModelViewSet):
    serializer_class = serializers.TimeLogSerializer
    filterset_class = filters.TimeLogFilter
    ordering_fields = ["date", "minutes", "status", "created_at"]
    lookup_value_regex = ID_PATTERN
    service_field_map = {"day": "date"}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return TimeLog.objects.none()
        return selectors.visible_logs(user=self.request.user).annotate(date=F("day"))

    def get_object(self):
        return permissions.get_time_log_for_user(self.request.user, int(self.kwargs["pk"]))

    def _fresh(self):
        return self.respond(serializers.TimeLogSerializer, self.get_object())

    def create(self, request, *args, **kwargs):
        user = request.user
        _require(permissions.can_log_time(user))
        data = self.parsed(serializers.TimeLogWriteSerializer).service_kwargs()
        log = services.time_log_create(staff=get_profile(user), actor=user, **data)
        return self.respond(
            serializers.TimeLogSerializer,
            permissions.get_time_log_for_user(user, log.pk),
            code=status.HTTP_201_CREATED,
        )

    def update(self, request, *args, partial=False, **kwargs):
        user = request.user
        log = permissions.get_time_log_for_user(user, int(kwargs["pk"]), for_change=True)
        data = self.parsed(serializers.TimeLogWriteSerializer, partial=partial).service_kwargs()
        services.time_log_update(actor=user, log=log, **data)
        return self._fresh()

    def destroy(self, request, *args, **kwargs):
        user = request.user
        log = permissions.get_time_log_for_user(user, int(kwargs["pk"]), for_change=True)
        services.time_log_delete(actor=user, log=log)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        operation_id="logs_approve",
        summary="Approve an entry (line supervisor or active delegate)",
        request=None,
        responses=serializers.TimeLogSerializer,
        examples=[ex.response("Approved", ex.APPROVED_LOG)],
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        log = self.get_object()
        services.time_logs_approve(actor=request.user, log_ids=[log.pk])
        return self._fresh()

    @extend_schema(
        operation_id="logs_reject",
        summary="Reject an entry with a reason (line supervisor or active delegate)",
        request=serializers.ReasonSerializer,
        responses=serializers.TimeLogSerializer,
        examples=[ex.REASON, ex.response("Rejected", ex.REJECTED_LOG)],
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        log = self.get_object()
        reason = self.parsed(serializers.ReasonSerializer).validated_data["reason"]
        services.time_logs_reject(actor=request.user, log_ids=[log.pk], reason=reason)
        return self._fresh()

    @extend_schema(
        operation_id="logs_approve_many",
        summary="Approve several entries, all or nothing",
        description="One entry the caller may not approve (403) or that was already decided "
        "(400) stops the whole batch.",
        request=serializers.IdsSerializer,
        responses=serializers.CountSerializer,
        examples=[ex.IDS, ex.COUNT],
    )
    @action(detail=False, methods=["post"], url_path="approve", url_name="approve-many")
    def approve_many(self, request):
        ids = self.parsed(serializers.IdsSerializer).validated_data["ids"]
        count = services.time_logs_approve(actor=request.user, log_ids=ids)
        return Response({"count": count})

    @extend_schema(
        operation_id="logs_reject_many",
        summary="Reject several entries with one reason, all or nothing",
        request=serializers.IdsReasonSerializer,
        responses=serializers.CountSerializer,
        examples=[ex.IDS_REASON, ex.COUNT],
    )
    @action(detail=False, methods=["post"], url_path="reject", url_name="reject-many")
    def reject_many(self, request):
        data = self.parsed(serializers.IdsReasonSerializer).validated_data
        count = services.time_logs_reject(
            actor=request.user, log_ids=data["ids"], reason=data["reason"]
        )
        return Response({"count": count})

    @extend_schema(
        operation_id="logs_review_outcome",
        summary="Confirm the outcome, or ask for follow-up (the task's marketing lead)",
        request=serializers.OutcomeReviewSerializer,
        responses=serializers.TimeLogSerializer,
        examples=[
            ex.OUTCOME_REVIEW,
            ex.response("Confirmed", {**ex.LOG, "outcome_status": "confirmed"}),
        ],
    )
    @action(detail=True, methods=["post"], url_path="review-outcome")
    def review_outcome(self, request, pk=None):
        log = self.get_object()
        data = self.parsed(serializers.OutcomeReviewSerializer).validated_data
        services.time_log_review_outcome(actor=request.user, log=log, **data)
        return self._fresh()


# --------------------------------------------------------------------------- extensions


@extend_schema_view(
    list=extend_schema(
        summary="Budget extensions the caller may see",
        examples=[ex.listed("Extensions", ex.EXTENSION)],
    ),
    retrieve=extend_schema(examples=[ex.response("Extension", ex.EXTENSION)]),
    create=extend_schema(
        summary="Ask for extra minutes on a day (staff)",
        request=serializers.ExtensionWriteSerializer,
        responses={201: serializers.ExtensionSerializer},
        examples=[ex.EXTENSION_REQUEST, ex.response("Requested", ex.EXTENSION, status_codes=[201])],
    ),
)
@extend_schema(tags=["extensions"])
class ExtensionViewSet(
    ApiViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = serializers.ExtensionSerializer
    filterset_class = filters.ExtensionFilter
    ordering_fields = ["date", "minutes", "status", "created_at"]
    lookup_value_regex = ID_PATTERN
    service_field_map = {"day": "date"}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return BudgetExtension.objects.none()
        return selectors.visible_extensions(user=self.request.user).annotate(date=F("day"))

    def get_object(self):
        return permissions.get_extension_for_user(self.request.user, int(self.kwargs["pk"]))

    def _fresh(self):
        return self.respond(serializers.ExtensionSerializer, self.get_object())

    def create(self, request, *args, **kwargs):
        user = request.user
        _require(permissions.can_log_time(user))
        data = self.parsed(serializers.ExtensionWriteSerializer).validated_data
        extension = services.extension_request(
            staff=get_profile(user),
            day=data["date"],
            minutes=data["minutes"],
            reason=data["reason"],
        )
        return self.respond(
            serializers.ExtensionSerializer,
            permissions.get_extension_for_user(user, extension.pk),
            code=status.HTTP_201_CREATED,
        )

    @extend_schema(
        operation_id="extensions_grant",
        summary="Grant the extra minutes (line supervisor or active delegate)",
        request=serializers.OptionalNoteSerializer,
        responses=serializers.ExtensionSerializer,
        examples=[ex.NOTE, ex.response("Granted", {**ex.EXTENSION, "status": "granted"})],
    )
    @action(detail=True, methods=["post"])
    def grant(self, request, pk=None):
        note = self.parsed(serializers.OptionalNoteSerializer).validated_data["note"]
        services.extension_decide(
            actor=request.user, extension=self.get_object(), grant=True, note=note
        )
        return self._fresh()

    @extend_schema(
        operation_id="extensions_refuse",
        summary="Refuse, saying why (line supervisor or active delegate)",
        request=serializers.NoteSerializer,
        responses=serializers.ExtensionSerializer,
        examples=[
            ex.request("Why", {"note": "The week is already over budget"}),
            ex.response("Refused", {**ex.EXTENSION, "status": "refused"}),
        ],
    )
    @action(detail=True, methods=["post"])
    def refuse(self, request, pk=None):
        note = self.parsed(serializers.NoteSerializer).validated_data["note"]
        services.extension_decide(
            actor=request.user, extension=self.get_object(), grant=False, note=note
        )
        return self._fresh()

    @extend_schema(
        operation_id="extensions_withdraw",
        summary="Withdraw one's own pending request",
        request=None,
        responses=serializers.ExtensionSerializer,
        examples=[ex.response("Withdrawn", {**ex.EXTENSION, "status": "withdrawn"})],
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        services.extension_withdraw(actor=request.user, extension=self.get_object())
        return self._fresh()


# --------------------------------------------------------------------------- tasks


def _task_action(operation_id, summary, request_serializer=None, example=None, state="in_progress"):
    return action_schema(
        operation_id,
        summary,
        name="Task",
        sample=ex.TASK,
        serializer=serializers.TaskSerializer,
        state=state,
        request_serializer=request_serializer,
        example=example,
    )


@extend_schema_view(
    list=extend_schema(
        summary="Marketing tasks the caller may see",
        description="Tasks the caller created (every task for admins), is assigned to, or "
        "that are assigned to their reports.",
        examples=[ex.listed("Tasks", ex.TASK)],
    ),
    retrieve=extend_schema(examples=[ex.response("Task", ex.TASK)]),
    create=extend_schema(
        summary="Create and assign a task (marketing lead)",
        request=serializers.TaskWriteSerializer,
        responses={201: serializers.TaskSerializer},
        examples=[ex.TASK_REQUEST, ex.response("Created", ex.TASK, status_codes=[201])],
    ),
)
@extend_schema(tags=["tasks"])
class TaskViewSet(
    ApiViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = serializers.TaskSerializer
    filterset_class = filters.TaskFilter
    ordering_fields = ["due_date", "status", "created_at", "title"]
    lookup_value_regex = ID_PATTERN

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return MarketingTask.objects.none()
        return selectors.visible_tasks(user=self.request.user)

    def get_object(self, *, for_change: bool = False):
        task = permissions.get_task_for_user(
            self.request.user, int(self.kwargs["pk"]), for_change=for_change
        )
        prefetch_related_objects([task], selectors.task_assignments())
        return task

    def _fresh(self):
        return self.respond(serializers.TaskSerializer, self.get_object())

    def _my_assignment(self) -> TaskAssignment:
        """The caller's assignment on the task (403 when the task is not theirs to do)."""
        task = self.get_object()
        assignment = next(
            (a for a in task.assignments.all() if a.assignee_id == self.request.user.pk), None
        )
        _require(assignment is not None)
        return assignment

    def create(self, request, *args, **kwargs):
        user = request.user
        _require(permissions.can_create_task(user))
        data = self.parsed(serializers.TaskWriteSerializer).service_kwargs()
        task = services.task_create(actor=user, **data)
        self.kwargs["pk"] = task.pk
        return self.respond(
            serializers.TaskSerializer, self.get_object(), code=status.HTTP_201_CREATED
        )

    @_task_action("tasks_start", "Start one's assignment")
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        services.assignment_start(actor=request.user, assignment=self._my_assignment())
        return self._fresh()

    @_task_action(
        "tasks_complete",
        "Complete one's assignment with its outcome",
        serializers.OutcomeSerializer,
        ex.OUTCOME,
    )
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        outcome = self.parsed(serializers.OutcomeSerializer).validated_data["outcome"]
        services.assignment_complete(
            actor=request.user, assignment=self._my_assignment(), outcome=outcome
        )
        return self._fresh()

    @_task_action(
        "tasks_decline",
        "Decline one's assignment, saying why",
        serializers.ReasonSerializer,
        ex.request("Why", {"reason": "On call all week"}),
        state="open",
    )
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        reason = self.parsed(serializers.ReasonSerializer).validated_data["reason"]
        services.assignment_decline(
            actor=request.user, assignment=self._my_assignment(), reason=reason
        )
        return self._fresh()

    @_task_action(
        "tasks_cancel",
        "Cancel the task (its marketing lead)",
        serializers.ReasonSerializer,
        ex.request("Why", {"reason": "The client postponed the fair"}),
        state="cancelled",
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        reason = self.parsed(serializers.ReasonSerializer).validated_data["reason"]
        services.task_cancel(
            actor=request.user, task=self.get_object(for_change=True), reason=reason
        )
        return self._fresh()

    @_task_action("tasks_close", "Mark the task done (its marketing lead)", state="done")
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        services.task_close(actor=request.user, task=self.get_object(for_change=True))
        return self._fresh()
