"""Returns (RMAs): return_order rows with expected / received / restocked, restocking, refusals."""

import pytest

from stockledger.ledger.services import stock_adjust


@pytest.fixture
def setup(company, warehouses, product_factory):
    main, east = warehouses
    widget = product_factory("WIDGET")
    gadget = product_factory("GADGET")
    box = product_factory(
        "BOX", components=[{"sku": "WIDGET", "quantity": 2}, {"sku": "GADGET", "quantity": 1}]
    )
    stock_adjust(company=company, product=widget, warehouse=east, change=7)
    return main, east, widget, gadget, box


def open_rma(api, warehouse, number="RMA-1", lines=None):
    lines = lines or [
        {"sku": "WIDGET", "expected_quantity": 3},
        {"sku": "GADGET", "expected_quantity": 1},
    ]
    r = api.post("/returns", {"number": number, "warehouse_id": warehouse.id, "lines": lines})
    assert r.status_code == 201, r.content
    return r.json()


def receive(api, rma_id, lines):
    return api.post(f"/returns/{rma_id}/receive", {"lines": lines})


def test_opening_an_rma_logs_the_expected_quantities_and_changes_no_stock(
    api, user, setup, stock_of, log_of, verify_clean
):
    main, east, widget, gadget, _ = setup
    rma = open_rma(api, main)
    assert rma["status"] == "open"
    assert stock_of(widget, main) == (0, 0)
    [row] = log_of(widget, event_type="return_order")
    assert row.event_id == "RMA-1"
    assert (row.expected_quantity, row.received_quantity, row.restocked_quantity) == (3, None, None)
    assert row.quantity is None
    assert (row.physical_change, row.physical_on_hand) == (0, 7)  # the 7 in East
    assert row.warehouse_name == "Main"
    assert row.user_name == user.username
    assert (row.document_type, row.document_id) == ("return", rma["id"])
    assert [e["sku"] for e in rma["entries"]] == ["WIDGET", "GADGET"]
    verify_clean()


