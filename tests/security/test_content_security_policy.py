"""The Content-Security-Policy is sent everywhere, and the templates need no exception to it."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

TEMPLATES_DIR = Path(settings.BASE_DIR) / "templates"


def policy_of(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    return {
        directive.split()[0]: directive.split()[1:]
        for directive in header.split(";")
        if directive.strip()
    }


@pytest.mark.django_db
def test_the_login_page_sends_the_policy(client):
    policy = policy_of(client.get(reverse("login")))

    assert policy == {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }


def test_a_signed_in_page_sends_the_policy_and_the_other_headers(org, login):
    response = login(org.staff).get(reverse("departments:my_profile"))

    assert response.status_code == 200
    assert "'unsafe-inline'" not in policy_of(response)["script-src"]
    assert "'unsafe-eval'" not in policy_of(response)["script-src"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"


def test_the_admin_works_under_the_same_policy(org, login):
    response = login(org.admin).get(reverse("admin:index"))

    assert response.status_code == 200
    assert policy_of(response)["script-src"] == ["'self'"]


def test_htmx_is_told_not_to_inject_its_indicator_styles(org, login):
    response = login(org.staff).get(reverse("departments:my_profile"))

    assert b'<meta name="htmx-config" content=\'{"includeIndicatorStyles": false}\'>' in (
        response.content
    )


def _page_templates():
    for path in sorted(TEMPLATES_DIR.rglob("*.html")):
        if "emails" not in path.relative_to(TEMPLATES_DIR).parts:  # mail is not under the CSP
            yield path


@pytest.mark.parametrize(
    ("what", "pattern"),
    [
        ("an inline script", r"<script(?![^>]*\bsrc=)[^>]*>"),
        ("an inline event handler", r"\son[a-z]+\s*=\s*[\"']"),
        ("a javascript: URL", r"javascript:"),
        ("a style attribute", r"\sstyle\s*=\s*[\"']"),
        ("a <style> element", r"<style[\s>]"),
    ],
)
def test_page_templates_need_nothing_the_policy_blocks(what, pattern):
    offenders = [
        f"{path.relative_to(TEMPLATES_DIR)}:{number}"
        for path in _page_templates()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(pattern, line, re.IGNORECASE)
    ]

    assert not offenders, f"{what} in {offenders}: use static/js/allhands.js or allhands.css"
