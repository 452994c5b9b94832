"""The orders API: import (201 / 200 duplicate), list and page, read, ship, cancel, errors."""

import pytest


@pytest.fixture
def setup(api, warehouses, stocked, channel):
    main, east = warehouses
    return {"main": main, "east": east, "channel": channel}


def body(setup, number="W-1", lines=(("A", 2),), **extra):
    data = {
        "channel_id": setup["channel"].id,
        "order_number": number,
        "placed_at": "2025-03-01T10:30:00+01:00",
        "warehouse_id": setup["main"].id,
        "lines": [{"sku": s, "quantity": q} for s, q in lines],
    }
    data.update(extra)
    return data


def test_importing_an_order_answers_201_then_200_duplicate_for_the_same_order(
    api, setup, log_of, stocked
):
    a, _, kit = stocked
    r = api.post("/orders", body(setup, lines=[("A", 2), ("KIT", 1)]))
    assert r.status_code == 201, r.content
    order = r.json()
    assert order["duplicate"] is False
    assert order["status"] == "open"
    assert order["placed_at"].replace("Z", "+00:00") == "2025-03-01T09:30:00+00:00"
    assert (order["channel_name"], order["cart_type"], order["warehouse_name"]) == (
        "Shop",
        "shopify",
        "Main",
    )
    line_a, line_kit = order["lines"]
    assert (line_a["sku"], line_a["quantity"], line_a["remaining"]) == ("A", 2, 2)
    assert line_kit["kind"] == "kit"
    assert [(c["sku"], c["quantity_per_kit"]) for c in line_kit["components"]] == [
        ("A", 1),
        ("B", 2),
    ]

    again = api.post("/orders", body(setup, lines=[("A", 7)]))
    assert again.status_code == 200, again.content
    assert again.json()["duplicate"] is True
    assert again.json()["id"] == order["id"]
    assert again.json()["lines"][0]["quantity"] == 2
    assert [r.quantity for r in log_of(a, event_type="order")] == [2, 1]
    assert len(log_of(kit)) == 1


def test_the_order_rows_are_in_the_products_log_through_the_api(api, setup, stocked):
    a, _, _ = stocked
    api.post("/orders", body(setup, number="W-LOG"))
    items = api.get(f"/products/{a.id}/log", {"event_type": "order"}).json()["items"]
    [row] = items
    assert (row["event_id"], row["order_step"], row["quantity"]) == ("W-LOG", "imported", 2)
    assert (row["cart_name"], row["committed"], row["available_on_hand"]) == ("Shop", 2, 8)
    assert row["imported_at"] is not None and row["document_type"] == "order"


def test_ship_and_cancel_through_the_api(api, setup, stocked, stock_of, log_of, verify_clean):
    a, b, _ = stocked
    order = api.post("/orders", body(setup, lines=[("A", 3), ("B", 2)])).json()
    r = api.post(f"/orders/{order['id']}/ship", {"lines": [{"sku": "A", "quantity": 1}]})
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "partially_shipped"
    assert r.json()["lines"][0]["shipped"] == 1
    r = api.post(f"/orders/{order['id']}/cancel", raw="")
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "shipped"
    assert [(x["shipped"], x["cancelled"], x["remaining"]) for x in r.json()["lines"]] == [
        (1, 2, 0),
        (0, 2, 0),
    ]
    assert stock_of(a, setup["main"]) == (9, 0)
    assert [r.order_step for r in log_of(a, event_type="order")] == [
        "imported",
        "shipped",
        "cancelled",
    ]
    verify_clean()


def test_ship_without_a_body_ships_everything_remaining(api, setup, stock_of, stocked):
    order = api.post("/orders", body(setup, lines=[("A", 3)])).json()
    r = api.post(f"/orders/{order['id']}/ship", raw="")
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "shipped"
    assert stock_of(stocked[0], setup["main"]) == (7, 0)
    r = api.post(f"/orders/{order['id']}/ship", {})
    assert r.status_code == 409


