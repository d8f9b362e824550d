"""Fixtures of the API tests: token clients for the standing users of ``org`` and a few
records to act on. Throttle counters start empty in every test."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal

import pytest
from django.core.cache.backends.locmem import LocMemCache
from django.utils import translation
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from api import throttles
from rewards.models import PayoutPeriod, RewardLine, Statement
from tasks import services
from tasks.models import AssistCategory, MarketingTask, TaskAssignment


@pytest.fixture(autouse=True)
def default_language(settings):
    """A request with ``Accept-Language`` leaves its language active in the thread (the
    locale middleware sets it per request and never resets it): later tests must not
    inherit it."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def fresh_throttles(monkeypatch):
    """Rate-limit counters live in the cache; each test gets an empty one of its own."""
    # Local-memory caches of the same name share their data: the name is new each time.
    cache = LocMemCache(f"api-throttles-{uuid.uuid4()}", {})
    monkeypatch.setattr(throttles._CurrentRateThrottle, "cache", cache)


@pytest.fixture
def api(db):
    """``api(user)`` is an ``APIClient`` sending ``user``'s token; ``api()`` is anonymous.
    ``language`` sets ``Accept-Language``."""

    def _client(user=None, *, language: str = "en") -> APIClient:
        client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
        if user is not None:
            token, _created = Token.objects.get_or_create(user=user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return _client


@pytest.fixture
def category(db) -> AssistCategory:
    return AssistCategory.objects.get_or_create(
        code="phone-marketing", defaults={"name": "Phone marketing", "order": 10}
    )[0]


@pytest.fixture
def make_log(category):
    """A submitted entry made through the service, as the pages would."""

    def _make(profile, *, day: datetime.date, minutes: int = 30, task=None, **fields):
        return services.time_log_create(
            staff=profile,
            day=day,
            minutes=minutes,
            category=category,
            task=task,
            description=fields.pop("description", "Called a client"),
            duties_done=True,
            **fields,
        )

    return _make


@pytest.fixture
def task(org, category, today) -> MarketingTask:
    """A task by the marketing lead, assigned to ``org.staff``."""
    return services.task_create(
        actor=org.lead,
        title="Call back the trade-show contacts",
        category=category,
        due_date=today + datetime.timedelta(days=10),
        estimated_minutes=90,
        assignees=[org.staff],
    )


@pytest.fixture
def calculated_period(org) -> PayoutPeriod:
    """February 2026, calculated: one draft statement each for ``org.staff`` and
    ``org.other_staff`` with a support-time line."""
    period = PayoutPeriod.objects.create(
        start_date=datetime.date(2026, 2, 1),
        end_date=datetime.date(2026, 2, 28),
        status=PayoutPeriod.Status.CALCULATED,
    )
    for profile in (org.staff_profile, org.other_staff.profile):
        statement = Statement.objects.create(
            period=period, staff=profile, total=Decimal("150.00"), calculated_run=1
        )
        RewardLine.objects.create(
            statement=statement,
            source=RewardLine.Source.SUPPORT_TIME,
            amount=Decimal("150.00"),
            explanation={"hours": "5.00", "rate": "30.00", "rule_from": "2026-01-01"},
        )
    return period


def assignment_of(task, user) -> TaskAssignment:
    return TaskAssignment.objects.get(task=task, assignee=user)
