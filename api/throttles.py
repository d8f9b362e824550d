"""Rate limits: the token endpoint (guessing passwords) and every write.

Rates come from ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` (``ALLHANDS_API_TOKEN_RATE``,
``ALLHANDS_API_WRITE_RATE``) and are read on each request, so a changed setting applies
at once (DRF's own classes read them once, at import).

The counters live in the cache (Redis when ``REDIS_URL`` is set). When it cannot be
reached the API keeps answering without the limit (fails open) and logs a warning: an
outage of the cache must not take the integrations down with it.
"""

from __future__ import annotations

import logging

from django.core.cache import cache as default_cache
from django.core.exceptions import ImproperlyConfigured
from redis.exceptions import RedisError
from rest_framework.permissions import SAFE_METHODS
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

logger = logging.getLogger(__name__)

CACHE_ERRORS = (RedisError, OSError)


class _CurrentRateThrottle(SimpleRateThrottle):
    cache = default_cache

    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except CACHE_ERRORS as error:
            logger.warning(
                "Rate limit %r not applied: the cache cannot be reached (%r)", self.scope, error
            )
            return True

    def get_rate(self):
        try:
            return api_settings.DEFAULT_THROTTLE_RATES[self.scope]
        except KeyError:
            raise ImproperlyConfigured(f"No throttle rate set for scope {self.scope!r}") from None


class TokenRateThrottle(_CurrentRateThrottle):
    """Token requests per client address, signed in or not."""

    scope = "token"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class WriteRateThrottle(_CurrentRateThrottle):
    """Writes (anything but GET, HEAD, OPTIONS) per user, or per address when anonymous."""

    scope = "writes"

    def allow_request(self, request, view):
        if request.method in SAFE_METHODS:
            return True
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        user = request.user
        ident = f"user-{user.pk}" if user and user.is_authenticated else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
