"""Leads, reward lines and statements with their sign-off, payout periods.

Writes go through ``rewards.services``; objects through ``rewards.permissions``."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from api import filters, selectors, serializers
from api.permissions import CanManagePeriods
from api.views import examples as ex
from api.views.base import ID_PATTERN, ApiViewMixin, action_schema
from departments.roles import get_profile
from rewards import permissions
from rewards.models import Lead, PayoutPeriod, RewardLine, Statement
from rewards.services import leads as lead_services
from rewards.services import payouts, signoff

CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# --------------------------------------------------------------------------- leads


def _lead_action(operation_id, summary, request_serializer=None, example=None, state="qualified"):
    return action_schema(
        operation_id,
        summary,
        name="Lead",
        sample=ex.LEAD,
        serializer=serializers.LeadSerializer,
        state=state,
        request_serializer=request_serializer,
        example=example,
    )


@extend_schema_view(
    list=extend_schema(
        summary="Leads the caller may see",
        description="One's own introductions and shares, the leads a marketing lead works, "
        "the reports' leads for line supervisors (read-only), everything for admins.",
        examples=[ex.listed("Leads", ex.LEAD)],
    ),
    retrieve=extend_schema(examples=[ex.response("Lead", ex.LEAD)]),
    create=extend_schema(
        summary="Introduce a client (staff)",
        description="A client already protected by a colleague's lead is recorded with "
        '``claim_status`` "pending" for the marketing lead to decide.',
        request=serializers.LeadWriteSerializer,
        responses={201: serializers.LeadSerializer},
        examples=[ex.LEAD_REQUEST, ex.response("Introduced", ex.LEAD, status_codes=[201])],
    ),
)
@extend_schema(tags=["leads"])
class LeadViewSet(
    ApiViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = serializers.LeadSerializer
    filterset_class = filters.LeadFilter
    ordering_fields = ["created_at", "status", "estimated_value", "client_name"]
    lookup_value_regex = ID_PATTERN

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Lead.objects.none()
        return selectors.visible_leads(user=self.request.user)

    def get_object(self, *, for_change: bool = False):
        return permissions.get_lead_for_user(
            self.request.user, int(self.kwargs["pk"]), for_change=for_change
        )

    def _fresh(self, code=status.HTTP_200_OK):
        return self.respond(serializers.LeadSerializer, self.get_object(), code=code)

    def create(self, request, *args, **kwargs):
        user = request.user
        if not permissions.can_introduce_lead(user):
            raise PermissionDenied
        data = self.parsed(serializers.LeadWriteSerializer).validated_data
        lead = lead_services.lead_introduce(staff=get_profile(user), **data)
        self.kwargs["pk"] = lead.pk
        return self._fresh(code=status.HTTP_201_CREATED)

    @_lead_action("leads_qualify", "Qualify the lead (its marketing lead)")
    @action(detail=True, methods=["post"])
    def qualify(self, request, pk=None):
        lead_services.lead_qualify(actor=request.user, lead=self.get_object(for_change=True))
        return self._fresh()

    @_lead_action(
        "leads_win",
        "Record the signed contract (its marketing lead)",
        serializers.LeadWinSerializer,
        ex.LEAD_WIN,
        state="won",
    )
    @action(detail=True, methods=["post"])
    def win(self, request, pk=None):
        data = self.parsed(serializers.LeadWinSerializer).validated_data
        lead_services.lead_win(actor=request.user, lead=self.get_object(for_change=True), **data)
        return self._fresh()

    @_lead_action(
        "leads_lose",
        "Mark the lead lost, saying why (its marketing lead)",
        serializers.ReasonSerializer,
        ex.request("Why", {"reason": "The client chose a competitor"}),
        state="lost",
    )
    @action(detail=True, methods=["post"])
    def lose(self, request, pk=None):
        reason = self.parsed(serializers.ReasonSerializer).validated_data["reason"]
        lead_services.lead_lose(
            actor=request.user, lead=self.get_object(for_change=True), reason=reason
        )
        return self._fresh()

    @_lead_action(
        "leads_claim",
        "Decide a second claim on a protected client (its marketing lead)",
        serializers.LeadClaimSerializer,
        ex.LEAD_CLAIM,
        state="new",
    )
    @action(detail=True, methods=["post"])
    def claim(self, request, pk=None):
        data = self.parsed(serializers.LeadClaimSerializer).validated_data
        lead_services.lead_decide_claim(
            actor=request.user, lead=self.get_object(for_change=True), **data
        )
        return self._fresh()

    @_lead_action(
        "leads_key_role", "Confirm the introducer's key role (its marketing lead)", state="won"
    )
    @action(detail=True, methods=["post"], url_path="key-role")
    def key_role(self, request, pk=None):
        lead_services.lead_confirm_key_role(
            actor=request.user, lead=self.get_object(for_change=True)
        )
        return self._fresh()

    @extend_schema(
        operation_id="leads_collections",
        summary="Record money received or refunded on a won deal (its marketing lead)",
        request=serializers.CollectionWriteSerializer,
        responses={201: serializers.CollectionSerializer},
        examples=[
            ex.COLLECTION_REQUEST,
            ex.response("Recorded", ex.COLLECTION, status_codes=[201]),
        ],
    )
    @action(detail=True, methods=["post"])
    def collections(self, request, pk=None):
        data = self.parsed(serializers.CollectionWriteSerializer).validated_data
        collection = lead_services.collection_add(
            actor=request.user, lead=self.get_object(for_change=True), **data
        )
        return self.respond(
            serializers.CollectionSerializer, collection, code=status.HTTP_201_CREATED
        )

    @extend_schema(
        operation_id="leads_split",
        summary="Split the credit of a won deal, shares adding up to 100 (its marketing lead)",
        request=serializers.CreditSplitSerializer,
        responses=serializers.CreditShareSerializer(many=True),
        examples=[ex.SPLIT_REQUEST, ex.response("Split", ex.SPLIT)],
    )
    @action(detail=True, methods=["post"], pagination_class=None, filter_backends=[])
    def split(self, request, pk=None):
        lead = self.get_object(for_change=True)
        shares = self.parsed(serializers.CreditSplitSerializer).service_shares()
        created = lead_services.credit_split_set(actor=request.user, lead=lead, shares=shares)
        return self.respond(serializers.CreditShareSerializer, created, many=True)


# --------------------------------------------------------------------------- reward lines


def _signoff_many(operation_id: str, summary: str, description: str):
    return extend_schema(
        operation_id=operation_id,
        summary=summary,
        description=description,
        request=serializers.StatementIdsSerializer,
        responses=serializers.CountSerializer,
        examples=[ex.STATEMENT_IDS, ex.COUNT],
    )


@extend_schema_view(
    list=extend_schema(
        summary="Reward lines of the statements the caller may see",
        description="Each line carries ``explanation``: how its amount was computed, in the "
        "reader's language.",
        examples=[ex.listed("Reward lines", ex.REWARD_LINE)],
    ),
    retrieve=extend_schema(examples=[ex.response("Reward line", ex.REWARD_LINE)]),
)
@extend_schema(tags=["rewards"])
class RewardViewSet(ApiViewMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = serializers.RewardLineSerializer
    filterset_class = filters.RewardLineFilter
    ordering_fields = ["amount", "created_at", "source"]
    lookup_value_regex = ID_PATTERN

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return RewardLine.objects.none()
        return selectors.visible_reward_lines(user=self.request.user)

    def get_object(self):
        line = self.get_queryset().filter(pk=int(self.kwargs["pk"])).first()
        if line is None:
            raise Http404
        return line

    @_signoff_many(
        "rewards_recommend",
        "Recommend statements, all or nothing (the people's marketing lead)",
        "The first step of the sign-off: the marketing lead agrees the rewards.",
    )
    @action(detail=False, methods=["post"])
    def recommend(self, request):
        ids = self.parsed(serializers.StatementIdsSerializer).validated_data["statements"]
        return Response(
            {"count": signoff.statements_recommend(actor=request.user, statement_ids=ids)}
        )

    @_signoff_many(
        "rewards_approve",
        "Approve (execute) statements, all or nothing (line supervisor or delegate)",
        "The second step: the line supervisor executes recommended rewards (a person without "
        "a marketing lead needs no recommendation). When every statement of a calculated "
        "period is approved, the period becomes approved.",
    )
    @action(detail=False, methods=["post"])
    def approve(self, request):
        ids = self.parsed(serializers.StatementIdsSerializer).validated_data["statements"]
        return Response(
            {"count": signoff.statements_approve(actor=request.user, statement_ids=ids)}
        )


# --------------------------------------------------------------------------- statements


def _statement_action(operation_id, summary, request_serializer=None, example=None, state="draft"):
    return action_schema(
        operation_id,
        summary,
        name="Statement",
        sample=ex.STATEMENT,
        serializer=serializers.StatementSerializer,
        state=state,
        request_serializer=request_serializer,
        example=example,
    )


@extend_schema_view(
    list=extend_schema(
        summary="Statements the caller may see",
        description="One's own; the people a marketing lead follows; reports for line "
        "supervisors and delegates; approved and paid periods for finance; all for admins.",
        examples=[ex.listed("Statements", ex.STATEMENT)],
    ),
    retrieve=extend_schema(examples=[ex.response("Statement", ex.STATEMENT)]),
)
@extend_schema(tags=["statements"])
class StatementViewSet(ApiViewMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = serializers.StatementSerializer
    filterset_class = filters.StatementFilter
    ordering_fields = ["total", "status"]
    lookup_value_regex = ID_PATTERN

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Statement.objects.none()
        return selectors.visible_statements(user=self.request.user)

    def get_object(self):
        statement = permissions.get_statement_for_user(self.request.user, int(self.kwargs["pk"]))
        return selectors.visible_statements(user=self.request.user).get(pk=statement.pk)

    def _fresh(self):
        return self.respond(serializers.StatementSerializer, self.get_object())

    @_statement_action(
        "statements_recommend", "Recommend (the person's marketing lead)", state="recommended"
    )
    @action(detail=True, methods=["post"])
    def recommend(self, request, pk=None):
        statement = self.get_object()
        signoff.statements_recommend(actor=request.user, statement_ids=[statement.pk])
        return self._fresh()

    @_statement_action(
        "statements_approve",
        "Approve, i.e. execute (the person's line supervisor or active delegate)",
        state="approved",
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        statement = self.get_object()
        signoff.statements_approve(actor=request.user, statement_ids=[statement.pk])
        return self._fresh()

    @_statement_action(
        "statements_return",
        "Send back to draft with a note (marketing lead or line supervisor)",
        serializers.NoteSerializer,
        ex.RETURN_NOTE,
        state="returned",
    )
    @action(detail=True, methods=["post"], url_path="return")
    def send_back(self, request, pk=None):
        statement = self.get_object()
        note = self.parsed(serializers.NoteSerializer).validated_data["note"]
        signoff.statements_return(actor=request.user, statement_ids=[statement.pk], note=note)
        return self._fresh()


# --------------------------------------------------------------------------- payout periods


def _period_action(operation_id, summary, state, code=200):
    example = ex.PERIOD_QUEUED if code == 202 else {**ex.PERIOD, "status": state}
    return extend_schema(
        operation_id=operation_id,
        summary=summary,
        request=None,
        responses={code: serializers.PayoutPeriodSerializer},
        examples=[ex.response("Period", example, status_codes=[code])],
    )


@extend_schema_view(
    list=extend_schema(
        summary="Payout periods",
        description="Months open → closed for logging → calculated → approved → paid. A "
        "period is approved automatically once all its statements are approved (approve "
        "statements with ``POST /api/v1/rewards/approve/``); "
        "``POST /api/v1/payout-periods/{id}/approve/`` says so explicitly and answers 400 "
        "naming what still waits. ``status`` and ``approved_at`` show it.",
        examples=[ex.listed("Periods", ex.PERIOD)],
    ),
    retrieve=extend_schema(examples=[ex.response("Period", ex.PERIOD)]),
)
@extend_schema(tags=["payout-periods"])
class PayoutPeriodViewSet(ApiViewMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = serializers.PayoutPeriodSerializer
    ordering_fields = ["start_date", "status"]
    lookup_value_regex = ID_PATTERN

    @property
    def filterset_class(self):
        return (
            filters.StatementFilter if self.action == "statements" else filters.PayoutPeriodFilter
        )

    def get_queryset(self):
        if self.action == "statements":
            if getattr(self, "swagger_fake_view", False):  # schema generation
                return Statement.objects.none()
            return selectors.visible_statements(user=self.request.user)
        if getattr(self, "swagger_fake_view", False):
            return PayoutPeriod.objects.none()
        return selectors.periods()

    def get_object(self):
        period = selectors.periods().filter(pk=int(self.kwargs["pk"])).first()
        if period is None:
            raise Http404
        return period

    def _fresh(self, code=status.HTTP_200_OK):
        return self.respond(serializers.PayoutPeriodSerializer, self.get_object(), code=code)

    @_period_action("payout_periods_close", "Close for logging (finance, admin)", "closed")
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        payouts.payout_period_close(actor=request.user, period=self.get_object())
        return self._fresh()

    @_period_action(
        "payout_periods_calculate",
        "Start the reward calculation (finance, admin); poll the period for its progress",
        "closed",
        code=202,
    )
    @action(detail=True, methods=["post"])
    def calculate(self, request, pk=None):
        payouts.payout_period_request_calculation(actor=request.user, period=self.get_object())
        return self._fresh(code=status.HTTP_202_ACCEPTED)

    @_period_action(
        "payout_periods_approve",
        "Approve a calculated period whose statements are all approved (finance, admin); "
        "it is also approved by itself when the last statement is approved",
        "approved",
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        payouts.payout_period_approve(actor=request.user, period=self.get_object())
        return self._fresh()

    @_period_action(
        "payout_periods_mark_paid", "Mark an approved period paid (finance, admin)", "paid"
    )
    @action(detail=True, methods=["post"], url_path="mark-paid")
    def mark_paid(self, request, pk=None):
        payouts.payout_period_mark_paid(actor=request.user, period=self.get_object())
        return self._fresh()

    @extend_schema(
        operation_id="payout_periods_export",
        summary="Payroll export of an approved or paid period (finance, admin)",
        parameters=[
            OpenApiParameter(
                "format",
                OpenApiTypes.STR,
                enum=["csv", "xlsx"],
                default="csv",
                description="csv (UTF-8 with BOM) or xlsx",
            )
        ],
        responses={
            (200, CSV): OpenApiResponse(OpenApiTypes.BINARY, description="CSV file"),
            (200, XLSX): OpenApiResponse(OpenApiTypes.BINARY, description="XLSX workbook"),
            400: OpenApiResponse(description="The period is not approved or paid yet."),
        },
        examples=[
            OpenApiExample(
                "CSV",
                value="Employee number,Name,Department,Period,Total,Currency,Status\r\n"
                "E0101,Li Wei,Engineering,2026-03,150.00,CNY,Approved\r\n",
                response_only=True,
                media_type=CSV,
            )
        ],
    )
    @action(detail=True, methods=["get"], permission_classes=[CanManagePeriods])
    def export(self, request, pk=None):
        fmt = request.query_params.get("format", "csv")
        if fmt not in ("csv", "xlsx"):
            raise ValidationError({"format": [_("Choose csv or xlsx.")]})
        period = self.get_object()
        try:
            from rewards import exports
        except ImportError:  # pragma: no cover - the exports module ships with rewards
            return Response(
                {"detail": _("Exports are not available.")},
                status=status.HTTP_501_NOT_IMPLEMENTED,
            )
        content = exports.period_export(period=period, fmt=fmt, actor=request.user)
        response = HttpResponse(content, content_type=exports.CONTENT_TYPES[fmt])
        response["Content-Disposition"] = (
            f'attachment; filename="{exports.export_filename(period=period, fmt=fmt)}"'
        )
        return response

    @extend_schema(
        operation_id="payout_periods_statements",
        summary="The period's statements the caller may see",
        responses=serializers.StatementSerializer(many=True),
        filters=True,
        examples=[ex.listed("Statements", ex.STATEMENT)],
    )
    @action(detail=True, methods=["get"], ordering_fields=["total", "status"])
    def statements(self, request, pk=None):
        period = self.get_object()
        statements = self.filter_queryset(self.get_queryset().filter(period=period))
        page = self.paginate_queryset(statements)
        data = serializers.StatementSerializer(
            page, many=True, context=self.get_serializer_context()
        ).data
        return self.get_paginated_response(data)
