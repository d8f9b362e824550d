"""Optional TOTP two-factor authentication, required for some roles, checked at login."""

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import TwoFactorRequirement
from audit.models import AuditEntry
from tests.security.conftest import code_for, wrong_code_for

SETUP = reverse("accounts:two_factor")
VERIFY = reverse("accounts:login_verify")


def log_in_with_password(client, user, password, next_url=""):
    url = reverse("login") + (f"?next={next_url}" if next_url else "")
    return client.post(url, {"username": user.username, "password": password, "next": next_url})


class TestSetup:
    def test_it_shows_the_key_the_link_and_a_qr_code_drawn_by_the_app(self, org, login, today):
        response = login(org.staff).get(SETUP)

        device = TOTPDevice.objects.get(user=org.staff)
        page = response.content.decode()
        assert response.status_code == 200
        assert not device.confirmed
        assert "otpauth://totp/Allhands%3Astaff?secret=" in page.replace("&amp;", "&")
        assert "issuer=Allhands" in page
        secret = response.context["secret"]
        assert secret in page
        assert len(secret.replace(" ", "")) == 32
        assert '<svg width="' in page
        assert "<path d=" in page
        assert "https://" not in page.split("<svg", 1)[1].split("</svg>", 1)[0]

    def test_reloading_keeps_the_same_key_until_asked_for_a_new_one(self, org, login, today):
        client = login(org.staff)
        first = client.get(SETUP).context["secret"]

        assert client.get(SETUP).context["secret"] == first
        client.post(SETUP, {"action": "restart"})
        assert client.get(SETUP).context["secret"] != first
        assert TOTPDevice.objects.filter(user=org.staff).count() == 1

    def test_a_wrong_code_does_not_turn_it_on(self, org, login, today):
        client = login(org.staff)
        client.get(SETUP)
        device = TOTPDevice.objects.get(user=org.staff)

        response = client.post(SETUP, {"action": "confirm", "token": wrong_code_for(device)})

        assert response.status_code == 200
        assert "That code is not right" in response.content.decode()
        device.refresh_from_db()
        assert not device.confirmed

    def test_the_right_code_turns_it_on_and_verifies_this_session(self, org, login, today):
        client = login(org.staff)
        client.get(SETUP)
        device = TOTPDevice.objects.get(user=org.staff)

        response = client.post(SETUP, {"action": "confirm", "token": code_for(device)})

        assert response.status_code == 302
        device.refresh_from_db()
        assert device.confirmed
        assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
        page = client.get(SETUP).content.decode()
        assert "Two-factor authentication is on" in page
        assert "Turn off two-factor authentication" in page
        assert client.get(reverse("departments:my_profile")).status_code == 200

    def test_turning_it_off_takes_a_valid_code(self, org, login, totp_device, advance, today):
        device = totp_device(org.staff)
        client = login(org.staff)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()

        refused = client.post(SETUP, {"action": "remove", "token": wrong_code_for(device)})
        assert refused.status_code == 200
        assert TOTPDevice.objects.filter(user=org.staff).exists()

        advance(seconds=31)  # past django-otp's throttle and into the next time step
        response = client.post(SETUP, {"action": "remove", "token": code_for(device)})

        assert response.status_code == 302
        assert not TOTPDevice.objects.filter(user=org.staff).exists()
        assert client.get(reverse("departments:my_profile")).status_code == 200


