"""One error format for the whole API.

- 400 ``{field: [messages]}``, problems that belong to no field under ``non_field_errors``;
- 401 / 403 / 404 / 429 ``{"detail": message}``.

The services raise Django's ``ValidationError``; it is turned into the 400 shape here, so
no view re-checks a rule to produce a nicer message. A view whose input fields are named
differently from the service's arguments (``date`` for ``day``) declares the mapping in
``service_field_map``.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler


def validation_detail(
    error: DjangoValidationError, field_map: Mapping[str, str] | None = None
) -> dict[str, list[str]]:
    """``{field: [messages]}`` of a Django ``ValidationError``."""
    field_map = field_map or {}
    non_field = api_settings.NON_FIELD_ERRORS_KEY
    if not hasattr(error, "error_dict"):
        return {non_field: [str(message) for message in error.messages]}
    detail: dict[str, list[str]] = {}
    for field, messages in error.message_dict.items():
        key = non_field if field in (NON_FIELD_ERRORS, None) else field_map.get(field, field)
        detail.setdefault(key, []).extend(str(message) for message in messages)
    return detail


def _messages(value, path: str = "") -> list[str]:
    """Nested errors (an item of a list, a field of a nested object) as flat messages that
    say where: ``"[1].percent: A valid number is required."``."""
    if isinstance(value, dict):
        return [
            message
            for key, item in value.items()
            for message in _messages(
                item, f"{path}[{key}]" if str(key).isdigit() else f"{path}.{key}"
            )
        ]
    if isinstance(value, list):
        if all(not isinstance(item, dict | list) for item in value):
            prefix = f"{path.lstrip('.')}: " if path else ""
            return [f"{prefix}{item}" for item in value]
        return [
            message
            for index, item in enumerate(value)
            for message in _messages(item, f"{path}[{index}]")
        ]
    prefix = f"{path.lstrip('.')}: " if path else ""
    return [f"{prefix}{value}"]


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        view = context.get("view")
        exc = exceptions.ValidationError(
            validation_detail(exc, getattr(view, "service_field_map", None))
        )
    if isinstance(exc, exceptions.ParseError):
        # A body that is not JSON at all: the one 400 without a field is still a 400 shape.
        exc = exceptions.ValidationError({api_settings.NON_FIELD_ERRORS_KEY: [exc.detail]})
    response = drf_exception_handler(exc, context)
    if (
        response is not None
        and isinstance(exc, exceptions.ValidationError)
        and isinstance(response.data, dict)
    ):
        # Always {field: [messages]}, however deep the problem sits in the input.
        response.data = {field: _messages(value) for field, value in response.data.items()}
    elif response is not None and isinstance(exc, exceptions.ValidationError):
        response.data = {api_settings.NON_FIELD_ERRORS_KEY: _messages(response.data)}
    return response


# --------------------------------------------------------------------------- schema

_DETAIL = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
_FIELD_ERRORS = {
    "type": "object",
    "description": "Messages by field; ``non_field_errors`` for the rest.",
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
}
_ERRORS = {
    "400": (
        "Invalid input: messages by field.",
        "FieldErrors",
        {"non_field_errors": ["Some of the selected entries were already decided."]},
    ),
    "401": (
        "Not authenticated (no or a bad token).",
        "Detail",
        {"detail": "Authentication credentials were not provided."},
    ),
    "403": (
        "Not allowed to do this.",
        "Detail",
        {"detail": "You do not have permission to perform this action."},
    ),
    "404": ("Not found, or not visible to the caller.", "Detail", {"detail": "Not found."}),
    "429": (
        "Too many requests; retry later.",
        "Detail",
        {"detail": "Request was throttled. Expected available in 42 seconds."},
    ),
}


def add_error_responses(result, generator, request, public):
    """drf-spectacular hook: the error responses every operation may give, documented
    once (400 only where the operation takes input, 429 only on writes)."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault("Detail", _DETAIL)
    components.setdefault("FieldErrors", _FIELD_ERRORS)
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            takes_input = "requestBody" in operation or any(
                parameter.get("in") == "query" for parameter in operation.get("parameters", [])
            )
            for code, (description, schema, example) in _ERRORS.items():
                if code == "400" and not takes_input:
                    continue
                if code == "429" and method == "get":
                    continue
                if code == "401" and operation.get("operationId") == "auth_token_create":
                    continue
                entry = responses.setdefault(code, {"description": description})
                entry.setdefault("description", description)
                entry.setdefault(
                    "content",
                    {
                        "application/json": {
                            "schema": {"$ref": f"#/components/schemas/{schema}"},
                            "examples": {"Error": {"value": example}},
                        }
                    },
                )
    return result
