"""Production settings: Django's deployment checks pass, and real responses carry the headers.

These run in a subprocess with ``ALLHANDS_ENV=production``, because the production shape is
decided when the settings module loads.
"""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
NOT_INHERITED = {
    "SECRET_KEY",
    "ALLHANDS_ENV",
    "ALLOWED_HOSTS",
    "DEBUG",
    "DATABASE_URL",
    "REDIS_URL",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "SECURE_SSL_REDIRECT",
}

# Logs in through the real middleware stack, behind a proxy that says HTTPS, and reports what
# the browser would get.  Static files are served unhashed so that no collectstatic is needed.
PROBE = r"""
import json

import django

django.setup()

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.test.utils import override_settings

call_command("migrate", verbosity=0)
get_user_model().objects.create_user("probe", password="a-long-probe-password-42")
plain_storage = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
with override_settings(STORAGES=plain_storage):
    client = Client(HTTP_HOST="allhands.example.com")
    https = {"HTTP_X_FORWARDED_PROTO": "https"}
    page = client.get("/accounts/login/", **https)
    plain = client.get("/accounts/login/")
    login = client.post(
        "/accounts/login/",
        {"username": "probe", "password": "a-long-probe-password-42"},
        **https,
    )
    language = client.post("/i18n/setlang/", {"language": "en", "next": "/"}, **https)
    health = client.get("/healthz")


def cookie(response, name):
    morsel = response.cookies.get(name)
    if morsel is None:
        return None
    return {"secure": bool(morsel["secure"]), "httponly": bool(morsel["httponly"])}


print(json.dumps({
    "page_status": page.status_code,
    "headers": dict(page.headers),
    "plain_status": plain.status_code,
    "plain_location": plain.headers.get("Location", ""),
    "login_status": login.status_code,
    "csrf_cookie": cookie(page, "csrftoken"),
    "session_cookie": cookie(login, "sessionid"),
    "language_cookie": cookie(language, "django_language"),
    "health_status": health.status_code,
}))
"""


def run(args, **env_changes):
    env = {key: value for key, value in os.environ.items() if key not in NOT_INHERITED}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", PYTHONPATH=str(BASE_DIR))
    env.update(env_changes)
    return subprocess.run(  # noqa: S603 - a fixed command line with our own interpreter
        [sys.executable, *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def production(**changes):
    return {
        "ALLHANDS_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "allhands.example.com",
        **changes,
    }


def test_the_deployment_checks_report_no_warnings():
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **production())

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues (0 silenced)" in result.stdout


@pytest.fixture(scope="module")
def production_responses(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("production-data")
    result = run(["-c", PROBE], **production(ALLHANDS_DATA_DIR=str(data_dir), DATABASE_URL=""))
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_pages_send_the_security_headers(production_responses):
    headers = production_responses["headers"]

    assert production_responses["page_status"] == 200
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"


def test_production_pages_send_a_strict_content_security_policy(production_responses):
    policy = {
        directive.split()[0]: directive.split()[1:]
        for directive in production_responses["headers"]["Content-Security-Policy"].split(";")
        if directive.strip()
    }

    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]


def test_production_redirects_plain_http_to_https(production_responses):
    assert production_responses["plain_status"] == 301
    assert production_responses["plain_location"].startswith("https://allhands.example.com/")


def test_the_health_probe_may_use_plain_http(production_responses):
    assert production_responses["health_status"] != 301


def test_production_cookies_are_secure(production_responses):
    assert production_responses["login_status"] == 302
    assert production_responses["session_cookie"] == {"secure": True, "httponly": True}
    assert production_responses["csrf_cookie"]["secure"] is True
    assert production_responses["language_cookie"] == {"secure": True, "httponly": True}