def test_list_orders_filters_by_channel_and_status_and_pages_by_cursor(
    api, setup, company, stocked
):
    from stockledger.channels.services import channel_create

    amazon = channel_create(company=company, cart_type="amazon", name="Amazon")
    ids = [api.post("/orders", body(setup, number=f"L-{i}")).json()["id"] for i in range(5)]
    api.post("/orders", body(setup, number="L-AMZ", channel_id=amazon.id))
    api.post(f"/orders/{ids[0]}/cancel", raw="")

    seen, cursor = [], None
    while True:
        params = {"limit": 2, "channel_id": setup["channel"].id}
        if cursor:
            params["cursor"] = cursor
        page = api.get("/orders", params).json()
        seen += [o["id"] for o in page["items"]]
        # An order imported while paging does not shift later pages.
        api.post("/orders", body(setup, number=f"NEW-{len(seen)}"))
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == sorted(ids, reverse=True)

    cancelled = api.get("/orders", {"status": "cancelled"}).json()["items"]
    assert [o["id"] for o in cancelled] == [ids[0]]
    amazon_orders = api.get("/orders", {"channel_id": amazon.id}).json()["items"]
    assert [o["order_number"] for o in amazon_orders] == ["L-AMZ"]
    by_number = api.get("/orders", {"order_number": "L-3"}).json()["items"]
    assert [o["id"] for o in by_number] == [ids[3]]