class TestLoginSecondStep:
    def test_a_user_without_a_device_logs_in_with_the_password(self, org, client, today):
        response = log_in_with_password(client, org.staff, org.password)

        assert response.status_code == 302
        assert response.url != VERIFY

    def test_the_password_alone_does_not_log_a_user_with_a_device_in(
        self, org, client, totp_device, today
    ):
        totp_device(org.staff)

        response = log_in_with_password(client, org.staff, org.password)

        assert response.url == VERIFY
        assert "_auth_user_id" not in client.session
        profile = client.get(reverse("departments:my_profile"))
        assert profile.status_code == 302
        assert profile.url.startswith(reverse("login"))

    def test_the_right_code_logs_in_and_goes_where_the_user_was_going(
        self, org, client, totp_device, today
    ):
        device = totp_device(org.staff)
        log_in_with_password(client, org.staff, org.password, next_url="/org/")

        response = client.post(VERIFY, {"token": code_for(device)})

        assert response.status_code == 302
        assert response.url == "/org/"
        assert client.session["_auth_user_id"] == str(org.staff.pk)
        assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
        assert client.get(reverse("departments:my_profile")).status_code == 200

    def test_a_code_is_not_accepted_twice(self, org, client, totp_device, today):
        device = totp_device(org.staff)
        log_in_with_password(client, org.staff, org.password)
        code = code_for(device)
        client.post(VERIFY, {"token": code})
        client.logout()

        log_in_with_password(client, org.staff, org.password)
        response = client.post(VERIFY, {"token": code})

        assert response.status_code == 200
        assert "_auth_user_id" not in client.session

    def test_five_wrong_codes_send_the_user_back_to_the_password(
        self, org, client, totp_device, advance, today
    ):
        device = totp_device(org.staff)
        log_in_with_password(client, org.staff, org.password)

        for _ in range(4):
            advance(seconds=20)
            assert client.post(VERIFY, {"token": wrong_code_for(device)}).status_code == 200
        advance(seconds=20)
        response = client.post(VERIFY, {"token": wrong_code_for(device)})

        assert response.url == reverse("login")
        assert client.get(VERIFY).url == reverse("login")

    def test_a_pending_login_expires_after_five_minutes(
        self, org, client, totp_device, advance, today
    ):
        device = totp_device(org.staff)
        log_in_with_password(client, org.staff, org.password)

        advance(minutes=6)
        response = client.post(VERIFY, {"token": code_for(device)})

        assert response.url == reverse("login")
        assert "_auth_user_id" not in client.session

    def test_the_verify_page_without_a_pending_login_goes_to_the_login_page(self, client, db):
        assert client.get(VERIFY).url == reverse("login")


class TestUnverifiedSessions:
    """A session logged in some other way (e.g. the admin's login) must still give a code."""

    def test_every_page_asks_for_the_code_first(self, org, login, totp_device, today):
        device = totp_device(org.staff)
        client = login(org.staff)

        response = client.get(reverse("departments:my_profile"))

        assert response.status_code == 302
        assert response.url == f"{VERIFY}?next=%2Fme%2F"
        verified = client.post(response.url, {"token": code_for(device)})
        assert verified.url == "/me/"
        assert client.get("/me/").status_code == 200

    def test_htmx_requests_reload_the_whole_code_page(self, org, login, totp_device, today):
        totp_device(org.staff)
        client = login(org.staff)

        response = client.get(reverse("departments:my_profile"), HTTP_HX_REQUEST="true")

        assert response.headers["HX-Redirect"] == VERIFY

    def test_logging_out_is_still_possible(self, org, login, totp_device, today):
        totp_device(org.staff)
        client = login(org.staff)

        response = client.post(reverse("logout"))

        assert response.status_code == 302
        assert "_auth_user_id" not in client.session

    def test_the_admin_requires_a_verified_session(self, org, login, totp_device, today):
        device = totp_device(org.admin)
        client = login(org.admin)

        response = client.get(reverse("admin:index"))

        assert response.status_code == 302
        assert response.url.startswith(VERIFY)
        client.post(VERIFY, {"token": code_for(device)})
        assert client.get(reverse("admin:index")).status_code == 200

    def test_the_admin_without_a_device_is_unchanged(self, org, login, today):
        assert login(org.admin).get(reverse("admin:index")).status_code == 200


