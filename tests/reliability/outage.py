"""Point the Celery app at a Redis that is not there (nothing listens on port 6390), in
this process only: the real Redis on 6379 keeps serving everybody else."""

from __future__ import annotations

import contextlib
import os

from config import background
from config.celery import app

DEAD_BROKER = "redis://127.0.0.1:6390/0"
BROKER_VARIABLES = ("CELERY_BROKER_URL", "CELERY_BROKER_WRITE_URL")


def _drop_pools() -> None:
    # The app keeps its connection and producer pools; forget them so that the next
    # ``.delay()`` asks kombu's registry (keyed by broker URL) for the broker set now.
    app._pool = None
    app.amqp._producer_pool = None


@contextlib.contextmanager
def broker_at(url: str, *, transport_options: dict | None = None):
    """Queue through ``url`` for real (no eager execution) while inside."""
    # An environment variable would win over the app's configuration.
    environment = {name: os.environ.pop(name, None) for name in BROKER_VARIABLES}
    saved = (
        app.conf.broker_url,
        app.conf.broker_transport_options,
        app.conf.task_always_eager,
    )
    app.conf.broker_url = url
    app.conf.broker_transport_options = transport_options or {}
    app.conf.task_always_eager = False
    _drop_pools()
    background.forget()
    try:
        yield
    finally:
        app.conf.broker_url, app.conf.broker_transport_options, app.conf.task_always_eager = saved
        for name, value in environment.items():
            if value is not None:
                os.environ[name] = value
        _drop_pools()
        background.forget()