def test_receiving_restocks_at_the_rmas_warehouse_and_logs_all_three_quantities(
    api, setup, stock_of, log_of, verify_clean
):
    main, _, widget, gadget, _ = setup
    rma = open_rma(api, main)
    r = receive(
        api,
        rma["id"],
        [
            {"sku": "WIDGET", "received_quantity": 3, "restocked_quantity": 2},
            {"sku": "GADGET", "received_quantity": 1, "restocked_quantity": 0},
        ],
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["return_order"]["status"] == "received"
    assert stock_of(widget, main) == (2, 0)
    assert stock_of(gadget, main) == (0, 0)
    _, row = log_of(widget, event_type="return_order")
    assert (row.expected_quantity, row.received_quantity, row.restocked_quantity) == (3, 3, 2)
    assert (row.quantity, row.physical_change, row.warehouse_physical_on_hand) == (2, 2, 2)
    assert row.physical_on_hand == 9
    assert row.event_id == "RMA-1"
    assert row.note == "received 3 of 3 expected, restocked 2"
    _, gadget_row = log_of(gadget, event_type="return_order")
    assert (gadget_row.received_quantity, gadget_row.restocked_quantity) == (1, 0)
    assert (gadget_row.quantity, gadget_row.physical_change) == (0, 0)
    assert [e["sequence"] for e in body["entries"]] == [row.id, gadget_row.id]
    log = api.get(f"/returns/{rma['id']}/log").json()["items"]
    assert [(e["sku"], e["received_quantity"]) for e in log] == [
        ("WIDGET", None),
        ("GADGET", None),
        ("WIDGET", 3),
        ("GADGET", 1),
    ]
    verify_clean()


def test_several_receipts_add_up_and_may_restock_what_arrived_earlier(
    api, setup, stock_of, log_of, verify_clean
):
    main, _, widget, _, _ = setup
    rma = open_rma(api, main, lines=[{"sku": "WIDGET", "expected_quantity": 5}])
    first = receive(
        api, rma["id"], [{"sku": "WIDGET", "received_quantity": 2, "restocked_quantity": 0}]
    )
    assert first.json()["return_order"]["status"] == "partial"
    # After inspection, one of the two that arrived goes back on the shelf.
    second = receive(
        api, rma["id"], [{"sku": "WIDGET", "received_quantity": 0, "restocked_quantity": 1}]
    )
    assert second.status_code == 201, second.content
    third = receive(
        api, rma["id"], [{"sku": "WIDGET", "received_quantity": 3, "restocked_quantity": 3}]
    )
    assert third.status_code == 201
    detail = api.get(f"/returns/{rma['id']}").json()
    assert detail["status"] == "received"
    assert [
        (li["expected_quantity"], li["received_quantity"], li["restocked_quantity"])
        for li in detail["lines"]
    ] == [(5, 5, 4)]
    assert [
        (rc["lines"][0]["received_quantity"], rc["lines"][0]["restocked_quantity"])
        for rc in detail["receipts"]
    ] == [(2, 0), (0, 1), (3, 3)]
    assert stock_of(widget, main) == (4, 0)
    rows = log_of(widget, event_type="return_order")[1:]
    assert [(r.received_quantity, r.restocked_quantity, r.quantity) for r in rows] == [
        (2, 0, 0),
        (0, 1, 1),
        (3, 3, 3),
    ]
    assert rows[-1].note == "received 5 of 5 expected, restocked 4"
    verify_clean()


def test_a_kit_return_restocks_its_components_by_the_kit_ratio(
    api, setup, stock_of, log_of, verify_clean
):
    main, _, widget, gadget, box = setup
    rma = open_rma(api, main, lines=[{"sku": "BOX", "expected_quantity": 2}])
    r = receive(api, rma["id"], [{"sku": "BOX", "received_quantity": 2, "restocked_quantity": 1}])
    assert r.status_code == 201, r.content
    assert stock_of(widget, main) == (2, 0)
    assert stock_of(gadget, main) == (1, 0)
    assert [
        (
            r.expected_quantity,
            r.received_quantity,
            r.restocked_quantity,
            r.physical_change,
            r.kit_sku,
        )
        for r in log_of(widget)
        if r.event_type == "return_order"
    ] == [(4, None, None, 0, "BOX"), (4, 4, 2, 2, "BOX")]
    kit_rows = log_of(box)
    assert [
        (r.expected_quantity, r.received_quantity, r.restocked_quantity, r.quantity, r.event_id)
        for r in kit_rows
    ] == [(2, None, None, None, "RMA-1"), (2, 2, 1, 1, "RMA-1")]
    # One box can be built in Main from the restocked components.
    assert kit_rows[-1].warehouse_physical_on_hand == 1
    verify_clean()


def test_list_of_returns_filters_by_status(api, setup):
    main, _, _, _, _ = setup
    first = open_rma(api, main, number="RMA-1")
    open_rma(api, main, number="RMA-2")
    receive(api, first["id"], [{"sku": "GADGET", "received_quantity": 1, "restocked_quantity": 1}])
    items = api.get("/returns").json()["items"]
    assert [(i["number"], i["status"]) for i in items] == [("RMA-2", "open"), ("RMA-1", "partial")]
    assert items[1]["total_expected"] == 4 and items[1]["total_restocked"] == 1
    partial = api.get("/returns", {"status": "partial"}).json()["items"]
    assert [i["number"] for i in partial] == ["RMA-1"]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"number": "RMA-1", "lines": [{"sku": "WIDGET", "expected_quantity": 1}]}, "number"),
        ({"number": "RMA-2", "lines": [{"sku": "NOPE", "expected_quantity": 1}]}, "lines[0].sku"),
        (
            {"number": "RMA-2", "lines": [{"sku": "WIDGET", "expected_quantity": 0}]},
            "lines[0].expected_quantity",
        ),
        (
            {
                "number": "RMA-2",
                "lines": [
                    {"sku": "WIDGET", "expected_quantity": 1},
                    {"sku": "WIDGET", "expected_quantity": 1},
                ],
            },
            "lines[1].sku",
        ),
        ({"number": "RMA-2", "lines": []}, "lines"),
        ({"number": "RMA-2", "warehouse_id": "OTHER", "lines": []}, "warehouse_id"),
    ],
)
def test_invalid_rmas_are_422_naming_the_field_and_write_nothing(
    api, other_api, setup, db_dump, body, field
):
    from stockledger.warehouses.services import warehouse_create

    main, _, _, _, _ = setup
    open_rma(api, main)
    theirs = warehouse_create(company=other_api.company, name="Theirs")
    body.setdefault("warehouse_id", main.id)
    if body["warehouse_id"] == "OTHER":
        body["warehouse_id"] = theirs.id
    before = db_dump()
    r = api.post("/returns", body)
    assert r.status_code == 422, r.content
    assert field in [e["field"] for e in r.json()["errors"]], r.json()
    assert db_dump() == before


