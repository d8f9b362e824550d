"""The organisation: departments, people, assist categories and the organisation import."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from api import filters, selectors, serializers
from api.permissions import CanImportOrganisation, IsAdminRoleOrReadOnly
from api.views import examples as ex
from api.views.base import ID_PATTERN, ApiViewMixin
from departments import importing
from departments.models import Department, StaffProfile
from departments.permissions import get_profile_for_user


@extend_schema_view(
    list=extend_schema(
        summary="Departments (everybody signed in)",
        examples=[ex.listed("Departments", ex.DEPARTMENT)],
    ),
    retrieve=extend_schema(examples=[ex.response("Department", ex.DEPARTMENT)]),
    create=extend_schema(
        summary="Add a department (admin)",
        examples=[ex.DEPARTMENT_REQUEST, ex.response("Created", ex.DEPARTMENT, status_codes=[201])],
    ),
    update=extend_schema(
        summary="Change a department (admin)",
        examples=[ex.DEPARTMENT_REQUEST, ex.response("Changed", ex.DEPARTMENT)],
    ),
    partial_update=extend_schema(
        summary="Change some fields of a department (admin)",
        examples=[ex.request("Rename", {"name": "R&D"}), ex.response("Changed", ex.DEPARTMENT)],
    ),
)
@extend_schema(tags=["departments"])
class DepartmentViewSet(
    ApiViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """The department tree. Admins add and change departments; the model's own validation
    (unique code, no department below itself) applies, as in the Django admin."""

    serializer_class = serializers.DepartmentSerializer
    permission_classes = [IsAdminRoleOrReadOnly]
    filterset_class = filters.DepartmentFilter
    ordering_fields = ["name", "code"]
    lookup_value_regex = ID_PATTERN

    def get_queryset(self):
        return selectors.departments()

    def _save(self, serializer, department: Department) -> None:
        for name, value in serializer.validated_data.items():
            setattr(department, name, value)
        with transaction.atomic():
            department.full_clean()
            department.save()
        serializer.instance = department

    def perform_create(self, serializer):
        self._save(serializer, Department())

    def perform_update(self, serializer):
        self._save(serializer, serializer.instance)


@extend_schema_view(
    list=extend_schema(
        summary="People the caller may see",
        description="Admins see everybody; supervisors their reports (and those of the "
        "supervisors who delegated to them), marketing leads their people, everybody "
        "themselves.",
        examples=[ex.listed("People", ex.STAFF)],
    ),
    retrieve=extend_schema(examples=[ex.response("Person", ex.STAFF)]),
)
@extend_schema(tags=["staff"])
class StaffViewSet(ApiViewMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = serializers.StaffSerializer
    filterset_class = filters.StaffFilter
    ordering_fields = ["employee_number", "user__username", "user__last_name"]
    lookup_value_regex = ID_PATTERN

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return StaffProfile.objects.none()
        return selectors.visible_profiles(user=self.request.user)

    def get_object(self):
        return get_profile_for_user(self.request.user, int(self.kwargs["pk"]))


@extend_schema_view(
    list=extend_schema(
        summary="Active assist categories", examples=[ex.listed("Categories", ex.CATEGORY)]
    ),
    retrieve=extend_schema(examples=[ex.response("Category", ex.CATEGORY)]),
)
@extend_schema(tags=["categories"])
class CategoryViewSet(ApiViewMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = serializers.CategorySerializer
    ordering_fields = ["order", "name", "code"]
    lookup_value_regex = ID_PATTERN

    def get_queryset(self):
        return selectors.categories()


class OrganisationImportView(ApiViewMixin, APIView):
    """Import departments and people from a CSV or XLSX file (admins), exactly as the
    admin's "Import organisation" page: the whole file is checked first and only a file
    without a single problem is applied, all or nothing."""

    permission_classes = [CanImportOrganisation]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        operation_id="import_organisation",
        tags=["import"],
        request={"multipart/form-data": serializers.ImportRequestSerializer},
        responses={
            200: serializers.ImportResultSerializer,
            400: OpenApiResponse(
                serializers.ImportErrorSerializer,
                description="The file was refused; nothing was imported. ``file`` lists the "
                "problems as sentences, ``rows`` the same problems located in the file.",
            ),
        },
        examples=[ex.IMPORT_RESULT, ex.IMPORT_ERRORS],
    )
    def post(self, request):
        from departments.admin import OrgImportForm

        form = OrgImportForm(data={}, files=request.FILES)
        if not form.is_valid():
            errors = {
                field: [error["message"] for error in field_errors]
                for field, field_errors in form.errors.get_json_data().items()
            }
            return Response(errors, status=status.HTTP_400_BAD_REQUEST)
        upload = form.cleaned_data["file"]
        result = importing.org_import(file=upload, filename=upload.name, actor=request.user)
        if not result.ok:
            return Response(
                {
                    "file": [_issue_text(issue) for issue in result.errors],
                    "rows": serializers.ImportIssueSerializer(result.errors, many=True).data,
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response(serializers.ImportResultSerializer(result).data)


def _issue_text(issue: importing.ImportIssue) -> str:
    if issue.line is None:
        return issue.reason
    return _("%(sheet)s line %(line)d, %(column)s: %(reason)s") % {
        "sheet": issue.sheet or _("file"),
        "line": issue.line,
        "column": issue.column or "—",
        "reason": issue.reason,
    }
