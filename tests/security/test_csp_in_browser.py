"""Chromium enforces the Content-Security-Policy: the pages must not trip over it.

Bootstrap, htmx and the admin run under ``script-src 'self'; style-src 'self'``; any
inline script or style they needed would show as a violation in the console.
"""

import pytest

from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser]


def watch_for_violations(page) -> list[str]:
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return violations


def test_the_main_pages_run_without_policy_violations(demo_company, open_page, shoot):
    page = open_page()
    violations = watch_for_violations(page)

    page.goto("/accounts/login/")
    log_in(page, "eng.1")
    page.goto("/")
    page.wait_for_load_state("networkidle")
    page.locator("#nav-main .dropdown-toggle").last.click()
    page.get_by_role("link", name="Two-factor authentication").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("main svg path").count() == 1
    shoot(page, "two-factor-setup")
    page.goto("/org/")
    page.wait_for_load_state("networkidle")

    assert violations == []


def test_the_admin_runs_without_policy_violations(demo_company, open_page):
    page = open_page()
    violations = watch_for_violations(page)

    log_in(page, "admin")
    page.goto("/admin/")
    page.wait_for_load_state("networkidle")
    page.goto("/admin/auth/user/")
    page.wait_for_load_state("networkidle")
    page.goto("/admin/auth/user/add/")
    page.wait_for_load_state("networkidle")

    assert "/admin/auth/user/add/" in page.url
    assert violations == []