def test_list_orders_refuses_an_unknown_status_or_cursor(api, setup):
    r = api.get("/orders", {"status": "lost"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "status"
    r = api.get("/orders", {"cursor": "abc"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "cursor"


def test_get_order_and_another_companys_order_is_404(api, other_api, setup):
    order = api.post("/orders", body(setup)).json()
    r = api.get(f"/orders/{order['id']}")
    assert r.status_code == 200 and r.json()["order_number"] == "W-1"
    assert "duplicate" not in r.json()
    assert other_api.get(f"/orders/{order['id']}").status_code == 404
    assert other_api.post(f"/orders/{order['id']}/ship", raw="").status_code == 404
    assert other_api.post(f"/orders/{order['id']}/cancel", raw="").status_code == 404
    assert other_api.get("/orders").json()["items"] == []
    assert api.get("/orders/999999").status_code == 404


@pytest.mark.parametrize(
    "change, status, field",
    [
        ({"channel_id": 999999}, 422, "channel_id"),
        ({"warehouse_id": 999999}, 422, "warehouse_id"),
        ({"lines": [{"sku": "NOPE", "quantity": 1}]}, 422, "lines[0].sku"),
        ({"lines": [{"sku": "A", "quantity": 0}]}, 422, "lines[0].quantity"),
        ({"lines": [{"sku": "A", "quantity": 1}, {"sku": "A", "quantity": 1}]}, 422, "lines[1]"),
        ({"lines": []}, 422, "lines"),
        ({"placed_at": "2025-03-01T09:30:00"}, 422, "placed_at"),
        ({"placed_at": "not a time"}, 422, "placed_at"),
        ({"order_number": ""}, 422, "order_number"),
        ({"order_number": "   "}, 422, "order_number"),
        ({"order_number": None}, 422, "order_number"),
    ],
)
def test_bad_orders_are_4xx_naming_the_field_and_write_nothing(
    api, setup, db_dump, change, status, field
):
    before = db_dump()
    r = api.post("/orders", {**body(setup), **change})
    assert r.status_code == status, r.content
    payload = r.json()
    assert payload["detail"]
    assert any(e["field"].startswith(field) for e in payload["errors"]), payload
    assert db_dump() == before


def test_a_naive_placed_at_is_refused_with_a_clear_message(api, setup):
    r = api.post("/orders", body(setup, placed_at="2025-03-01T09:30:00"))
    assert r.status_code == 422
    assert "offset" in r.json()["detail"]


def test_another_companys_channel_is_unknown(api, other_api, setup, db_dump):
    from stockledger.channels.services import channel_create

    theirs = channel_create(company=other_api.company, cart_type="ebay", name="Theirs")
    before = db_dump()
    r = api.post("/orders", body(setup, channel_id=theirs.id))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "channel_id"
    assert db_dump() == before


def test_shipping_a_cancelled_order_is_409_and_writes_nothing(api, setup, db_dump):
    order = api.post("/orders", body(setup)).json()
    assert api.post(f"/orders/{order['id']}/cancel", raw="").status_code == 200
    before = db_dump()
    r = api.post(f"/orders/{order['id']}/ship", raw="")
    assert r.status_code == 409, r.content
    assert "cancelled" in r.json()["detail"]
    r = api.post(f"/orders/{order['id']}/cancel", raw="")
    assert r.status_code == 409
    assert db_dump() == before


@pytest.mark.parametrize(
    "lines, status, field",
    [
        ([{"sku": "A", "quantity": 3}], 409, "lines[0].quantity"),
        ([{"sku": "B", "quantity": 1}], 422, "lines[0].sku"),
        ([{"sku": "A", "quantity": -1}], 422, "lines[0].quantity"),
        ([], 422, "lines"),
    ],
)
def test_bad_shipments_are_4xx_and_write_nothing(api, setup, db_dump, lines, status, field):
    order = api.post("/orders", body(setup)).json()
    before = db_dump()
    r = api.post(f"/orders/{order['id']}/ship", {"lines": lines})
    assert r.status_code == status, r.content
    assert any(e["field"].startswith(field) for e in r.json()["errors"]), r.json()
    assert db_dump() == before


def test_the_openapi_schema_documents_the_order_endpoints(api):
    schema = api.get("/openapi.json").json()
    post = schema["paths"]["/api/v1/orders"]["post"]
    assert {"200", "201", "409", "422"} <= set(post["responses"])
    assert "duplicate" in post["description"]
    assert "/api/v1/orders/{order_id}/ship" in schema["paths"]
    assert "/api/v1/orders/{order_id}/cancel" in schema["paths"]


@pytest.mark.parametrize(
    "method, path, payload",
    [
        ("post", "/orders", {"channel_id": 2**70}),
        ("post", "/orders", {"warehouse_id": 2**63}),
        ("post", "/orders", {"placed_at": "0001-01-01T00:00:00+05:00"}),
        ("post", "/orders", {"placed_at": "9999-12-31T23:59:59-05:00"}),
        ("post", "/orders", {"order_number": "A\x00B"}),
        ("post", "/orders", {"lines": [{"sku": "A\x00", "quantity": 1}]}),
        ("post", "/orders", {"lines": [{"sku": "A", "quantity": 2**70}]}),
        ("post", "/orders", {"lines": None}),
        ("get", "/orders?channel_id=99999999999999999999999", None),
        ("get", "/orders?order_number=A%00B", None),
        ("get", "/orders?cursor=99999999999999999999999", None),
        ("get", "/orders?cursor=%C2%B2", None),
        ("get", "/orders/99999999999999999999999", None),
        ("post", "/orders/99999999999999999999999/ship", None),
        ("post", "/orders/-1/cancel", None),
        ("post", "/manufacturing-orders", {"number": "M", "sku": "A", "quantity": 1,
                                           "warehouse_id": 2**64}),
        ("get", "/manufacturing-orders?product_id=99999999999999999999999", None),
        ("get", "/manufacturing-orders/99999999999999999999999", None),
    ],
)  # fmt: skip
def test_out_of_range_and_odd_input_is_a_4xx_never_a_500(
    api, setup, db_dump, method, path, payload
):
    before = db_dump()
    if method == "post" and path == "/orders":
        r = api.post(path, {**body(setup), **payload})
    elif method == "post":
        r = api.post(path, payload) if payload else api.post(path, raw="")
    else:
        r = api.get(path)
    assert 400 <= r.status_code < 500, r.content
    assert r.json()["detail"]
    assert db_dump() == before


def test_a_json_null_body_ships_everything(api, setup):
    order = api.post("/orders", body(setup)).json()
    r = api.post(f"/orders/{order['id']}/ship", raw="null")
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "shipped"
