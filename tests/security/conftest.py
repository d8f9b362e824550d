import datetime

import pytest
import time_machine
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

# The browser harness's fixtures, for the CSP check in a real browser.
from tests.browser.conftest import browser, demo_company, open_page, shoot  # noqa: F401


def code_for(device: TOTPDevice) -> str:
    """The code the user's authenticator app shows now."""
    device.refresh_from_db()
    value = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{value:0{device.digits}d}"


def wrong_code_for(device: TOTPDevice) -> str:
    right = int(code_for(device))
    return f"{(right + 500_000) % 1_000_000:06d}"


@pytest.fixture
def totp_device():
    """``totp_device(user)`` gives the user a confirmed TOTP device."""

    def _make(user) -> TOTPDevice:
        return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)

    return _make


@pytest.fixture
def advance():
    """``advance(seconds=31)`` moves the clock forward for the rest of the test."""
    travels = []

    def _advance(**delta):
        travel = time_machine.travel(timezone.now() + datetime.timedelta(**delta), tick=False)
        travel.start()
        travels.append(travel)

    yield _advance
    for travel in reversed(travels):
        travel.stop()
