"""Accessibility: axe-core (bundled by axe-playwright-python) on the main pages, in
English and Simplified Chinese. Violations of impact "serious" or "critical" fail the
test; the rest are printed.

The site's CSP (script-src 'self') would refuse the injected axe script, so this test
alone uses a browser context with ``bypass_csp=True``.
"""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth import get_user_model

from rewards.models import Lead, PayoutPeriod, Statement
from tasks.models import MarketingTask
from tests.browser.conftest import log_in, log_out

pytestmark = [pytest.mark.browser]

BLOCKING = {"serious", "critical"}


def _pages() -> list[tuple[str, str]]:
    """(user, url) for every page under test, in the order they are visited."""
    users = get_user_model().objects
    eng1 = users.get(username="eng.1")
    statement = Statement.objects.filter(staff=eng1.profile).order_by("-period__start_date").first()
    task = MarketingTask.objects.order_by("pk").first()
    lead = Lead.objects.order_by("pk").first()
    assert statement is not None
    assert task is not None
    assert lead is not None
    assert PayoutPeriod.objects.exists()
    return [
        ("", "/accounts/login/"),
        ("eng.1", "/today/"),
        ("eng.1", "/week/"),
        ("eng.1", "/month/"),
        ("eng.1", "/my-tasks/"),
        ("eng.1", "/rewards/"),
        ("eng.1", f"/statements/{statement.pk}/"),
        ("eng.1", "/dashboard/me/"),
        ("eng.1", "/me/"),
        ("eng.lead", "/approvals/"),
        ("eng.lead", "/dashboard/team/"),
        ("marketing", "/tasks/"),
        ("marketing", f"/tasks/{task.pk}/"),
        ("marketing", "/pipeline/"),
        ("marketing", f"/leads/{lead.pk}/"),
        ("finance", "/payouts/"),
        ("finance", "/dashboard/org/"),
        ("gm", "/org/"),
    ]


def _describe(violation: dict) -> str:
    targets = [", ".join(node.get("target", [])) for node in violation.get("nodes", [])[:5]]
    return f"[{violation.get('impact')}] {violation['id']}: {violation['help']} — {targets}"


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_main_pages_have_no_serious_axe_violations(
    demo_company, browser, live_server, shoot, language
):
    context = browser.new_context(
        base_url=live_server.url,
        bypass_csp=True,
        locale="zh-CN" if language == "zh-hans" else "en-US",
        extra_http_headers={"Accept-Language": "zh-Hans" if language == "zh-hans" else "en"},
        viewport={"width": 1280, "height": 900},
    )
    context.set_default_timeout(15000)
    axe = Axe()
    blocking: list[str] = []
    try:
        page = context.new_page()
        current = None
        for user, url in _pages():
            if user != current:
                log_out(page)
                if user:
                    log_in(page, user)
                current = user
            response = page.goto(url)
            page.wait_for_load_state("networkidle")
            assert response.ok, f"{user or 'anonymous'} → {url}: {response.status}"
            assert page.url.endswith(url), f"{user or 'anonymous'} → {url}: {page.url}"
            results = axe.run(page)
            for violation in results.response["violations"]:
                line = f"{language} {user or 'anonymous'} {url} {_describe(violation)}"
                if violation.get("impact") in BLOCKING:
                    blocking.append(line)
                else:
                    print(line)
        shoot(page, "last-page")
    finally:
        context.close()
    assert not blocking, "serious/critical axe violations:\n" + "\n".join(blocking)
