"""What every API view shares."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from api.views import examples as ex

# Ids in paths: up to 18 digits, below the largest key the databases hold (longer: 404).
ID_PATTERN = r"[0-9]{1,18}"


class ApiViewMixin:
    """Exempt from the site's ``LoginRequiredMiddleware`` (which would redirect to the login
    page): DRF authenticates the request itself and answers 401 in JSON. (Recent DRF
    releases mark their views so already; saying it here keeps it true whatever the
    version.)

    ``service_field_map`` renames the services' error keys to the API's field names.
    """

    service_field_map: dict[str, str] = {}

    @classmethod
    def as_view(cls, *args, **kwargs):
        return login_not_required(super().as_view(*args, **kwargs))

    def parsed(self, serializer_class, **kwargs):
        """The request body through ``serializer_class``; 400 with field errors if invalid."""
        serializer = serializer_class(
            data=self.request.data, context=self.get_serializer_context(), **kwargs
        )
        serializer.is_valid(raise_exception=True)
        return serializer

    def respond(self, serializer_class, instance, *, code=status.HTTP_200_OK, **kwargs):
        return Response(
            serializer_class(instance, context=self.get_serializer_context(), **kwargs).data,
            status=code,
        )


def action_schema(
    operation_id: str,
    summary: str,
    *,
    name: str,
    sample: dict,
    serializer,
    state: str,
    request_serializer=None,
    example=None,
):
    """The schema of an action that moves one object (a lead, a task, a statement) and
    answers with it: ``sample`` shown in its new ``state``, after ``example`` if any."""
    examples = [ex.response(name, {**sample, "status": state})]
    if example is not None:
        examples.insert(0, example)
    return extend_schema(
        operation_id=operation_id,
        summary=summary,
        request=request_serializer,
        responses=serializer,
        examples=examples,
    )
