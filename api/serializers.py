"""Shapes of the API's input and output.

Input serializers only parse types (a date is a date, an id names an existing row); every
rule about the values is the services' job, so the API answers with the same messages as
the pages. People are staff profile ids (``staff``); accounts are usernames.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from departments.models import Department, StaffProfile
from departments.roles import Role
from rewards.explanations import explain
from rewards.models import Collection, CreditShare, Lead, PayoutPeriod, RewardLine, Statement
from rewards.services.leads import net_collected
from rewards.services.payouts import period_progress
from tasks.models import (
    AssistCategory,
    BudgetExtension,
    MarketingTask,
    TaskAssignment,
    TimeLog,
)

MONEY = {"max_digits": 12, "decimal_places": 2}
MAX_ID = 2**63 - 1  # the largest primary key the databases hold


class IdField(serializers.PrimaryKeyRelatedField):
    """A primary key; one larger than any database holds names no object (400, not 500)."""

    def to_internal_value(self, data):
        try:
            number = int(data)
        except (TypeError, ValueError, OverflowError):
            number = None
        if number is not None and not -MAX_ID <= number <= MAX_ID:
            self.fail("does_not_exist", pk_value=data)
        return super().to_internal_value(data)


def _username_field(**kwargs) -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(slug_field="username", read_only=True, **kwargs)


def _people():
    return StaffProfile.objects.select_related("user", "department")


# --------------------------------------------------------------------------- auth, me


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(label=_("Username"))
    password = serializers.CharField(
        label=_("Password"), style={"input_type": "password"}, trim_whitespace=False
    )
    otp = serializers.CharField(
        required=False,
        help_text=_("The current code of the authenticator app, for accounts that have one."),
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True)


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text=_("Account id."))
    username = serializers.CharField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    email = serializers.EmailField(allow_blank=True)
    staff = serializers.IntegerField(
        allow_null=True, help_text=_("Staff profile id; null without a profile.")
    )
    department = serializers.IntegerField(allow_null=True)
    roles = serializers.ListField(child=serializers.ChoiceField(choices=Role.choices))
    budget_today_minutes = serializers.IntegerField(
        allow_null=True, help_text=_("Today's daily marketing budget.")
    )
    extension_today_minutes = serializers.IntegerField(
        allow_null=True, help_text=_("Extra minutes granted for today.")
    )
    logged_today_minutes = serializers.IntegerField(
        allow_null=True, help_text=_("Minutes logged today and not rejected.")
    )
    remaining_today_minutes = serializers.IntegerField(
        allow_null=True, help_text=_("What can still be logged today.")
    )


# --------------------------------------------------------------------------- organisation


class DepartmentSerializer(serializers.ModelSerializer):
    parent = IdField(queryset=Department.objects.all(), allow_null=True, required=False)
    head = serializers.SlugRelatedField(
        slug_field="username",
        queryset=get_user_model().objects.all(),
        allow_null=True,
        required=False,
        help_text=_("Username of the head of the department."),
    )

    class Meta:
        model = Department
        fields = ["id", "name", "code", "kind", "parent", "head"]
        # Uniqueness is checked by the model's own validation, with its own message.
        extra_kwargs = {"code": {"validators": []}}


class StaffSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    first_name = serializers.CharField(source="user.first_name", read_only=True)
    last_name = serializers.CharField(source="user.last_name", read_only=True)
    email = serializers.EmailField(source="user.email", read_only=True)
    line_supervisor = _username_field(allow_null=True)
    marketing_lead = _username_field(allow_null=True)

    class Meta:
        model = StaffProfile
        fields = [
            "id",
            "username",
            "first_name",
            "last_name",
            "email",
            "employee_number",
            "department",
            "title",
            "goals",
            "primary_duties",
            "auxiliary_duties",
            "line_supervisor",
            "marketing_lead",
            "is_marketing_lead",
            "is_active",
        ]
        read_only_fields = fields


class CategorySerializer(serializers.ModelSerializer):
    label = serializers.CharField(read_only=True, help_text=_("Name in the reader's language."))

    class Meta:
        model = AssistCategory
        fields = ["id", "code", "name", "name_zh_hans", "label", "reward_class"]
        read_only_fields = fields


class ImportRequestSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=_("A .csv (UTF-8) or .xlsx file of at most 5 MB."))


class ImportIssueSerializer(serializers.Serializer):
    line = serializers.IntegerField(allow_null=True)
    sheet = serializers.CharField(allow_blank=True)
    column = serializers.CharField(allow_blank=True)
    reason = serializers.CharField()


class ImportResultSerializer(serializers.Serializer):
    departments_created = serializers.IntegerField()
    departments_updated = serializers.IntegerField()
    departments_unchanged = serializers.IntegerField()
    people_created = serializers.IntegerField()
    people_updated = serializers.IntegerField()
    people_unchanged = serializers.IntegerField()
    budgets_changed = serializers.IntegerField()


class ImportErrorSerializer(serializers.Serializer):
    file = serializers.ListField(
        child=serializers.CharField(), help_text=_("The problems, as sentences.")
    )
    rows = ImportIssueSerializer(many=True, help_text=_("The same problems, located."))


# --------------------------------------------------------------------------- time logs


class TimeLogSerializer(serializers.ModelSerializer):
    date = serializers.DateField(source="day", read_only=True)
    decided_by = _username_field(allow_null=True)
    outcome_by = _username_field(allow_null=True)

    class Meta:
        model = TimeLog
        fields = [
            "id",
            "staff",
            "date",
            "minutes",
            "category",
            "task",
            "description",
            "outcome",
            "duties_done",
            "status",
            "rejection_reason",
            "decided_by",
            "decided_at",
            "outcome_status",
            "outcome_note",
            "outcome_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class TimeLogWriteSerializer(serializers.Serializer):
    date = serializers.DateField(help_text=_("The day the work was done (ISO date)."))
    minutes = serializers.IntegerField(help_text=_("Whole minutes."))
    category = IdField(queryset=AssistCategory.objects.all())
    task = IdField(
        queryset=MarketingTask.objects.all(), allow_null=True, required=False, default=None
    )
    description = serializers.CharField(allow_blank=True, trim_whitespace=False)
    outcome = serializers.CharField(
        allow_blank=True, required=False, default="", trim_whitespace=False
    )
    duties_done = serializers.BooleanField(
        required=False,
        default=False,
        help_text=_("The person confirms their own duties for the day are done."),
    )

    def service_kwargs(self) -> dict:
        """The validated fields under the services' names (``date`` is ``day``)."""
        data = dict(self.validated_data)
        if "date" in data:
            data["day"] = data.pop("date")
        return data


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, trim_whitespace=False)


