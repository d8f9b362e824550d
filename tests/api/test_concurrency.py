"""Rule 1 through the API: many simultaneous ``POST /api/v1/logs/`` for one person and one
day never take the day over its budget.

Each thread is its own client with its own database connection, so on PostgreSQL the
requests really race and the service's row lock is what keeps them in line (SQLite test
databases cannot host concurrent writers: skipped there, required in the PostgreSQL pass).
"""

from __future__ import annotations

import datetime
import threading
import zoneinfo

import pytest
import time_machine
from django.conf import settings
from django.db import connections
from django.db.models import Sum
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tasks.models import AssistCategory, DayLedger, TimeLog

REQUESTS = 24
MINUTES = 15
BUDGET = 120
MOMENT = datetime.datetime(2026, 3, 10, 10, 0, tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE))


@pytest.fixture
def ticking_today():
    # The clock keeps moving so that lock waits and timeouts behave as usual.
    with time_machine.travel(MOMENT, tick=True):
        yield MOMENT.date()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_posts_accept_exactly_what_the_budget_allows(org, ticking_today):
    category = AssistCategory.objects.get_or_create(
        code="phone-marketing", defaults={"name": "Phone marketing", "order": 10}
    )[0]
    token = Token.objects.create(user=org.staff).key
    body = {
        "date": ticking_today.isoformat(),
        "minutes": MINUTES,
        "category": category.pk,
        "description": "Called back a trade-show contact",
        "duties_done": True,
    }
    barrier = threading.Barrier(REQUESTS)
    results: list = [None] * REQUESTS

    def post(index: int) -> None:
        try:
            client = APIClient(HTTP_AUTHORIZATION=f"Token {token}", HTTP_ACCEPT_LANGUAGE="en")
            barrier.wait(timeout=30)
            response = client.post("/api/v1/logs/", body, format="json")
            results[index] = (response.status_code, response.json())
        except Exception as error:  # every outcome is asserted below
            results[index] = ("error", repr(error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post, args=(i,)) for i in range(REQUESTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a request hung"

    created = [data for code, data in results if code == 201]
    refused = [data for code, data in results if code == 400]
    assert len(created) == BUDGET // MINUTES == 8, results
    assert len(refused) == REQUESTS - 8, results
    assert all(data["status"] == "submitted" for data in created)
    for data in refused:
        assert list(data) == ["minutes"], data
        assert "Only 0 minutes of your budget remain" in data["minutes"][0]
    logged = TimeLog.objects.filter(staff=org.staff_profile, day=ticking_today).aggregate(
        total=Sum("minutes")
    )["total"]
    assert logged == BUDGET
    assert (
        DayLedger.objects.get(staff=org.staff_profile, day=ticking_today).logged_minutes == BUDGET
    )
