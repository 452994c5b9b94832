"""Every API answer that is not a success is JSON `{detail, errors?}` with the right status."""

import json
from datetime import datetime, timedelta, timezone

import pytest
from django.db import DataError
from django.test import Client

from stockledger.core.openapi import UtcJSONEncoder


def assert_json_error(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert isinstance(body["detail"], str) and body["detail"]
    assert b"Traceback" not in response.content and b"<html" not in response.content.lower()
    return body


@pytest.mark.parametrize("method", ["get", "post", "put", "delete"])
def test_an_unknown_api_path_is_a_json_404(api, method):
    body = assert_json_error(api.request(method, "/api/v1/nothing-here"), 404)
    assert body["detail"] == "no API endpoint at /api/v1/nothing-here"
    assert_json_error(api.get("/api/v2/products"), 404)
    assert_json_error(Client().get("/api/v1/products/"), 404)  # trailing slash, no token


def test_a_method_the_path_does_not_have_is_a_json_405(api):
    r = api.put("/warehouses", {"name": "x"})
    body = assert_json_error(r, 405)
    assert "GET" in r["Allow"] and "POST" in r["Allow"]
    assert "allowed" in body["detail"]


def test_an_unexpected_error_is_a_json_500_without_traceback(api, monkeypatch):
    from stockledger.warehouses import api as warehouses_api

    def boom(**kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(warehouses_api, "warehouse_create", boom)
    api.client.raise_request_exception = False
    r = api.post("/warehouses", {"name": "W"})
    assert assert_json_error(r, 500) == {"detail": "internal server error"}
    assert b"secret internals" not in r.content


def test_a_value_the_database_cannot_hold_is_422_not_500(api, monkeypatch):
    from stockledger.warehouses import api as warehouses_api

    def too_long(**kwargs):
        raise DataError("value too long for type character varying(200)")

    monkeypatch.setattr(warehouses_api, "warehouse_create", too_long)
    assert_json_error(api.post("/warehouses", {"name": "W"}), 422)


def test_overlong_names_are_refused_by_validation_on_every_database(api, db_dump):
    before = db_dump()
    body = assert_json_error(api.post("/warehouses", {"name": "w" * 201}), 422)
    assert body["errors"][0]["field"] == "name"
    assert db_dump() == before


@pytest.mark.parametrize(
    "raw, detail",
    [
        ("{not json", "request body is not valid JSON"),
        ('"a string"', "request body must be a JSON object"),
        ("[1, 2]", "request body must be a JSON object"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_400(api, raw, detail, db_dump):
    before = db_dump()
    assert assert_json_error(api.post("/warehouses", raw=raw), 400)["detail"].startswith(detail)
    assert db_dump() == before


def test_nul_characters_are_refused_in_bodies_and_queries(api, db_dump):
    before = db_dump()
    body = assert_json_error(api.post("/warehouses", raw='{"name": "a\\u0000b"}'), 422)
    assert body["errors"][0]["field"] == "body"
    body = assert_json_error(api.get("/products", {"search": "a\x00"}), 422)
    assert body["errors"][0]["field"] == "query"
    assert db_dump() == before
    # An escaped backslash followed by "u0000" is ordinary text.
    assert api.post("/warehouses", raw='{"name": "a\\\\u0000b"}').status_code == 201


def test_401_403_and_validation_errors_name_fields(api):
    from tests.conftest import ApiClient

    assert_json_error(ApiClient(None).get("/warehouses"), 401)
    body = assert_json_error(api.post("/warehouses", {}), 422)
    assert body["errors"] == [{"field": "name", "message": "Field required"}]


@pytest.fixture
def logged(api, warehouses, product_factory):
    product = product_factory("TS-1")
    api.post("/stock/on-hand", {"sku": "TS-1", "warehouse_id": warehouses[0].id, "change": 4})
    return product


def test_naive_timestamps_are_refused_with_a_clear_message(api, logged):
    r = api.get(f"/products/{logged.id}/log", {"since": "2025-03-01T09:30:00"})
    body = assert_json_error(r, 422)
    assert body["errors"][0]["field"] == "since"
    assert "needs a UTC offset" in body["errors"][0]["message"]


def test_timestamps_with_any_offset_are_accepted_and_returned_in_utc(api, logged):
    entry = api.get(f"/products/{logged.id}/log").json()["items"][0]
    assert entry["created_at"].endswith("Z")
    created = datetime.fromisoformat(entry["created_at"])
    in_berlin = (created - timedelta(seconds=1)).astimezone(timezone(timedelta(hours=2)))
    r = api.get(f"/products/{logged.id}/log", {"since": in_berlin.isoformat()})
    assert [i["sequence"] for i in r.json()["items"]] == [entry["sequence"]]
    later = (created + timedelta(seconds=1)).isoformat().replace("+00:00", "Z")
    assert api.get(f"/products/{logged.id}/log", {"since": later}).json()["items"] == []


def test_the_encoder_renders_every_datetime_in_utc():
    tokyo = datetime(2025, 3, 1, 18, 30, tzinfo=timezone(timedelta(hours=9)))
    assert json.dumps({"at": tokyo}, cls=UtcJSONEncoder) == '{"at": "2025-03-01T09:30:00Z"}'