class TestRequiredForRoles:
    @pytest.fixture(autouse=True)
    def _require_for_supervisors(self, settings):
        settings.ALLHANDS_REQUIRE_2FA_FOR_ROLES = ["line_supervisor", "finance"]

    def test_a_supervisor_without_a_device_is_sent_to_the_setup_page(self, org, login, today):
        client = login(org.supervisor)

        response = client.get(reverse("departments:org_chart"))

        assert response.status_code == 302
        assert response.url.startswith(SETUP)
        page = client.get(SETUP)
        assert page.status_code == 200
        assert "Your role requires two-factor authentication" in page.content.decode()

    def test_logging_out_is_still_possible(self, org, login, today):
        client = login(org.finance)

        assert client.post(reverse("logout")).url == reverse("login")

    def test_staff_without_the_role_are_not_asked(self, org, login, today):
        assert login(org.staff).get(reverse("departments:org_chart")).status_code == 200

    def test_after_setup_the_supervisor_gets_in(self, org, login, today):
        client = login(org.supervisor)
        client.get(SETUP)
        device = TOTPDevice.objects.get(user=org.supervisor)
        client.post(SETUP, {"action": "confirm", "token": code_for(device)})

        assert client.get(reverse("departments:org_chart")).status_code == 200

    def test_it_cannot_be_turned_off(self, org, login, totp_device, advance, today):
        device = totp_device(org.supervisor)
        client = login(org.supervisor)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()

        response = client.post(SETUP, {"action": "remove", "token": code_for(device)})

        assert response.status_code == 302
        assert TOTPDevice.objects.filter(user=org.supervisor, confirmed=True).exists()

    def test_an_unknown_role_fails_the_system_checks(self, settings):
        settings.ALLHANDS_REQUIRE_2FA_FOR_ROLES = ["supervisor"]

        with pytest.raises(SystemCheckError, match=r"accounts\.E001"):
            call_command("check")


class TestRequiredByAnAdmin:
    """Admins require two-factor for a role in the admin; no deployment change needed."""

    ADD = reverse("admin:accounts_twofactorrequirement_add")

    def test_an_admin_requires_it_for_finance_and_can_lift_it(self, org, login, today):
        admin = login(org.admin)
        assert admin.post(self.ADD, {"role": "finance"}).status_code == 302
        requirement = TwoFactorRequirement.objects.get()
        assert (requirement.role, requirement.created_by) == ("finance", org.admin)
        assert AuditEntry.objects.filter(
            action=AuditEntry.Action.ADMIN_ADDED, actor=org.admin
        ).exists()

        finance = login(org.finance)
        response = finance.get(reverse("departments:org_chart"))
        assert response.status_code == 302
        assert response.url.startswith(SETUP)
        assert login(org.staff).get(reverse("departments:org_chart")).status_code == 200

        delete = reverse("admin:accounts_twofactorrequirement_delete", args=[requirement.pk])
        assert admin.post(delete, {"post": "yes"}).status_code == 302
        assert finance.get(reverse("departments:org_chart")).status_code == 200

    def test_others_cannot_require_it(self, org, login, today):
        for user in (org.finance, org.supervisor, org.staff):
            response = login(user).post(self.ADD, {"role": "staff"})
            assert response.status_code == 302
            assert response.url.startswith(reverse("admin:login"))
        assert not TwoFactorRequirement.objects.exists()

    def test_the_requirement_is_read_with_the_roles(
        self, org, login, today, django_assert_num_queries
    ):
        client = login(org.staff)
        with CaptureQueriesContext(connection) as without:
            assert client.get(reverse("departments:org_chart")).status_code == 200
        TwoFactorRequirement.objects.create(role="line_supervisor")
        with django_assert_num_queries(len(without)):
            assert client.get(reverse("departments:org_chart")).status_code == 200


@pytest.mark.urls("tests.security.api_urls")
class TestApiWithASession:
    """An API call with a session gets a 403 it can read, not a redirect to an HTML page."""

    def test_an_unverified_session_is_refused(self, org, login, totp_device, today):
        totp_device(org.staff)

        response = login(org.staff).get("/api/ping/")

        assert response.status_code == 403
        assert response.json() == {
            "detail": "Enter the code from your authenticator app to continue."
        }

    def test_a_required_role_without_a_device_is_refused(self, org, login, settings, today):
        settings.ALLHANDS_REQUIRE_2FA_FOR_ROLES = ["finance"]

        response = login(org.finance).get("/api/ping/")

        assert response.status_code == 403

    def test_a_user_without_two_factor_gets_through(self, org, login, today):
        assert login(org.staff).get("/api/ping/").json() == {"user": "staff"}
