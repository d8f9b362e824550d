"""Shared fixtures: a small organisation with the standing users of every permission test.

``org.staff`` works in Engineering; ``org.supervisor`` is their line supervisor,
``org.delegate`` holds the supervisor's approvals today, ``org.lead`` is their marketing
lead; ``org.other_supervisor`` runs Operations with ``org.other_staff``; ``org.outsider``
is a colleague of ``org.staff`` with no authority over them; ``org.finance`` and
``org.admin`` hold those roles.
"""

import datetime
import os
import shutil
import types
import zoneinfo

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.db import connection

from departments.roles import ADMIN_GROUP, FINANCE_GROUP
from tests.factories import (
    PASSWORD,
    DelegationFactory,
    DepartmentFactory,
    MarketingDepartmentFactory,
    StaffProfileFactory,
    UserFactory,
)

REQUIRE_SERVICES = bool(os.environ.get("ALLHANDS_REQUIRE_SERVICES"))
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_configure(config):
    # Unit tests run jobs inline; the real-worker tests start their own worker process.
    from django.conf import settings

    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.LANGUAGE_CODE = "en"
    # Under pytest-xdist (``make test``) the workers share the Redis database of REDIS_URL
    # with each other and with their live Celery workers: each worker keeps its cache keys
    # (the API's throttle counters, per user id) under a prefix of its own.
    xdist_worker = os.environ.get("PYTEST_XDIST_WORKER")
    if xdist_worker:
        for cache in settings.CACHES.values():
            cache["KEY_PREFIX"] = f"{cache.get('KEY_PREFIX', '')}test-{xdist_worker}"
    # Django caches the default language's catalogue on first use (setup may already
    # have used it): forget it, so that threads without an active language get English.
    from django.utils.translation import trans_real

    trans_real._default = None
    from config.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True


def _missing_service(item) -> str | None:
    from django.conf import settings

    vendor = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    if item.get_closest_marker("postgres") and vendor != "postgresql":
        return "needs PostgreSQL (set DATABASE_URL)"
    if item.get_closest_marker("redis") and not settings.REDIS_URL:
        return "needs Redis and a real Celery worker (set REDIS_URL)"
    if item.get_closest_marker("browser"):
        if not shutil.which(CHROMIUM):
            return f"needs Chromium at {CHROMIUM}"
        if os.environ.get("ALLHANDS_SKIP_BROWSER") and not REQUIRE_SERVICES:
            return "browser journeys run in the PostgreSQL pass (ALLHANDS_SKIP_BROWSER)"
    return None


def _keep_migration_data(item) -> None:
    """Transactional tests flush the database afterwards, which would also remove the
    rows data migrations create (categories, role groups, schedules) for every later
    test. Serialised rollback restores them."""
    marker = item.get_closest_marker("django_db")
    if marker is not None:
        if marker.kwargs.get("transaction") and not marker.kwargs.get("serialized_rollback"):
            item.add_marker(
                pytest.mark.django_db(*marker.args, **marker.kwargs, serialized_rollback=True),
                append=False,
            )
    elif {"transactional_db", "live_server"} & set(item.fixturenames) and (
        "django_db_serialized_rollback" not in item.fixturenames
    ):
        item.fixturenames.append("django_db_serialized_rollback")


def pytest_collection_modifyitems(config, items):
    for item in items:
        reason = _missing_service(item)
        if reason:
            item.add_marker(pytest.mark.skip(reason=reason))
        _keep_migration_data(item)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if REQUIRE_SERVICES and report.skipped:
        # In the PostgreSQL + Redis pass every test must run: a skip is a failure.
        report.outcome = "failed"
        report.longrepr = f"skipped while ALLHANDS_REQUIRE_SERVICES is set: {report.longrepr}"


def _is_transactional(request) -> bool:
    return _item_is_transactional(request.node)


def _item_is_transactional(item) -> bool:
    marker = item.get_closest_marker("django_db")
    return bool(
        (marker is not None and marker.kwargs.get("transaction"))
        or {"transactional_db", "live_server"} & set(item.fixturenames)
    )


def _seed_migration_rows() -> None:
    import importlib

    from django.apps import apps

    importlib.import_module("tasks.migrations.0002_seed_categories").seed(apps, None)
    importlib.import_module(
        "departments.migrations.0002_groups_and_marketing_lead_triggers"
    ).create_groups(apps, None)


