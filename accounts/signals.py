"""Receivers that stamp the session at login and write the security log.

Failed logins and lockouts go to the "allhands.security" logger (django-axes counts them;
this says so in the application's log). Usernames are logged with %r so that a crafted
one cannot forge log lines.
"""

import logging

from axes.helpers import get_client_ip_address
from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from accounts import totp
from config.middleware import stamp_login

security_log = logging.getLogger("allhands.security")


def _address(request) -> str:
    if request is None:
        return "-"
    return getattr(request, "axes_ip_address", None) or get_client_ip_address(request) or "-"


@receiver(user_logged_in, dispatch_uid="allhands_login_stamp")
def stamp_session_at_login(sender, request, user, **kwargs):
    if request is None or not hasattr(request, "session"):
        return
    stamp_login(request.session)
    for key in (totp.PENDING_KEY, totp.FAILURES_KEY):
        request.session.pop(key, None)
    # Asked here once, so that the pages of this session need no query to enforce it.
    totp.remember_device(request, present=totp.confirmed_device(user) is not None)
    security_log.info("login of user %r from %s", user.get_username(), _address(request))


@receiver(user_logged_out, dispatch_uid="allhands_logout_log")
def log_logout(sender, request, user, **kwargs):
    if user is not None:
        security_log.info("logout of user %r from %s", user.get_username(), _address(request))


@receiver(user_login_failed, dispatch_uid="allhands_login_failed_log")
def log_login_failure(sender, credentials, request=None, **kwargs):
    security_log.warning(
        "failed login for username %r from %s", credentials.get("username"), _address(request)
    )


@receiver(user_locked_out, dispatch_uid="allhands_locked_out_log")
def log_lockout(sender, request, username, ip_address, **kwargs):
    security_log.warning(
        "login locked out for username %r from %s after too many failures", username, ip_address
    )
