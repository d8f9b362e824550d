"""Login with an optional second step, the two-factor setup page and the locked-out page."""

from __future__ import annotations

import logging
import math

import django_otp
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import load_backend
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods
from django_otp import DEVICE_ID_SESSION_KEY

from accounts import services, totp
from accounts.forms import TokenForm

security_log = logging.getLogger("allhands.security")


class LoginView(auth_views.LoginView):
    """Django's login page; a user with two-factor authentication goes on to the code page.

    Until the code is right the session holds only a pending login, not the user, so no
    page, API call or admin view can be reached with the password alone.
    """

    def form_valid(self, form):
        user = form.get_user()
        if totp.confirmed_device(user) is None:
            return super().form_valid(form)
        if self.request.user.is_authenticated:
            auth_logout(self.request)  # somebody else's session must not carry over
        self.request.session.cycle_key()
        self.request.session[totp.PENDING_KEY] = {
            "user": user.pk,
            "backend": user.backend,
            "next": self.get_success_url(),
            "at": timezone.now().timestamp(),
        }
        self.request.session[totp.FAILURES_KEY] = 0
        return redirect("accounts:login_verify")


def _pending_login(request: HttpRequest):
    """The user and destination of a pending login, or None when there is none or it is stale."""
    pending = request.session.get(totp.PENDING_KEY)
    if not isinstance(pending, dict):
        return None
    age = timezone.now().timestamp() - pending.get("at", 0)
    backend_path = pending.get("backend")
    if not 0 <= age <= totp.PENDING_MAX_AGE_SECONDS:
        return None
    if backend_path not in settings.AUTHENTICATION_BACKENDS:
        return None
    user = load_backend(backend_path).get_user(pending.get("user"))
    if user is None:
        return None
    return user, backend_path, pending.get("next") or resolve_url(settings.LOGIN_REDIRECT_URL)


def _forget_pending(request: HttpRequest) -> None:
    request.session.pop(totp.PENDING_KEY, None)
    request.session.pop(totp.FAILURES_KEY, None)


def _safe_next(request: HttpRequest) -> str:
    url = request.POST.get("next") or request.GET.get("next")
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _code_error(device) -> str:
    device.refresh_from_db()
    allowed, _details = device.verify_is_allowed()
    # django-otp waits 1, 2, 4… seconds after each failure; only a run of them is worth saying.
    if not allowed and device.throttling_failure_count >= 3:
        return _("Too many wrong codes in a row. Wait a minute, then try again.")
    return _("That code is not right. Check that your phone's clock is correct and try again.")


@login_not_required
@sensitive_post_parameters("token")
@never_cache
@require_http_methods(["GET", "POST"])
def login_verify(request: HttpRequest) -> HttpResponse:
    """The second step: the code from the authenticator app.

    Serves both a pending login (password right, code to come) and a logged-in session of a
    user with a device that is not verified yet (e.g. after a login through the admin).
    """
    logged_in = request.user.is_authenticated
    if logged_in:
        user = request.user
        next_url = _safe_next(request)
        if user.is_verified():
            return redirect(next_url)
        backend_path = None
    else:
        pending = _pending_login(request)
        if pending is None:
            _forget_pending(request)
            messages.info(request, _("Please log in again."))
            return redirect("login")
        user, backend_path, next_url = pending

    device = totp.confirmed_device(user)
    if device is None:
        # Two-factor authentication was turned off meanwhile (e.g. in the admin).
        if logged_in:
            totp.remember_device(request, present=False)
            return redirect(next_url)
        _forget_pending(request)
        messages.info(request, _("Please log in again."))
        return redirect("login")

    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if services.totp_token_verify(user=user, device=device, token=form.cleaned_data["token"]):
            if logged_in:
                request.session.cycle_key()
            else:
                _forget_pending(request)
                auth_login(request, user, backend=backend_path)
            django_otp.login(request, device)
            totp.remember_device(request, present=True)
            request.session.pop(totp.FAILURES_KEY, None)
            security_log.info("login code accepted for user %r", user.get_username())
            return redirect(next_url)
        failures = request.session.get(totp.FAILURES_KEY, 0) + 1
        request.session[totp.FAILURES_KEY] = failures
        security_log.warning(
            "wrong login code for user %r (%d in a row)", user.get_username(), failures
        )
        if failures >= totp.MAX_CODE_FAILURES:
            if logged_in:
                auth_logout(request)
            else:
                _forget_pending(request)
            messages.error(request, _("Too many wrong codes. Please log in again."))
            return redirect("login")
        form.add_error("token", _code_error(device))
    return render(
        request,
        "registration/login_verify.html",
        {"form": form, "logged_in": logged_in, "next": next_url},
    )


@sensitive_post_parameters("token")
@never_cache
@require_http_methods(["GET", "POST"])
def two_factor(request: HttpRequest) -> HttpResponse:
    """Turn two-factor authentication on (scan, then confirm a code) or off (with a code)."""
    user = request.user
    required = totp.required_for(user)
    action = request.POST.get("action") if request.method == "POST" else None
    device = totp.confirmed_device(user)

    if device is not None:
        form = TokenForm(request.POST if action == "remove" else None)
        if action == "remove" and required:
            messages.error(
                request,
                _("Your role requires two-factor authentication, so it cannot be turned off."),
            )
            return redirect("accounts:two_factor")
        if action == "remove" and form.is_valid():
            if services.totp_device_remove(user=user, token=form.cleaned_data["token"]):
                request.session.pop(DEVICE_ID_SESSION_KEY, None)
                totp.remember_device(request, present=False)
                messages.success(request, _("Two-factor authentication is off."))
                return redirect("accounts:two_factor")
            form.add_error("token", _code_error(device))
        return render(
            request,
            "registration/two_factor.html",
            {"enabled": True, "required": required, "form": form, "device": device},
        )

    if action == "restart":
        services.totp_device_restart(user=user)
        return redirect("accounts:two_factor")
    new_device = services.totp_device_start(user=user)
    form = TokenForm(request.POST if action == "confirm" else None)
    if action == "confirm" and form.is_valid():
        if services.totp_device_confirm(
            user=user, device=new_device, token=form.cleaned_data["token"]
        ):
            request.session.cycle_key()
            django_otp.login(request, new_device)
            totp.remember_device(request, present=True)
            messages.success(
                request,
                _(
                    "Two-factor authentication is on. From now on you enter a code from your "
                    "app after your password."
                ),
            )
            return redirect("accounts:two_factor")
        form.add_error("token", _code_error(new_device))
    return render(
        request,
        "registration/two_factor.html",
        {
            "enabled": False,
            "required": required,
            "form": form,
            "secret": totp.secret_base32(new_device),
            "otpauth_uri": new_device.config_url,
            "qr_code": totp.qr_code_svg(new_device.config_url),
        },
    )


def locked_out(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """django-axes' response to a login attempt while that username and address are locked."""
    minutes = math.ceil(settings.AXES_COOLOFF_TIME.total_seconds() / 60)
    return render(
        request,
        "registration/locked_out.html",
        {"cooloff_minutes": minutes, "failure_limit": settings.AXES_FAILURE_LIMIT},
        status=429,
    )
