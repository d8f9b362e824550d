"""Rate limits: the token endpoint (guessing passwords) and every write.

Rates come from ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` (``ALLHANDS_API_TOKEN_RATE``,
``ALLHANDS_API_WRITE_RATE``) and are read on each request, so a changed setting applies
at once (DRF's own classes read them once, at import).
"""

from __future__ import annotations

from django.core.cache import cache as default_cache
from django.core.exceptions import ImproperlyConfigured
from rest_framework.permissions import SAFE_METHODS
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle


class _CurrentRateThrottle(SimpleRateThrottle):
    cache = default_cache

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
