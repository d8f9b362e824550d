"""Browser journeys: Playwright driving Debian's Chromium against ``live_server``.

Never downloads a browser. Screenshots of each step land in ``test-artifacts/``.
"""

import os
import re
from pathlib import Path

import pytest

from tests.conftest import CHROMIUM

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


_RUNNING: dict = {}


@pytest.fixture(scope="session")
def browser():
    """One Chromium for the whole session. Other test folders import this fixture into
    their conftest, which makes pytest create a second session fixture: it reuses the
    running browser, since Playwright's sync API cannot start twice in one thread."""
    if "browser" in _RUNNING:
        yield _RUNNING["browser"]
        return
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        _RUNNING["browser"] = browser
        try:
            yield browser
        finally:
            _RUNNING.pop("browser", None)
            browser.close()


# The demo company as the seeders left it, per day (the seeders date everything from
# today): {"day": date, "tables": {table: COPY data}, "sequences": [(name, last_value)]}.
_DEMO_SNAPSHOT: dict = {}


def _demo_tables(connection) -> list[str]:
    return sorted(
        table for table in connection.introspection.table_names() if table != "django_migrations"
    )


def _take_demo_snapshot(connection) -> None:
    import io

    tables = {}
    with connection.cursor() as cursor:
        for table in _demo_tables(connection):
            buffer = io.BytesIO()
            cursor.cursor.copy_expert(f'COPY "{table}" TO STDOUT', buffer)
            tables[table] = buffer.getvalue()
        cursor.execute(
            "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = current_schema()"
        )
        sequences = cursor.fetchall()
    _DEMO_SNAPSHOT.update(day=_today(), tables=tables, sequences=sequences)


def _restore_demo_snapshot(connection) -> bool:
    """Load the snapshot in place of every table's rows (the rows are the seeders' own,
    foreign keys and triggers included, so neither is checked again while loading)."""
    import io

    from django.db import DatabaseError, transaction

    tables = _DEMO_SNAPSHOT["tables"]
    if _demo_tables(connection) != sorted(tables):
        return False
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute("TRUNCATE " + ", ".join(f'"{table}"' for table in tables))
            for table, data in tables.items():
                cursor.cursor.copy_expert(f'COPY "{table}" FROM STDIN', io.BytesIO(data))
            for name, last_value in _DEMO_SNAPSHOT["sequences"]:
                if last_value is None:
                    cursor.execute("SELECT setval(%s, 1, false)", [name])
                else:
                    cursor.execute("SELECT setval(%s, %s, true)", [name, last_value])
    except DatabaseError:  # e.g. not allowed to switch off the triggers: seed instead
        return False
    return True


def _today():
    from django.utils import timezone

    return timezone.localdate()


@pytest.fixture
def demo_company(transactional_db):
    """The demo company, as ``seed_demo`` makes it. On PostgreSQL the seeders run once
    per test process and day; later tests get the same rows (and sequence positions)
    copied back in a fraction of the time."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection
    from django.utils.module_loading import import_string

    from departments.management.commands.seed_demo import SEEDERS

    postgres = connection.vendor == "postgresql"
    if postgres and _DEMO_SNAPSHOT.get("day") == _today() and _restore_demo_snapshot(connection):
        ContentType.objects.clear_cache()
        return
    for dotted in SEEDERS:
        import_string(dotted)()
    if postgres:
        _take_demo_snapshot(connection)


@pytest.fixture
def open_page(browser, live_server, request):
    """``open_page(language="en", viewport=...)`` → a fresh page in a new context."""
    contexts = []

    def _open(language: str = "en", viewport: dict | None = None):
        context = browser.new_context(
            base_url=live_server.url,
            locale="zh-CN" if language.startswith("zh") else "en-US",
            extra_http_headers={
                "Accept-Language": "zh-Hans" if language.startswith("zh") else "en"
            },
            viewport=viewport or {"width": 1280, "height": 900},
        )
        context.set_default_timeout(15000)
        contexts.append(context)
        return context.new_page()

    yield _open
    for context in contexts:
        context.close()


@pytest.fixture
def shoot(request):
    """``shoot(page, "step")`` saves a full-page screenshot as a test artifact."""
    ARTIFACTS.mkdir(exist_ok=True)
    test_name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)

    def _shoot(page, step: str) -> None:
        page.screenshot(path=str(ARTIFACTS / f"{test_name}--{step}.png"), full_page=True)

    return _shoot


def log_in(page, username: str, password: str | None = None) -> None:
    password = password or os.environ.get("DEMO_PASSWORD") or "allhands-demo"
    page.goto("/accounts/login/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state("networkidle")


def log_out(page) -> None:
    page.context.clear_cookies()