class OptionalNoteSerializer(serializers.Serializer):
    note = serializers.CharField(
        allow_blank=True, required=False, default="", trim_whitespace=False
    )


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(allow_blank=True, trim_whitespace=False)


class IdsSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        max_length=1000,
        help_text=_("Entry ids."),
    )


class IdsReasonSerializer(IdsSerializer):
    reason = serializers.CharField(allow_blank=True, trim_whitespace=False)


class CountSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text=_("How many were changed."))


class OutcomeReviewSerializer(serializers.Serializer):
    outcome_status = serializers.ChoiceField(
        choices=[
            TimeLog.OutcomeStatus.CONFIRMED.value,
            TimeLog.OutcomeStatus.NEEDS_FOLLOW_UP.value,
        ]
    )
    note = serializers.CharField(
        allow_blank=True, required=False, default="", trim_whitespace=False
    )


# --------------------------------------------------------------------------- extensions


class ExtensionSerializer(serializers.ModelSerializer):
    date = serializers.DateField(source="day", read_only=True)
    decided_by = _username_field(allow_null=True)

    class Meta:
        model = BudgetExtension
        fields = [
            "id",
            "staff",
            "date",
            "minutes",
            "reason",
            "status",
            "decided_by",
            "decided_at",
            "decision_note",
            "created_at",
        ]
        read_only_fields = fields


