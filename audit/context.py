"""The request being served, so that services can audit without a request parameter."""

from contextvars import ContextVar

from django.http import HttpRequest

current_request: ContextVar[HttpRequest | None] = ContextVar("audit_request", default=None)


def get_request() -> HttpRequest | None:
    return current_request.get()
