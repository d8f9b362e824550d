"""The rate limits keep their counters in the cache (Redis when configured). With that
Redis gone the API keeps answering, without the limits, and says so in the log; with the
cache back the limits apply again."""

from __future__ import annotations

import logging

import pytest
from django.core.cache import cache

from api import throttles
from tests.api.test_auth import TOKEN_URL, _rates
from tests.api.test_logs import LOGS, body

DEAD_REDIS = "redis://127.0.0.1:6390/0"  # nothing listens there


@pytest.fixture
def cache_down(settings, monkeypatch):
    """The settings' cache (what production uses) points at a Redis that is not there."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": DEAD_REDIS,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    # The API tests give each test a private memory cache; this one uses the real wiring.
    monkeypatch.setattr(throttles._CurrentRateThrottle, "cache", cache)


def test_writes_and_tokens_work_without_limits_and_are_logged(
    org, api, today, category, cache_down, caplog
):
    with (
        caplog.at_level(logging.WARNING, logger="api.throttles"),
        _rates(token="1/min", writes="1/min"),
    ):
        tokens = [
            api().post(TOKEN_URL, {"username": "staff", "password": org.password}) for _ in range(2)
        ]
        client = api(org.staff)
        created = [
            client.post(LOGS, body(category, today, minutes=10), format="json") for _ in range(2)
        ]
        read = client.get(LOGS)

    assert [response.status_code for response in tokens] == [200, 200]
    assert tokens[0].json()["token"]
    assert [response.status_code for response in created] == [201, 201]
    assert read.status_code == 200
    assert read.json()["count"] == 2
    warnings = [r.getMessage() for r in caplog.records if r.name == "api.throttles"]
    assert len(warnings) == 4  # two token requests and two writes; reads are not limited
    assert all("the cache cannot be reached" in message for message in warnings)
    assert "'writes'" in warnings[-1]


def test_the_limits_apply_again_once_the_cache_is_back(
    org, api, today, category, cache_down, settings
):
    with _rates(writes="1/min"):
        client = api(org.staff)
        during = [
            client.post(LOGS, body(category, today, minutes=10), format="json").status_code
            for _ in range(2)
        ]
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                "LOCATION": "throttles-back",
            }
        }
        after = [
            client.post(LOGS, body(category, today, minutes=10), format="json").status_code
            for _ in range(2)
        ]
    assert during == [201, 201]
    assert after == [201, 429]


def test_a_programming_error_in_the_cache_is_not_swallowed(org, api, monkeypatch):
    class Broken:
        def get(self, *args, **kwargs):
            raise TypeError("a bug, not an outage")

    monkeypatch.setattr(throttles._CurrentRateThrottle, "cache", Broken())
    client = api(org.staff)
    client.raise_request_exception = True
    with pytest.raises(TypeError):
        client.post(LOGS, {}, format="json")