class ExtensionWriteSerializer(serializers.Serializer):
    date = serializers.DateField()
    minutes = serializers.IntegerField(help_text=_("Extra minutes wanted that day."))
    reason = serializers.CharField(allow_blank=True, trim_whitespace=False)


# --------------------------------------------------------------------------- marketing tasks


class AssignmentSerializer(serializers.ModelSerializer):
    staff = serializers.SerializerMethodField(help_text=_("Staff profile id of the assignee."))
    username = serializers.CharField(source="assignee.username", read_only=True)

    class Meta:
        model = TaskAssignment
        fields = ["id", "staff", "username", "status", "outcome", "decline_reason", "responded_at"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.INT)
    def get_staff(self, assignment) -> int | None:
        try:
            return assignment.assignee.profile.pk
        except StaffProfile.DoesNotExist:
            return None


class TaskSerializer(serializers.ModelSerializer):
    created_by = _username_field()
    assignments = AssignmentSerializer(many=True, read_only=True)

    class Meta:
        model = MarketingTask
        fields = [
            "id",
            "title",
            "description",
            "category",
            "due_date",
            "estimated_minutes",
            "status",
            "created_by",
            "assignments",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class TaskWriteSerializer(serializers.Serializer):
    title = serializers.CharField(allow_blank=True, trim_whitespace=False)
    description = serializers.CharField(
        allow_blank=True, required=False, default="", trim_whitespace=False
    )
    category = IdField(queryset=AssistCategory.objects.all())
    due_date = serializers.DateField()
    estimated_minutes = serializers.IntegerField(help_text=_("Per assignee."))
    assignees = IdField(queryset=_people(), many=True, help_text=_("Staff profile ids."))

    def service_kwargs(self) -> dict:
        data = dict(self.validated_data)
        data["assignees"] = [profile.user for profile in data["assignees"]]
        return data


class OutcomeSerializer(serializers.Serializer):
    outcome = serializers.CharField(allow_blank=True, trim_whitespace=False)


# --------------------------------------------------------------------------- leads


class LeadSerializer(serializers.ModelSerializer):
    marketing_lead = _username_field(allow_null=True)
    net_collected = serializers.SerializerMethodField(
        help_text=_("Collections minus refunds (decimal string).")
    )

    class Meta:
        model = Lead
        fields = [
            "id",
            "introducer",
            "marketing_lead",
            "client_name",
            "contact",
            "need",
            "estimated_value",
            "status",
            "contract_amount",
            "won_on",
            "lost_reason",
            "protected_until",
            "conflicting_lead",
            "claim_status",
            "claim_note",
            "key_role_confirmed",
            "net_collected",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.DecimalField(**MONEY))
    def get_net_collected(self, lead) -> str:
        value = getattr(lead, "net_collected", None)
        if value is None:
            value = net_collected(lead=lead)
        return serializers.DecimalField(**MONEY).to_representation(value)


class LeadWriteSerializer(serializers.Serializer):
    client_name = serializers.CharField(allow_blank=True, trim_whitespace=False)
    contact = serializers.CharField(
        allow_blank=True, required=False, default="", trim_whitespace=False
    )
    need = serializers.CharField(allow_blank=True, trim_whitespace=False)
    estimated_value = serializers.DecimalField(**MONEY, required=False)


class LeadWinSerializer(serializers.Serializer):
    contract_amount = serializers.DecimalField(**MONEY)
    won_on = serializers.DateField()


class LeadClaimSerializer(serializers.Serializer):
    accept = serializers.BooleanField()
    note = serializers.CharField(
        allow_blank=True, required=False, default="", trim_whitespace=False
    )


class CollectionSerializer(serializers.ModelSerializer):
    recorded_by = _username_field()

    class Meta:
        model = Collection
        fields = [
            "id",
            "lead",
            "kind",
            "received_on",
            "amount",
            "note",
            "recorded_by",
            "created_at",
        ]
        read_only_fields = fields


class CollectionWriteSerializer(serializers.Serializer):
    received_on = serializers.DateField()
    amount = serializers.DecimalField(**MONEY)
    kind = serializers.ChoiceField(
        choices=Collection.Kind.choices, required=False, default=Collection.Kind.COLLECTION
    )
    note = serializers.CharField(
        allow_blank=True, required=False, default="", trim_whitespace=False
    )


class CreditShareWriteSerializer(serializers.Serializer):
    staff = IdField(queryset=_people())
    percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    role = serializers.CharField(
        allow_blank=True, required=False, default="", trim_whitespace=False
    )


class CreditSplitSerializer(serializers.Serializer):
    shares = CreditShareWriteSerializer(many=True, allow_empty=True, max_length=30)

    def service_shares(self) -> list[tuple]:
        return [
            (share["staff"], share["percent"], share["role"])
            for share in self.validated_data["shares"]
        ]


class CreditShareSerializer(serializers.ModelSerializer):
    class Meta:
        model = CreditShare
        fields = ["id", "staff", "percent", "role"]
        read_only_fields = fields


# --------------------------------------------------------------------------- rewards


class StatementLineSerializer(serializers.ModelSerializer):
    explanation = serializers.SerializerMethodField(
        help_text=_("How the amount was computed, in the reader's language.")
    )

    class Meta:
        model = RewardLine
        fields = ["id", "amount", "source", "explanation", "lead", "reason", "created_at"]
        read_only_fields = fields

    def get_explanation(self, line) -> str:
        return str(explain(line))


class RewardLineSerializer(StatementLineSerializer):
    statement = serializers.PrimaryKeyRelatedField(read_only=True)
    staff = serializers.IntegerField(source="statement.staff_id", read_only=True)
    period = serializers.IntegerField(source="statement.period_id", read_only=True)
    status = serializers.CharField(
        source="statement.status", read_only=True, help_text=_("The statement's status.")
    )

    class Meta(StatementLineSerializer.Meta):
        fields = [
            "id",
            "statement",
            "staff",
            "period",
            "status",
            *StatementLineSerializer.Meta.fields[1:],
        ]
        read_only_fields = fields


class StatementSerializer(serializers.ModelSerializer):
    recommended_by = _username_field(allow_null=True)
    approved_by = _username_field(allow_null=True)
    lines = StatementLineSerializer(many=True, read_only=True)

    class Meta:
        model = Statement
        fields = [
            "id",
            "staff",
            "period",
            "total",
            "status",
            "recommended_by",
            "recommended_at",
            "returned_note",
            "approved_by",
            "approved_at",
            "lines",
        ]
        read_only_fields = fields


class StatementIdsSerializer(serializers.Serializer):
    statements = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        max_length=1000,
        help_text=_("Statement ids."),
    )


