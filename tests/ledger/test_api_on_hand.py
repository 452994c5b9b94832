import pytest


@pytest.fixture
def setup(api, warehouses, product_factory):
    product_factory("API-1")
    return warehouses


def test_set_then_adjust_on_hand_through_the_api(api, setup):
    main, _ = setup
    r = api.post(
        "/stock/on-hand",
        {"sku": "API-1", "warehouse_id": main.id, "physical_on_hand": 8, "note": "count"},
    )
    assert r.status_code == 201, r.content
    entry = r.json()["entry"]
    assert (entry["event_type"], entry["quantity"], entry["physical_on_hand"]) == ("on_hand", 8, 8)
    r = api.post("/stock/on-hand", {"sku": "API-1", "warehouse_id": main.id, "change": -3})
    assert r.status_code == 201
    product_id = api.get("/products", {"sku": "API-1"}).json()["items"][0]["id"]
    detail = api.get(f"/products/{product_id}").json()
    assert (detail["physical_on_hand"], detail["available_on_hand"]) == (5, 5)
    assert detail["warehouses"][0]["warehouse_name"] == "Main"
    log = api.get(f"/products/{product_id}/log").json()
    assert [i["quantity"] for i in log["items"]] == [-3, 8]  # newest first
    assert log["items"][1]["user_name"] and log["items"][1]["note"] == "count"


@pytest.mark.parametrize(
    "body, status, field",
    [
        ({"sku": "NOPE", "warehouse_id": 0, "physical_on_hand": 1}, 422, "sku"),
        ({"sku": "API-1", "warehouse_id": 999999, "physical_on_hand": 1}, 422, "warehouse_id"),
        ({"sku": "API-1", "warehouse_id": "MAIN", "physical_on_hand": -1}, 422, "physical_on_hand"),
        ({"sku": "API-1", "warehouse_id": "MAIN", "physical_on_hand": 1, "change": 1}, 422, "body"),
        ({"sku": "API-1", "warehouse_id": "MAIN", "change": -1}, 422, "quantity"),
        ({"warehouse_id": "MAIN", "change": 1}, 422, "sku"),
    ],
)
def test_invalid_on_hand_requests_are_4xx_naming_the_field_and_write_nothing(
    api, setup, db_dump, body, status, field
):
    main, _ = setup
    body = {k: (main.id if v == "MAIN" else v) for k, v in body.items()}
    before = db_dump()
    r = api.post("/stock/on-hand", body)
    assert r.status_code == status, r.content
    payload = r.json()
    assert payload["detail"]
    assert any(e["field"].startswith(field) for e in payload["errors"]), payload
    assert db_dump() == before


def test_malformed_json_is_a_400_and_writes_nothing(api, setup, db_dump):
    before = db_dump()
    r = api.post("/stock/on-hand", raw="{not json")
    assert r.status_code == 400
    assert "detail" in r.json()
    assert db_dump() == before


def test_another_companys_product_is_a_404_and_its_sku_unknown(api, other_api, setup):
    from stockledger.catalog.services import product_create

    theirs = product_create(company=other_api.company, sku="THEIRS", name="Theirs")
    assert api.get(f"/products/{theirs.id}").status_code == 404
    assert api.get(f"/products/{theirs.id}/log").status_code == 404
    r = api.post("/stock/on-hand", {"sku": "THEIRS", "warehouse_id": setup[0].id, "change": 1})
    assert r.status_code == 422
    assert other_api.get(f"/products/{theirs.id}").status_code == 200


def test_requests_without_a_valid_token_are_401(api, setup):
    from tests.conftest import ApiClient

    assert ApiClient(None).get("/products").status_code == 401
    assert ApiClient("slk_wrong").get("/products").status_code == 401
