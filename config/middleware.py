"""Session lifetime and two-factor enforcement, in front of every view.

``SessionTimeoutMiddleware`` ends a session after ``ALLHANDS_SESSION_IDLE_TIMEOUT`` seconds
without a request, and ``ALLHANDS_SESSION_ABSOLUTE_TIMEOUT`` seconds after login whatever
the activity, and says so on the login page.

``TwoFactorMiddleware`` sends a user who has two-factor authentication but whose session is
not verified yet to the code page, and a user whose role requires it (an admin's
``TwoFactorRequirement`` or ``ALLHANDS_REQUIRE_2FA_FOR_ROLES``) but who has no device to
the setup page.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

security_log = logging.getLogger("allhands.security")

LOGIN_AT_KEY = "allhands_login_at"
LAST_SEEN_KEY = "allhands_last_seen"
# The last request is remembered to the minute, so most requests do not write the session.
LAST_SEEN_RESOLUTION_SECONDS = 60


def stamp_login(session, now: float | None = None) -> None:
    """Start both session clocks (called at login)."""
    now = timezone.now().timestamp() if now is None else now
    session[LOGIN_AT_KEY] = now
    session[LAST_SEEN_KEY] = now


def _redirect(request, url: str) -> HttpResponse:
    if request.headers.get("HX-Request"):
        # htmx would swap the target page into a fragment; make it load the whole page.
        return HttpResponse(headers={"HX-Redirect": url})
    return HttpResponseRedirect(url)


class SessionTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = request.session
        if SESSION_KEY in session:
            now = timezone.now().timestamp()
            login_at = session.get(LOGIN_AT_KEY)
            last_seen = session.get(LAST_SEEN_KEY)
            if login_at is None or last_seen is None:
                # A session from before these limits existed: its clocks start now.
                stamp_login(session, now)
            elif (
                now - last_seen > settings.ALLHANDS_SESSION_IDLE_TIMEOUT
                or now - login_at > settings.ALLHANDS_SESSION_ABSOLUTE_TIMEOUT
            ):
                return self._expire(request, idle=now - last_seen)
            elif now - last_seen >= LAST_SEEN_RESOLUTION_SECONDS:
                session[LAST_SEEN_KEY] = now
        return self.get_response(request)

    def _expire(self, request, *, idle: float):
        user_id = request.session.get(SESSION_KEY)
        reason = "idle" if idle > settings.ALLHANDS_SESSION_IDLE_TIMEOUT else "absolute"
        logout(request)
        security_log.info("session of user id %s expired (%s timeout)", user_id, reason)
        messages.warning(request, _("Your session expired; please log in again."))
        if request.headers.get("HX-Request"):
            return _redirect(request, resolve_url(settings.LOGIN_URL))
        # Login-required pages now redirect to the login page, where the message shows.
        return self.get_response(request)


# What a user may still reach before the second step or the required setup is done.
_ALWAYS_ALLOWED = {"logout", "set_language", "javascript-catalog", "healthz"}
_ALLOWED_BEFORE_VERIFY = _ALWAYS_ALLOWED | {"accounts:login_verify"}
_ALLOWED_BEFORE_SETUP = _ALWAYS_ALLOWED | {"accounts:two_factor"}


class TwoFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        from accounts import totp

        user = request.user
        if not user.is_authenticated or user.is_verified():
            return None
        view_name = request.resolver_match.view_name if request.resolver_match else ""
        if totp.session_has_device(request):
            if view_name in _ALLOWED_BEFORE_VERIFY:
                return None
            return self._refuse(
                request,
                reverse("accounts:login_verify"),
                _("Enter the code from your authenticator app to continue."),
            )
        if view_name not in _ALLOWED_BEFORE_SETUP and totp.required_for(user):
            messages.warning(
                request, _("Your role requires two-factor authentication. Set it up to continue.")
            )
            return self._refuse(
                request,
                reverse("accounts:two_factor"),
                _("Set up two-factor authentication to continue."),
            )
        return None

    @staticmethod
    def _refuse(request, url: str, api_message: str) -> HttpResponse:
        if request.path_info.startswith("/api/"):
            return JsonResponse({"detail": api_message}, status=403)
        if request.method == "GET" and not request.headers.get("HX-Request"):
            url = f"{url}?{urlencode({'next': request.get_full_path()})}"
        return _redirect(request, url)