class PayoutPeriodSerializer(serializers.ModelSerializer):
    calculation_progress = serializers.SerializerMethodField(
        help_text=_("Percentage of people calculated in the latest run.")
    )
    statements_count = serializers.IntegerField(read_only=True, default=0)
    statements_by_status = serializers.SerializerMethodField(
        help_text=_("Number of statements in each status.")
    )

    class Meta:
        model = PayoutPeriod
        fields = [
            "id",
            "start_date",
            "end_date",
            "status",
            "calculation_state",
            "calculation_run",
            "calculation_done",
            "calculation_total",
            "calculation_progress",
            "calculation_error",
            "closed_at",
            "calculated_at",
            "approved_at",
            "paid_at",
            "statements_count",
            "statements_by_status",
        ]
        read_only_fields = fields

    def get_calculation_progress(self, period) -> int:
        return period_progress(period)

    @extend_schema_field(
        {
            "type": "object",
            "properties": {status: {"type": "integer"} for status in Statement.Status.values},
        }
    )
    def get_statements_by_status(self, period) -> dict[str, int]:
        if not hasattr(period, "count_draft"):
            from django.db.models import Count

            counts = dict(
                period.statements.values_list("status").annotate(n=Count("pk")).order_by()
            )
            return {status: counts.get(status, 0) for status in Statement.Status.values}
        return {status: getattr(period, f"count_{status}", 0) for status in Statement.Status.values}
