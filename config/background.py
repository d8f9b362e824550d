"""Is the job queue reachable? Pages tell admins, finance and supervisors when it is not.

The answer is kept in this process for ``CHECK_SECONDS``, so that at most one request in
that time pays for a connection attempt (measured on Redis: about 30 ms when it is up,
50 ms when refused; a kept answer costs under a microsecond). The check makes no
database query, and the template asks for it only for the roles that see the banner.
"""

from __future__ import annotations

import logging
import threading
import time

logger = logging.getLogger(__name__)

CHECK_SECONDS = 30
CONNECT_TIMEOUT_SECONDS = 1

_lock = threading.Lock()
_last: tuple[float, bool] | None = None  # (monotonic time of the check, reachable)


def _check_broker() -> bool:
    from config.celery import app

    try:
        with app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=0, timeout=CONNECT_TIMEOUT_SECONDS)
    except Exception as error:
        logger.warning("The job queue (Celery broker) cannot be reached: %r", error)
        return False
    return True


def broker_reachable() -> bool:
    """The broker's state, checked at most once every ``CHECK_SECONDS`` per process."""
    global _last
    now = time.monotonic()
    last = _last
    if last is not None and now - last[0] < CHECK_SECONDS:
        return last[1]
    with _lock:
        # Another thread may have checked while this one waited for the lock.
        if _last is not None and time.monotonic() - _last[0] < CHECK_SECONDS:
            return _last[1]
        reachable = _check_broker()
        _last = (time.monotonic(), reachable)
        return reachable


def forget() -> None:
    """Check again on the next request (tests, or after the broker's address changed)."""
    global _last
    with _lock:
        _last = None


def background_work_delayed() -> bool:
    return not broker_reachable()


def background_work(request) -> dict:
    """Context processor. The value is a callable, so the template checks the broker only
    where it shows the banner (and only for the roles it shows it to)."""
    return {"background_work_delayed": background_work_delayed}
