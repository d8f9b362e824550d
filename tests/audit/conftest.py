import contextlib

import pytest
from django.test import RequestFactory

from audit.context import current_request
from audit.models import AuditEntry


@pytest.fixture
def as_request():
    """``with as_request(user, ip):`` runs a service as if inside that user's request."""

    @contextlib.contextmanager
    def _as(user, address="192.0.2.10", agent="AuditTest/1.0", **meta):
        request = RequestFactory().post(
            "/somewhere/", REMOTE_ADDR=address, HTTP_USER_AGENT=agent, **meta
        )
        request.user = user
        token = current_request.set(request)
        try:
            yield request
        finally:
            current_request.reset(token)

    return _as


def entries(action=None):
    rows = AuditEntry.objects.order_by("pk")
    return list(rows.filter(action=action) if action else rows)
