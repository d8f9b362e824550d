"""Tokens, authentication, the error format, languages and rate limits."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token
from rest_framework.settings import api_settings
from rest_framework.test import APIClient

TOKEN_URL = "/api/v1/auth/token/"

# Every route of the API, with an id where the route needs one (none of them exists:
# an anonymous caller must be refused before anything is looked up).
ENDPOINTS = [
    ("get", "/api/v1/me/"),
    ("delete", TOKEN_URL),
    ("get", "/api/v1/departments/"),
    ("post", "/api/v1/departments/"),
    ("get", "/api/v1/departments/1/"),
    ("patch", "/api/v1/departments/1/"),
    ("get", "/api/v1/staff/"),
    ("get", "/api/v1/staff/1/"),
    ("get", "/api/v1/categories/"),
    ("get", "/api/v1/tasks/"),
    ("post", "/api/v1/tasks/"),
    ("get", "/api/v1/tasks/1/"),
    *[("post", f"/api/v1/tasks/1/{name}/") for name in ("start", "complete", "decline")],
    *[("post", f"/api/v1/tasks/1/{name}/") for name in ("cancel", "close")],
    ("get", "/api/v1/logs/"),
    ("post", "/api/v1/logs/"),
    ("get", "/api/v1/logs/1/"),
    ("put", "/api/v1/logs/1/"),
    ("patch", "/api/v1/logs/1/"),
    ("delete", "/api/v1/logs/1/"),
    ("post", "/api/v1/logs/1/approve/"),
    ("post", "/api/v1/logs/1/reject/"),
    ("post", "/api/v1/logs/1/review-outcome/"),
    ("post", "/api/v1/logs/approve/"),
    ("post", "/api/v1/logs/reject/"),
    ("get", "/api/v1/extensions/"),
    ("post", "/api/v1/extensions/"),
    ("get", "/api/v1/extensions/1/"),
    *[("post", f"/api/v1/extensions/1/{name}/") for name in ("grant", "refuse", "withdraw")],
    ("get", "/api/v1/leads/"),
    ("post", "/api/v1/leads/"),
    ("get", "/api/v1/leads/1/"),
    *[
        ("post", f"/api/v1/leads/1/{name}/")
        for name in ("qualify", "win", "lose", "claim", "key-role", "collections", "split")
    ],
    ("get", "/api/v1/rewards/"),
    ("get", "/api/v1/rewards/1/"),
    ("post", "/api/v1/rewards/recommend/"),
    ("post", "/api/v1/rewards/approve/"),
    ("get", "/api/v1/statements/"),
    ("get", "/api/v1/statements/1/"),
    *[("post", f"/api/v1/statements/1/{name}/") for name in ("recommend", "approve", "return")],
    ("get", "/api/v1/payout-periods/"),
    ("get", "/api/v1/payout-periods/1/"),
    ("get", "/api/v1/payout-periods/1/statements/"),
    ("get", "/api/v1/payout-periods/1/export/"),
    *[
        ("post", f"/api/v1/payout-periods/1/{name}/")
        for name in ("close", "calculate", "mark-paid")
    ],
    ("post", "/api/v1/import/organisation/"),
]


class TestToken:
    def test_good_credentials_give_a_token_that_authenticates(self, org, api):
        response = api().post(TOKEN_URL, {"username": "staff", "password": org.password})

        assert response.status_code == 200
        key = response.json()["token"]
        assert key == Token.objects.get(user=org.staff).key
        client = APIClient(HTTP_AUTHORIZATION=f"Token {key}")
        assert client.get("/api/v1/me/").json()["username"] == "staff"

    def test_asking_twice_gives_the_same_token(self, org, api):
        first = api().post(TOKEN_URL, {"username": "staff", "password": org.password})
        second = api().post(TOKEN_URL, {"username": "staff", "password": org.password})

        assert first.json() == second.json()

    def test_bad_credentials_are_a_non_field_error(self, org, api):
        response = api().post(TOKEN_URL, {"username": "staff", "password": "wrong"})

        assert response.status_code == 400
        assert response.json() == {
            "non_field_errors": ["Unable to log in with provided credentials."]
        }
        assert not Token.objects.filter(user=org.staff).exists()

    def test_an_inactive_account_gets_no_token(self, org, api):
        org.staff.is_active = False
        org.staff.save()

        response = api().post(TOKEN_URL, {"username": "staff", "password": org.password})

        assert response.status_code == 400

    def test_missing_fields_are_field_errors(self, db, api):
        response = api().post(TOKEN_URL, {})

        assert response.status_code == 400
        assert response.json() == {
            "username": ["This field is required."],
            "password": ["This field is required."],
        }

    def test_a_stale_token_header_does_not_stop_signing_in(self, org, api):
        client = APIClient(HTTP_AUTHORIZATION="Token not-a-real-token")

        response = client.post(TOKEN_URL, {"username": "staff", "password": org.password})

        assert response.status_code == 200

    def test_delete_revokes_the_callers_token_only(self, org, api):
        client = api(org.staff)
        other = api(org.supervisor)

        assert client.delete(TOKEN_URL).status_code == 204

        assert not Token.objects.filter(user=org.staff).exists()
        assert client.get("/api/v1/me/").status_code == 401
        assert other.get("/api/v1/me/").status_code == 200

    def test_a_bad_token_is_401(self, db, api):
        client = APIClient(HTTP_AUTHORIZATION="Token 0123456789abcdef")

        response = client.get("/api/v1/me/")

        assert response.status_code == 401
        assert response.json() == {"detail": "Invalid token."}

    def test_admins_revoke_tokens_in_the_django_admin(self, org, api, client):
        token = Token.objects.create(user=org.staff)
        client.force_login(org.admin)

        response = client.post(
            f"/admin/authtoken/tokenproxy/{org.staff.pk}/delete/", {"post": "yes"}
        )

        assert response.status_code in (200, 302)
        assert not Token.objects.filter(pk=token.pk).exists()


@pytest.mark.parametrize(("method", "url"), ENDPOINTS, ids=[f"{m} {u}" for m, u in ENDPOINTS])
def test_anonymous_callers_get_401_json_not_the_login_page(db, api, method, url):
    response = getattr(api(), method)(url)

    assert response.status_code == 401, response.content[:200]
    assert response["Content-Type"].startswith("application/json")
    assert response["WWW-Authenticate"] == "Token"
    assert "detail" in response.json()


class TestSessionAuthentication:
    def test_a_signed_in_browser_reads_with_its_session(self, org, client):
        client.force_login(org.staff)

        response = client.get("/api/v1/me/")

        assert response.status_code == 200
        assert response.json()["username"] == "staff"

    def test_writes_with_a_session_need_the_csrf_token(self, org):
        client = APIClient(enforce_csrf_checks=True)
        client.force_login(org.staff)

        response = client.post("/api/v1/logs/", {}, format="json")

        assert response.status_code == 403
        assert "CSRF" in response.json()["detail"]


class TestErrorFormat:
    def test_field_errors_are_lists_of_messages_by_field(self, org, api, today, category):
        response = api(org.staff).post(
            "/api/v1/logs/",
            {"date": "not-a-date", "minutes": "many", "category": 99999},
            format="json",
        )

        assert response.status_code == 400
        body = response.json()
        assert set(body) == {"date", "minutes", "category", "description"}
        assert all(isinstance(messages, list) and messages for messages in body.values())

    def test_a_service_message_without_a_field_is_a_non_field_error(self, org, api, today):
        response = api(org.supervisor).post("/api/v1/logs/approve/", {"ids": []}, format="json")

        assert response.status_code == 400
        assert response.json() == {"non_field_errors": ["Select at least one entry."]}

    def test_accept_language_chooses_the_language_of_the_messages(self, org, api):
        english = api(org.staff, language="en").post("/api/v1/logs/", {}, format="json")
        chinese = api(org.staff, language="zh-hans").post("/api/v1/logs/", {}, format="json")

        assert english.json()["date"] == ["This field is required."]
        assert chinese.json()["date"] == ["该字段是必填项。"]

    def test_permission_and_type_messages_follow_the_language(self, org, api):
        chinese = api(org.staff, language="zh-hans")

        assert chinese.post("/api/v1/logs/", {"minutes": "many"}, format="json").json()[
            "minutes"
        ] == ["请填写合法的整数值。"]
        assert chinese.get("/api/v1/logs/999999/").json() == {"detail": "未找到。"}

    def test_unknown_objects_are_404_json(self, org, api):
        response = api(org.staff).get("/api/v1/logs/999999/")

        assert response.status_code == 404
        assert set(response.json()) == {"detail"}


def _rates(**rates):
    return override_settings(
        REST_FRAMEWORK={
            **_current_rest_framework(),
            "DEFAULT_THROTTLE_RATES": {**api_settings.DEFAULT_THROTTLE_RATES, **rates},
        }
    )


def _current_rest_framework() -> dict:
    from django.conf import settings

    return dict(settings.REST_FRAMEWORK)


class TestThrottling:
    def test_the_token_endpoint_allows_a_few_attempts_per_client(self, org, api):
        with _rates(token="3/min"):
            answers = [
                api().post(TOKEN_URL, {"username": "staff", "password": "wrong"}).status_code
                for _ in range(4)
            ]
            good = api().post(TOKEN_URL, {"username": "staff", "password": org.password})

        assert answers == [400, 400, 400, 429]
        assert good.status_code == 429
        assert "detail" in good.json()
        assert int(good["Retry-After"]) > 0

    def test_writes_are_limited_per_user_and_reads_are_not(self, org, api, today):
        with _rates(writes="2/min"):
            client = api(org.supervisor)
            writes = [
                client.post("/api/v1/logs/approve/", {"ids": []}, format="json").status_code
                for _ in range(3)
            ]
            reads = [client.get("/api/v1/logs/").status_code for _ in range(3)]
            someone_else = api(org.delegate).post(
                "/api/v1/logs/approve/", {"ids": []}, format="json"
            )

        assert writes == [400, 400, 429]
        assert reads == [200, 200, 200]
        assert someone_else.status_code == 400


class TestTwoFactorAccounts:
    """A password alone gets no token where the login page would ask for a code."""

    @staticmethod
    def device(user) -> TOTPDevice:
        return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)

    @staticmethod
    def code(device) -> str:
        device.refresh_from_db()
        value = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
        return f"{value:0{device.digits}d}"

    def test_an_account_with_an_app_needs_its_code(self, org, api, today):
        device = self.device(org.staff)
        credentials = {"username": "staff", "password": org.password}

        missing = api().post(TOKEN_URL, credentials)
        wrong = api().post(TOKEN_URL, {**credentials, "otp": "000000x"})
        right = api().post(TOKEN_URL, {**credentials, "otp": self.code(device)})

        assert (missing.status_code, list(missing.json())) == (400, ["otp"])
        assert (wrong.status_code, list(wrong.json())) == (400, ["otp"])
        assert right.status_code == 200
        assert right.json()["token"] == Token.objects.get(user=org.staff).key

    def test_a_role_that_requires_two_factor_needs_an_app_first(self, org, api, settings):
        settings.ALLHANDS_REQUIRE_2FA_FOR_ROLES = ["finance"]

        refused = api().post(TOKEN_URL, {"username": "finance", "password": org.password})
        others = api().post(TOKEN_URL, {"username": "staff", "password": org.password})

        assert refused.status_code == 400
        assert list(refused.json()) == ["non_field_errors"]
        assert others.status_code == 200
