"""django-axes: five failures for one username from one address lock that pair out for 15 min."""

import datetime
import logging

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.urls import reverse
from django.utils import timezone

WRONG = "not-the-password"


def attempt(client, password, username="staff", address="10.0.0.1"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def fail(client, times, **kwargs):
    for _ in range(times):
        response = attempt(client, WRONG, **kwargs)
        assert response.status_code == 200  # the login form with its error
        assert SESSION_KEY not in client.session


def lock_out(client, **kwargs):
    fail(client, settings.AXES_FAILURE_LIMIT - 1, **kwargs)
    assert attempt(client, WRONG, **kwargs).status_code == 429


def test_the_backends_put_axes_first():
    assert settings.AUTHENTICATION_BACKENDS == [
        "axes.backends.AxesStandaloneBackend",
        "departments.backends.ProfileModelBackend",
    ]


def test_four_failures_still_let_the_right_password_in(org, client, today):
    fail(client, 4)

    response = attempt(client, org.password)

    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(org.staff.pk)


def test_the_fifth_failure_locks_the_username_from_that_address(org, client, today):
    fail(client, 4)

    response = attempt(client, WRONG)

    assert response.status_code == 429
    assert "Login blocked for now" in response.content.decode()
    assert "15 minutes" in response.content.decode()


def test_the_right_password_is_refused_until_the_cool_off_is_over(org, client, today):
    lock_out(client)

    locked = attempt(client, org.password)
    assert locked.status_code == 429
    assert SESSION_KEY not in client.session

    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=16), tick=False):
        response = attempt(client, org.password)

    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(org.staff.pk)


def test_the_lockout_is_for_the_username_and_address_together(org, client, today):
    lock_out(client)

    other_address = attempt(client, org.password, address="10.0.0.2")
    assert other_address.status_code == 302
    client.logout()
    other_user = attempt(client, org.password, username="outsider")
    assert other_user.status_code == 302


def test_a_successful_login_clears_the_failures(org, client, today):
    fail(client, 4)
    assert attempt(client, org.password).status_code == 302
    client.logout()

    fail(client, 4)

    assert attempt(client, org.password).status_code == 302


def test_failures_and_the_lockout_are_logged_to_the_security_log(org, client, today, caplog):
    with caplog.at_level(logging.INFO, logger="allhands.security"):
        fail(client, 4)
        attempt(client, WRONG)

    records = [record for record in caplog.records if record.name == "allhands.security"]
    failures = [record for record in records if "failed login" in record.getMessage()]
    lockouts = [record for record in records if "locked out" in record.getMessage()]
    assert len(failures) == 5
    assert "'staff'" in failures[0].getMessage()
    assert "10.0.0.1" in failures[0].getMessage()
    assert len(lockouts) == 1
    assert all(record.levelno == logging.WARNING for record in failures + lockouts)
    assert all(org.password not in record.getMessage() for record in records)


def test_force_login_is_not_counted(org, login):
    client = login(org.staff)

    assert client.get(reverse("departments:my_profile")).status_code == 200


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_locked_out_page_is_translatable(org, client, today, language):
    lock_out(client)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language

    response = attempt(client, WRONG)

    assert response.status_code == 429
    assert response.headers["Content-Language"] == language
