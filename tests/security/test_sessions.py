"""Sessions end after idle time, at a fixed time after login, and when a user is deactivated."""

import datetime

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.urls import reverse
from django.utils import timezone

from config.middleware import LAST_SEEN_KEY, LOGIN_AT_KEY

EXPIRED = "Your session expired; please log in again."


@pytest.fixture
def timeouts(settings):
    settings.ALLHANDS_SESSION_IDLE_TIMEOUT = 8 * 60 * 60
    settings.ALLHANDS_SESSION_ABSOLUTE_TIMEOUT = 24 * 60 * 60
    return settings


def _profile_page(client):
    return client.get(reverse("departments:my_profile"))


def _is_login_redirect(response) -> bool:
    return response.status_code == 302 and response.url.startswith(reverse("login"))


class TestIdleTimeout:
    def test_it_keeps_a_session_used_within_the_idle_limit(self, org, login, timeouts, today):
        client = login(org.staff)
        with time_travel(hours=7, minutes=59):
            assert _profile_page(client).status_code == 200

    def test_it_ends_a_session_left_idle_too_long(self, org, login, timeouts, today):
        client = login(org.staff)
        with time_travel(hours=8, minutes=1):
            response = _profile_page(client)

            assert _is_login_redirect(response)
            assert SESSION_KEY not in client.session
            login_page = client.get(response.url)
            assert EXPIRED in login_page.content.decode()

    def test_activity_moves_the_idle_limit(self, org, login, timeouts, today):
        client = login(org.staff)
        with time_travel(hours=6):
            assert _profile_page(client).status_code == 200
        with time_travel(hours=13):
            assert _profile_page(client).status_code == 200

    def test_an_expired_htmx_request_reloads_the_whole_login_page(
        self, org, login, timeouts, today
    ):
        client = login(org.staff)
        with time_travel(hours=9):
            response = client.get(reverse("departments:my_profile"), HTTP_HX_REQUEST="true")

        assert response.headers["HX-Redirect"] == reverse("login")


class TestAbsoluteTimeout:
    def test_it_ends_a_busy_session_a_day_after_login(self, org, login, timeouts, today):
        client = login(org.staff)
        for hours in (6, 12, 18, 23):
            with time_travel(hours=hours):
                assert _profile_page(client).status_code == 200
        with time_travel(hours=24, minutes=1):
            response = _profile_page(client)

            assert _is_login_redirect(response)
            assert EXPIRED in client.get(response.url).content.decode()

    def test_the_limits_come_from_the_settings(self, org, login, timeouts, today):
        timeouts.ALLHANDS_SESSION_ABSOLUTE_TIMEOUT = 60 * 60
        client = login(org.staff)
        with time_travel(minutes=59):
            assert _profile_page(client).status_code == 200
        with time_travel(minutes=61):
            assert _is_login_redirect(_profile_page(client))

    def test_login_stamps_the_session(self, org, login, today):
        session = login(org.staff).session

        assert (
            session[LOGIN_AT_KEY]
            == session[LAST_SEEN_KEY]
            == pytest.approx(datetime.datetime.now(tz=datetime.timezone.utc).timestamp())
        )

    def test_a_session_from_before_the_limits_gets_its_clocks_on_its_next_request(
        self, org, login, timeouts, today
    ):
        client = login(org.staff)
        session = client.session
        del session[LOGIN_AT_KEY]
        del session[LAST_SEEN_KEY]
        session.save()
        with time_travel(hours=2):
            assert _profile_page(client).status_code == 200
            now = timezone.now().timestamp()
            assert client.session[LOGIN_AT_KEY] == client.session[LAST_SEEN_KEY] == now


class TestDeactivation:
    def test_a_deactivated_user_is_anonymous_on_the_next_request(self, org, login):
        client = login(org.staff)
        assert _profile_page(client).status_code == 200

        org.staff.is_active = False
        org.staff.save(update_fields=["is_active"])

        assert _is_login_redirect(_profile_page(client))

    def test_a_deactivated_user_cannot_log_in_again(self, org, client):
        org.staff.is_active = False
        org.staff.save(update_fields=["is_active"])

        response = client.post(reverse("login"), {"username": "staff", "password": org.password})

        assert response.status_code == 200
        assert SESSION_KEY not in client.session

    def test_a_deactivated_staff_profile_loses_the_staff_pages(self, org, login, today):
        client = login(org.staff)
        assert client.get(reverse("tasks:today")).status_code == 200

        org.staff_profile.is_active = False
        org.staff_profile.save(update_fields=["is_active"])

        assert client.get(reverse("tasks:today")).status_code == 403


def time_travel(**delta):
    """Move the (frozen) clock forward by ``delta`` from now, for the ``with`` block."""
    return time_machine.travel(timezone.now() + datetime.timedelta(**delta), tick=False)
