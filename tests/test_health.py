"""/healthz tells a load balancer whether the app can reach its database and its broker."""

import pytest
from django.db import OperationalError
from django.urls import reverse

from config.celery import app
from departments import views

URL = reverse("healthz")


def test_it_answers_anonymous_visitors_when_everything_is_up(client, db):
    response = client.get(URL)

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_it_reports_503_when_the_broker_is_down(client, db, monkeypatch):
    # Port 1 on the loopback refuses connections at once; an environment variable
    # would take precedence over the app's configuration, so drop it for this test.
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    monkeypatch.delenv("CELERY_BROKER_WRITE_URL", raising=False)
    monkeypatch.setattr(app.conf, "broker_url", "redis://127.0.0.1:1/0")

    response = client.get(URL)

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["database"] == "ok"
    assert body["broker"].startswith("error")


class _BrokenConnection:
    def cursor(self):
        raise OperationalError("connection refused")


def test_it_reports_503_when_the_database_check_fails(client, db, monkeypatch):
    monkeypatch.setattr(views, "connection", _BrokenConnection())

    response = client.get(URL)

    assert response.status_code == 503
    assert response.json() == {
        "status": "error",
        "database": "error: OperationalError",
        "broker": "ok",
    }


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_it_only_answers_get(client, db, method):
    assert getattr(client, method)(URL).status_code == 405
