"""Writes for two-factor authentication: starting, confirming and removing a TOTP device."""

from __future__ import annotations

import logging

import django_otp
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

security_log = logging.getLogger("allhands.security")

DEVICE_NAME = "Authenticator app"


def totp_token_verify(*, user, device: TOTPDevice, token: str) -> bool:
    """Check a code against the device, with django-otp's throttling and no reuse of a code."""
    token = "".join(token.split())
    if not token.isdigit():
        return False
    return django_otp.verify_token(user, device.persistent_id, token) is not None


@transaction.atomic
def totp_device_start(*, user) -> TOTPDevice:
    """The user's device being set up, created when missing; reloading keeps the same key."""
    device = (
        TOTPDevice.objects.select_for_update()
        .filter(user=user, confirmed=False)
        .order_by("pk")
        .first()
    )
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def totp_device_restart(*, user) -> None:
    """Forget a key that was shown but never confirmed, so that the next one is new."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()


def totp_device_confirm(*, user, device: TOTPDevice, token: str) -> bool:
    """Turn two-factor authentication on when ``token`` matches the device being set up."""
    if device.confirmed or device.user_id != user.pk:
        return False
    if not totp_token_verify(user=user, device=device, token=token):
        security_log.warning("two-factor setup: wrong code for user %r", user.get_username())
        return False
    with transaction.atomic():
        TOTPDevice.objects.filter(pk=device.pk).update(confirmed=True)
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.refresh_from_db()
    security_log.info("two-factor authentication turned on for user %r", user.get_username())
    return True


def totp_device_remove(*, user, token: str) -> bool:
    """Turn two-factor authentication off; it takes a valid code from the confirmed device."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
    if device is None:
        return False
    if not totp_token_verify(user=user, device=device, token=token):
        security_log.warning("two-factor removal: wrong code for user %r", user.get_username())
        return False
    TOTPDevice.objects.filter(user=user).delete()
    security_log.info("two-factor authentication turned off for user %r", user.get_username())
    return True