_flushed_by_a_transactional_test = False


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """A transactional test leaves the database flushed, without the rows the migrations
    made. pytest-django runs such tests after the others, but under pytest-xdist a worker
    can be handed ordinary database tests after them (a test other than the first in its
    worker must not see a different database): before such a test runs, the migrated
    state is loaded again, as serialised rollback does for a transactional test."""
    yield
    global _flushed_by_a_transactional_test
    if _item_is_transactional(item):
        _flushed_by_a_transactional_test = True
    if (
        _flushed_by_a_transactional_test
        and nextitem is not None
        and "django_db_setup" in nextitem.fixturenames
        and not _item_is_transactional(nextitem)
    ):
        from django.db import connections
        from pytest_django.plugin import blocking_manager_key

        with item.config.stash[blocking_manager_key].unblock():
            for alias in connections:
                contents = getattr(connections[alias], "_test_serialized_contents", None)
                if contents:
                    connections[alias].creation.deserialize_db_from_string(contents)
            _seed_migration_rows()
            from django.contrib.contenttypes.models import ContentType

            ContentType.objects.clear_cache()
        _flushed_by_a_transactional_test = False


@pytest.fixture(autouse=True)
def _migration_rows_for_transactional_tests(request):
    """Belt and braces for the serialised rollback: a transactional test starts with the
    rows the data migrations create (categories, role groups) even when an earlier
    transactional test flushed them."""
    if _is_transactional(request):
        request.getfixturevalue("transactional_db")
        _seed_migration_rows()


@pytest.fixture(autouse=True)
def _no_language_left_behind():
    """A request in Chinese leaves its language active in this thread: reset it after
    every test so that the next one starts in the default language."""
    yield
    from django.utils import translation

    translation.deactivate()


@pytest.fixture(autouse=True)
def _fresh_content_type_cache(request):
    """A transactional test empties and reloads the tables, so content type ids cached
    in this process may no longer exist afterwards: forget them after such a test."""
    yield
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker is not None and marker.kwargs.get("transaction")) or bool(
        {"transactional_db", "live_server"} & set(request.fixturenames)
    )
    if transactional:
        from django.contrib.contenttypes.models import ContentType

        ContentType.objects.clear_cache()


@pytest.fixture
def org(db):
    marketing = MarketingDepartmentFactory(name="Marketing", code="MKT")
    engineering = DepartmentFactory(name="Engineering", code="ENG")
    operations = DepartmentFactory(name="Operations", code="OPS")

    lead = StaffProfileFactory(
        user=UserFactory(username="lead"), department=marketing, is_marketing_lead=True
    ).user
    supervisor = StaffProfileFactory(
        user=UserFactory(username="supervisor"), department=engineering
    ).user
    other_supervisor = StaffProfileFactory(
        user=UserFactory(username="other_supervisor"), department=operations
    ).user
    delegate = StaffProfileFactory(
        user=UserFactory(username="delegate"), department=engineering
    ).user
    staff_profile = StaffProfileFactory(
        user=UserFactory(username="staff"),
        department=engineering,
        line_supervisor=supervisor,
        marketing_lead=lead,
    )
    outsider = StaffProfileFactory(
        user=UserFactory(username="outsider"),
        department=engineering,
        line_supervisor=supervisor,
        marketing_lead=lead,
    ).user
    other_staff = StaffProfileFactory(
        user=UserFactory(username="other_staff"),
        department=operations,
        line_supervisor=other_supervisor,
        marketing_lead=lead,
    ).user
    finance = StaffProfileFactory(user=UserFactory(username="finance"), department=operations).user
    finance.groups.add(Group.objects.get_or_create(name=FINANCE_GROUP)[0])
    admin = UserFactory(username="admin")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    admin.groups.add(Group.objects.get_or_create(name=ADMIN_GROUP)[0])
    DelegationFactory(delegator=supervisor, delegate=delegate)
    return types.SimpleNamespace(
        marketing=marketing,
        engineering=engineering,
        operations=operations,
        lead=lead,
        supervisor=supervisor,
        other_supervisor=other_supervisor,
        delegate=delegate,
        staff=staff_profile.user,
        staff_profile=staff_profile,
        outsider=outsider,
        other_staff=other_staff,
        finance=finance,
        admin=admin,
        password=PASSWORD,
    )


@pytest.fixture
def today(settings):
    """Freeze the clock at 10:00 local time on Tuesday 10 March 2026; returns that date."""
    moment = datetime.datetime(2026, 3, 10, 10, 0, tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE))
    with time_machine.travel(moment, tick=False):
        yield moment.date()


@pytest.fixture
def login(client):
    """``login(user)`` logs the test client in as ``user`` and returns the client."""

    def _login(user):
        client.force_login(user)
        return client

    return _login


@pytest.fixture
def db_vendor():
    return connection.vendor