@pytest.mark.parametrize(
    "lines, field",
    [
        # Restock above received, in one receipt.
        (
            [{"sku": "WIDGET", "received_quantity": 1, "restocked_quantity": 2}],
            "lines[0].restocked_quantity",
        ),
        # ... and over receipts: 1 received before, 1 restocked before.
        (
            [{"sku": "GADGET", "received_quantity": 0, "restocked_quantity": 1}],
            "lines[0].restocked_quantity",
        ),
        # Received past expected (1 of GADGET expected, 1 arrived before).
        (
            [{"sku": "GADGET", "received_quantity": 1, "restocked_quantity": 0}],
            "lines[0].received_quantity",
        ),
        (
            [{"sku": "WIDGET", "received_quantity": 4, "restocked_quantity": 0}],
            "lines[0].received_quantity",
        ),
        (
            [{"sku": "WIDGET", "received_quantity": 0, "restocked_quantity": 0}],
            "lines[0].received_quantity",
        ),
        (
            [{"sku": "WIDGET", "received_quantity": -1, "restocked_quantity": 0}],
            "lines[0].received_quantity",
        ),
        ([{"sku": "BOX", "received_quantity": 1, "restocked_quantity": 0}], "lines[0].sku"),
        ([{"sku": "NOPE", "received_quantity": 1, "restocked_quantity": 0}], "lines[0].sku"),
        (
            [
                {"sku": "WIDGET", "received_quantity": 1, "restocked_quantity": 0},
                {"sku": "WIDGET", "received_quantity": 1, "restocked_quantity": 0},
            ],
            "lines[1].sku",
        ),
        # A good first line does not survive a bad second one.
        (
            [
                {"sku": "WIDGET", "received_quantity": 2, "restocked_quantity": 2},
                {"sku": "GADGET", "received_quantity": 0, "restocked_quantity": 5},
            ],
            "lines[1].restocked_quantity",
        ),
        ([], "lines"),
    ],
)
def test_invalid_receipts_are_422_naming_the_field_and_write_nothing(
    api, setup, db_dump, lines, field
):
    main, _, _, _, _ = setup
    rma = open_rma(api, main)
    r = receive(
        api, rma["id"], [{"sku": "GADGET", "received_quantity": 1, "restocked_quantity": 1}]
    )
    assert r.status_code == 201
    before = db_dump()
    r = receive(api, rma["id"], lines)
    assert r.status_code == 422, r.content
    payload = r.json()
    assert field in [e["field"] for e in payload["errors"]], payload
    assert db_dump() == before


def test_restocking_more_than_received_says_why(api, setup):
    main, _, _, _, _ = setup
    rma = open_rma(api, main)
    r = receive(
        api, rma["id"], [{"sku": "WIDGET", "received_quantity": 1, "restocked_quantity": 2}]
    )
    assert r.json()["detail"] == (
        "restocked cannot exceed received: 1 of WIDGET received on RMA RMA-1, 0 restocked "
        "before; cannot restock 2 more"
    )


def test_another_companys_rma_is_404_and_untouched(api, other_api, setup, db_dump):
    from stockledger.catalog.services import product_create
    from stockledger.returns.services import return_create
    from stockledger.warehouses.services import warehouse_create

    theirs_wh = warehouse_create(company=other_api.company, name="Theirs")
    product_create(company=other_api.company, sku="WIDGET", name="Their widget")
    theirs, _ = return_create(
        company=other_api.company,
        number="RMA-1",
        warehouse=theirs_wh,
        lines=[{"sku": "WIDGET", "expected_quantity": 2}],
    )
    before = db_dump()
    assert api.get(f"/returns/{theirs.id}").status_code == 404
    assert api.get(f"/returns/{theirs.id}/log").status_code == 404
    r = receive(
        api, theirs.id, [{"sku": "WIDGET", "received_quantity": 1, "restocked_quantity": 1}]
    )
    assert r.status_code == 404
    assert api.get("/returns").json()["items"] == []
    assert db_dump() == before
    main, _, _, _, _ = setup
    open_rma(api, main, number="RMA-1")  # their number is free for us


def test_malformed_json_is_a_400_and_writes_nothing(api, setup, db_dump):
    main, _, _, _, _ = setup
    rma = open_rma(api, main)
    before = db_dump()
    assert api.post("/returns", raw="{").status_code == 400
    assert api.post(f"/returns/{rma['id']}/receive", raw="nope").status_code == 400
    assert db_dump() == before
