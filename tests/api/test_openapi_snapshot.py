"""A change that breaks a generated client is named until the snapshot is updated on purpose."""

import copy
import json

from tests.openapi_snapshot import SNAPSHOT, breaking_changes, current_schema, render


def test_the_schema_has_no_breaking_change_against_the_committed_snapshot():
    snapshot = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    changes = breaking_changes(snapshot, current_schema())
    assert changes == [], (
        "breaking changes to the API schema (a generated client would break); if intended, "
        "run `make openapi-snapshot` and commit docs/openapi.json:\n  " + "\n  ".join(changes)
    )


def test_the_committed_snapshot_is_the_schema_the_app_serves():
    """The generated clients are built from the snapshot: an addition nobody snapshotted would
    be missing from them."""
    assert SNAPSHOT.read_text(encoding="utf-8") == render(current_schema()), (
        "docs/openapi.json differs from the app's schema: run `make openapi-snapshot` and commit it"
    )


def test_each_kind_of_breaking_change_is_named():
    old = current_schema()
    new = copy.deepcopy(old)
    del new["paths"]["/api/v1/transfers"]["post"]
    del new["components"]["schemas"]["GoodsReceiptLineOut"]["properties"]["quantity"]
    new["components"]["schemas"]["WarehouseOut"]["properties"]["name"] = {"type": "integer"}
    new["components"]["schemas"]["TokenIn"]["required"].append("expires_at")
    query = new["paths"]["/api/v1/orders"]["get"]["parameters"][0]
    query["required"] = True
    new["paths"]["/api/v1/products"]["get"]["operationId"] = "products_list"
    changes = breaking_changes(old, new)
    assert "operation removed: POST /api/v1/transfers" in changes
    assert "field removed: GoodsReceiptLineOut.quantity" in changes
    assert any(c.startswith("field retyped: WarehouseOut.name") for c in changes)
    assert "input newly required: TokenIn.expires_at" in changes
    assert "operation renamed: GET /api/v1/products (list_products -> products_list)" in changes
    assert f"input newly required: GET /api/v1/orders query parameter `{query['name']}`" in changes


def test_additions_are_not_breaking():
    old = current_schema()
    new = copy.deepcopy(old)
    new["paths"]["/api/v1/new-thing"] = {"get": {"responses": {}}}
    new["components"]["schemas"]["WarehouseOut"]["properties"]["colour"] = {"type": "string"}
    new["components"]["schemas"]["WarehouseOut"]["properties"]["name"]["description"] = "x"
    assert breaking_changes(old, new) == []
