"""The OpenAPI schema documents every operation's errors; the docs page works offline."""

import re

import pytest
from django.test import Client

from stockledger.api import api as ninja_api


@pytest.fixture(scope="module")
def schema():
    return ninja_api.get_openapi_schema()


def operations(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def error_ref(response):
    return response["content"]["application/json"]["schema"]["$ref"]


def test_the_schema_is_served_as_json(db):
    r = Client().get("/api/v1/openapi.json")
    assert r.status_code == 200
    assert r.json()["openapi"].startswith("3.")


def test_every_operation_documents_success_and_its_errors_with_the_shared_schema(schema):
    assert "ErrorOut" in schema["components"]["schemas"]
    for path, method, operation in operations(schema):
        responses = {int(code): value for code, value in operation["responses"].items()}
        successes = [c for c in responses if c < 300]
        assert successes, (method, path)
        expected = {401, 429}
        if method in ("post", "put", "delete", "patch"):
            expected |= {409}
        if method == "post":
            expected |= {422}
        if "requestBody" in operation:
            expected |= {400, 413, 422}
        if "{" in path:
            expected |= {404, 422}
        assert expected <= set(responses), (method, path, sorted(responses))
        for code in expected:
            assert error_ref(responses[code]) == "#/components/schemas/ErrorOut"
        assert "Retry-After" in responses[429]["headers"]
        assert operation.get("security"), (method, path)
        assert operation.get("summary"), (method, path)


def test_every_post_documents_the_idempotency_key_header(schema):
    for path, method, operation in operations(schema):
        headers = [p["name"] for p in operation.get("parameters", []) if p["in"] == "header"]
        assert headers == (["Idempotency-Key"] if method == "post" else []), (method, path)


def test_every_list_is_paginated_by_cursor(schema):
    for path, method, operation in operations(schema):
        if method != "get" or "{" in path.rsplit("/", 1)[-1]:
            continue
        responses = {int(code): value for code, value in operation["responses"].items()}
        if "application/json" not in responses[200].get("content", {}):
            continue  # a file download
        out = responses[200]["content"]["application/json"]["schema"]
        assert out.get("type") != "array", f"{path} returns a bare list: paginate it"
        if "$ref" not in out:
            continue
        body = schema["components"]["schemas"][out["$ref"].rsplit("/", 1)[-1]]
        if "items" not in body.get("properties", {}):
            continue
        if path.startswith("/api/v1/reports/"):
            continue  # a report answers as a whole (as of one moment), not page by page
        params = {p["name"] for p in operation["parameters"]}
        assert {"limit", "cursor"} <= params, path
        assert "next_cursor" in body["properties"], path


def test_every_reference_resolves(schema):
    refs = set(
        re.findall(r'"\$ref": "#/components/schemas/([^"]+)"', str(schema).replace("'", '"'))
    )
    assert refs and refs <= set(schema["components"]["schemas"])


def test_the_docs_page_uses_only_local_assets(db):
    client = Client()
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.content.decode()
    assert "swagger-ui" in html
    assert not re.search(r"(src|href)=\"(https?:)?//", html)
    assert '"validatorUrl": null' in html  # no calls to the online validator
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', html)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
    for asset in assets:
        r = client.get(asset)
        assert r.status_code == 200, asset
        content = b"".join(r.streaming_content) if r.streaming else r.content
        assert len(content) > 100, asset
