"""Production settings: secrets have no default, and Django's deployment checks pass."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
SETUP = "import django; django.setup(); print('configured')"
# What the test run itself sets (conftest allows async-unsafe ORM calls for browser tests)
# is no part of a deployment.
NOT_INHERITED = {
    "SECRET_KEY",
    "ALLHANDS_ENV",
    "ALLOWED_HOSTS",
    "DEBUG",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
}


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
        timeout=120,
        check=False,
    )


def production(**changes):
    return {"ALLHANDS_ENV": "production", "ALLOWED_HOSTS": "allhands.example.com", **changes}


def test_production_without_secret_key_fails_loudly():
    result = run(["-c", SETUP], **production())

    assert result.returncode != 0
    assert "configured" not in result.stdout
    assert "SECRET_KEY" in result.stderr


def test_production_with_an_empty_secret_key_fails_loudly():
    result = run(["-c", SETUP], **production(SECRET_KEY=""))

    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_without_allowed_hosts_fails_loudly():
    env = production(SECRET_KEY=secrets.token_urlsafe(50))
    del env["ALLOWED_HOSTS"]

    result = run(["-c", SETUP], **env)

    assert result.returncode != 0
    assert "ALLOWED_HOSTS" in result.stderr


def test_development_needs_no_secret_key():
    result = run(["-c", SETUP], ALLHANDS_ENV="development")

    assert result.returncode == 0, result.stderr
    assert "configured" in result.stdout


@pytest.mark.parametrize("database", ["sqlite", "configured"])
def test_the_deployment_checks_pass_in_production(database):
    env = production(SECRET_KEY=secrets.token_urlsafe(50))
    if database == "sqlite":
        env["DATABASE_URL"] = ""

    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **env)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
