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


@pytest.fixture
def demo_company(transactional_db):
    from django.utils.module_loading import import_string

    from departments.management.commands.seed_demo import SEEDERS

    for dotted in SEEDERS:
        import_string(dotted)()


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
