"""Inputs are as strict as the schema says, and credentials are judged before anything else."""

import pytest

from stockledger.core.models import IdempotencyKey
from stockledger.exports.models import Export
from tests.conftest import ApiClient


def test_a_json_null_body_where_a_body_is_required_is_422_naming_the_body(api, db_dump):
    before = db_dump()
    for path in ("/exports", "/warehouses", "/products"):
        r = api.post(path, raw="null")
        assert r.status_code == 422, (path, r.content)
        assert r.json()["errors"] == [
            {"field": "body", "message": "a JSON object is required, not null"}
        ]
    assert not Export.objects.exists()
    assert db_dump() == before


def test_a_json_null_body_where_the_body_is_optional_still_means_no_body(api):
    # (orders' ship, cancel and a MO's finish declare `X | None`: null is accepted there.)
    r = api.post("/orders/999999/ship", raw="null")
    assert r.status_code == 404


@pytest.mark.parametrize("since", ["0", "1700000000", "2025-03-01T09:30:00"])
def test_a_date_time_query_parameter_must_be_a_string_with_an_offset(api, product_factory, since):
    product = product_factory("CLOCK")
    r = api.get(f"/products/{product.id}/log", {"since": since})
    assert r.status_code == 422, r.content
    assert r.json()["errors"][0]["field"] == "since"


@pytest.mark.parametrize("since", [0, 1700000000, 1.5, True])
def test_a_date_time_body_field_must_be_a_string(api, since, db_dump):
    before = db_dump()
    r = api.post("/exports", {"kind": "products", "since": since})
    assert r.status_code == 422, r.content
    assert "since" in [e["field"] for e in r.json()["errors"]]
    assert db_dump() == before


def test_a_date_time_with_an_offset_is_accepted(api, product_factory):
    product = product_factory("CLOCK")
    r = api.get(f"/products/{product.id}/log", {"since": "2025-03-01T09:30:00+01:00"})
    assert r.status_code == 200, r.content


@pytest.mark.parametrize(
    "kwargs",
    [
        {"headers": {"HTTP_IDEMPOTENCY_KEY": "tab\there"}, "body": {"name": "X"}},
        {"headers": {"HTTP_IDEMPOTENCY_KEY": ""}, "body": {"name": "X"}},
        {"raw": '{"name": "a\\u0000b"}'},
        {"raw": "{not json"},
        {"raw": "null"},
        {"raw": "[1]"},
        {"body": {"name": ""}},
    ],
    ids=["bad-key", "empty-key", "nul", "bad-json", "null", "not-object", "invalid"],
)
@pytest.mark.parametrize("token", [None, "slk_nope"], ids=["no-token", "bad-token"])
def test_without_valid_credentials_the_answer_is_401_whatever_else_is_wrong(
    db, token, kwargs, db_dump
):
    before = db_dump()
    client = ApiClient(token)
    r = client.post(
        "/warehouses", kwargs.get("body"), raw=kwargs.get("raw"), headers=kwargs.get("headers")
    )
    assert r.status_code == 401, r.content
    assert r.json()["detail"] == "missing, invalid or revoked API token"
    assert not IdempotencyKey.objects.exists()
    assert db_dump() == before


def test_without_credentials_a_nul_in_the_query_is_401(db):
    r = ApiClient(None).get("/warehouses?name=%00")
    assert r.status_code == 401


def test_a_bulk_order_that_is_not_an_order_is_described_as_answered(api):
    from tests.contract import published_schema

    schema = published_schema()["components"]["schemas"]
    item = schema["BulkOrdersIn"]["properties"]["orders"]["items"]
    assert {"$ref": "#/components/schemas/OrderIn"} in item["anyOf"]
    assert {"type": "object"}.items() <= item["anyOf"][1].items()
    status = schema["BulkOrderResultOut"]["properties"]["status"]
    assert status["enum"] == ["created", "duplicate", "error"]
    r = api.post("/orders/bulk", {"orders": [{"order_number": "A-1"}]})
    assert r.status_code == 200
    assert r.json()["results"][0]["status"] == "error"
