"""Schema-driven fuzzing: Schemathesis generates requests from the OpenAPI schema and sends
them to the WSGI app as a signed-in staff member. No request may end in a server error,
and every documented response must match the schema.

Bounded (a few examples per operation, derandomised) so that it runs in well under a
minute; the token, export and import endpoints are left out (throttled, binary, multipart).
"""

from __future__ import annotations

import json

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils import translation
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, Phase, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error, response_schema_conformance
from schemathesis.config import (
    CoveragePhaseConfig,
    GenerationConfig,
    PhasesConfig,
    ProjectConfig,
    ProjectsConfig,
    SchemathesisConfig,
)

from tests.factories import DepartmentFactory, StaffProfileFactory, UserFactory

EXAMPLES_PER_OPERATION = 6
SKIPPED = {
    "auth_token_create",
    "auth_token_revoke",
    "payout_periods_export",
    "import_organisation",
}


def _raw_schema() -> dict:
    # Explicitly English: this runs at collection, before any test activates a language
    # (and drf-spectacular caches enum names per language).
    with translation.override("en"):
        document = SchemaGenerator().get_schema(request=None, public=True)
        return json.loads(OpenApiJsonRenderer().render(document))


# The explicit examples and a few generated cases per operation; the exhaustive coverage
# phase (every boundary of every filter) would take minutes.
CONFIG = SchemathesisConfig(
    seed=2026,
    projects=ProjectsConfig(
        default=ProjectConfig(
            phases=PhasesConfig(coverage=CoveragePhaseConfig(enabled=False)),
            generation=GenerationConfig(max_examples=EXAMPLES_PER_OPERATION, deterministic=True),
        )
    ),
)
schema = schemathesis.openapi.from_dict(_raw_schema(), config=CONFIG)
schema.app = get_wsgi_application()
schema = schema.exclude(operation_id=sorted(SKIPPED))


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    """The real WSGI handler closes "old" database connections around each request; inside
    a test's transaction that would close the test's own connection (PostgreSQL). Django's
    test client turns this off the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def caller(db, category):
    """A staff member with a line supervisor, and their token."""
    supervisor = StaffProfileFactory(
        user=UserFactory(username="fuzz_supervisor"), department=DepartmentFactory(code="FZ")
    ).user
    profile = StaffProfileFactory(
        user=UserFactory(username="fuzz_staff"),
        department=supervisor.profile.department,
        line_supervisor=supervisor,
    )
    return Token.objects.create(user=profile.user).key


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_no_server_error_and_responses_match_the_schema(case, caller, today):
    case.call_and_validate(
        headers={"Authorization": f"Token {caller}", "Accept-Language": "en"},
        checks=[not_a_server_error, response_schema_conformance],
    )
