"""The OpenAPI schema and its docs pages, served by the app (no CDN)."""

from __future__ import annotations

import json
import re

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.utils import translation
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.plumbing import _load_enum_name_overrides

HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def schema():
    with translation.override("en"):
        return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield path, method, operation


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_schema_validates_without_warnings(tmp_path, language):
    # The warning counter and the enum names are remembered process-wide: start afresh,
    # as ``manage.py spectacular`` does.
    GENERATOR_STATS.reset()
    _load_enum_name_overrides.cache_clear()
    call_command(
        "spectacular",
        "--validate",
        "--fail-on-warn",
        "--lang",
        language,
        "--file",
        str(tmp_path / "schema.yml"),
    )


def test_every_operation_has_an_id_a_tag_and_examples(schema):
    seen_ids = set()
    for path, method, operation in operations(schema):
        where = f"{method.upper()} {path}"
        assert operation.get("operationId"), where
        assert operation["operationId"] not in seen_ids, where
        seen_ids.add(operation["operationId"])
        assert operation.get("tags"), where
        success = {code: r for code, r in operation["responses"].items() if code < "300"}
        if set(success) == {"204"}:
            continue  # nothing to show but the status
        documented = [operation.get("requestBody", {}), *success.values()]
        assert '"examples"' in json.dumps(documented), f"{where} has no example"


def test_the_contract_names_are_in_the_schema(schema):
    paths = schema["paths"]
    for path in (
        "/api/v1/auth/token/",
        "/api/v1/me/",
        "/api/v1/logs/",
        "/api/v1/logs/{id}/approve/",
        "/api/v1/logs/{id}/reject/",
        "/api/v1/payout-periods/{id}/statements/",
    ):
        assert path in paths, path
    parameters = {p["name"] for p in paths["/api/v1/logs/"]["get"]["parameters"]}
    assert {"status", "date_after", "date_before", "staff", "department", "ordering", "page"} <= (
        parameters
    )
    me = schema["components"]["schemas"]["Me"]["properties"]
    assert {"username", "roles", "budget_today_minutes", "remaining_today_minutes"} <= set(me)


def test_errors_are_documented(schema):
    create = schema["paths"]["/api/v1/logs/"]["post"]["responses"]
    assert {"201", "400", "401", "403", "429"} <= set(create)


def test_the_schema_is_served_to_token_holders(org, api):
    response = api(org.staff).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Allhands API"


def test_the_schema_needs_authentication(db, api):
    assert api().get("/api/schema/").status_code == 401


LOCAL_ASSET = re.compile(r'(?:src|href)="([^"]+)"')


@pytest.mark.parametrize("url", ["/api/docs/", "/api/redoc/"])
def test_the_docs_pages_load_only_local_assets(org, client, url):
    client.force_login(org.staff)

    response = client.get(url)

    assert response.status_code == 200
    html = response.content.decode()
    assets = LOCAL_ASSET.findall(html)
    assert assets, html
    for asset in assets:
        assert not asset.startswith(("http:", "https:", "//")), asset
        path = asset.split("?")[0]
        if path.startswith("/static/"):
            assert finders.find(path.removeprefix("/static/")), f"missing static file {path}"
        else:
            assert path == url, asset  # Swagger UI's own settings script, same page
    assert "<script>" not in html  # no inline script: a strict CSP holds
    assert "<style" not in html
    assert "googleapis" not in html


def test_swagger_ui_loads_its_settings_from_the_app(org, client):
    client.force_login(org.staff)
    html = client.get("/api/docs/").content.decode()
    script = next(a for a in LOCAL_ASSET.findall(html) if a.startswith("/api/docs/"))

    response = client.get(script.replace("&amp;", "&"))

    assert response.status_code == 200
    assert "/api/schema/" in response.content.decode()


def test_the_docs_pages_are_for_people_signed_in(db, client):
    response = client.get("/api/docs/")

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_redoc_may_style_itself_and_nothing_else_is_widened(org, client):
    client.force_login(org.staff)

    redoc = client.get("/api/redoc/")
    swagger = client.get("/api/docs/")

    policy = redoc["Content-Security-Policy"]
    assert "'unsafe-inline'" in policy.split("style-src", 1)[1].split(";", 1)[0]
    assert "'unsafe-inline'" not in swagger["Content-Security-Policy"]
