"""Purchase orders and goods receipts: po_received rows, partial and over-receipts, bad input."""

import pytest

from stockledger.ledger.models import LogEntry


@pytest.fixture
def setup(api, warehouses, product_factory):
    widget = product_factory("WIDGET")
    gadget = product_factory("GADGET")
    product_factory("BOX", components=[{"sku": "WIDGET", "quantity": 2}])
    return warehouses, widget, gadget


def create_po(api, warehouse, number="PO-1", lines=None):
    lines = lines or [{"sku": "WIDGET", "quantity": 10}, {"sku": "GADGET", "quantity": 4}]
    r = api.post(
        "/purchase-orders", {"number": number, "warehouse_id": warehouse.id, "lines": lines}
    )
    assert r.status_code == 201, r.content
    return r.json()


def receive(api, po_id, number, lines):
    return api.post(f"/purchase-orders/{po_id}/receipts", {"number": number, "lines": lines})


def test_creating_a_purchase_order_changes_no_stock_and_logs_nothing(api, setup, stock_of):
    (main, _), widget, _ = setup
    po = create_po(api, main)
    assert po["status"] == "open"
    assert po["warehouse_name"] == "Main"
    assert [(li["sku"], li["ordered"], li["received"]) for li in po["lines"]] == [
        ("WIDGET", 10, 0),
        ("GADGET", 4, 0),
    ]
    assert stock_of(widget, main) == (0, 0)
    assert LogEntry.objects.count() == 0


def test_a_partial_receipt_adds_stock_and_logs_po_received_with_the_po_number(
    api, user, setup, stock_of, log_of, verify_clean
):
    (main, _), widget, gadget = setup
    po = create_po(api, main)
    r = receive(api, po["id"], "GR-1", [{"sku": "WIDGET", "quantity": 6}])
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["purchase_order"]["status"] == "partial"
    assert body["receipt"]["number"] == "GR-1"
    assert [
        (li["sku"], li["received"], li["outstanding"]) for li in body["purchase_order"]["lines"]
    ] == [
        ("WIDGET", 6, 4),
        ("GADGET", 0, 4),
    ]
    assert stock_of(widget, main) == (6, 0)
    [row] = log_of(widget)
    assert row.event_type == "po_received"
    assert (row.quantity, row.physical_change, row.physical_on_hand) == (6, 6, 6)
    assert row.event_id == "PO-1"
    assert row.warehouse_name == "Main"
    assert row.user_name == user.username
    assert row.note == "goods receipt GR-1"
    assert row.explanation == "received 6 of 10 ordered"
    assert (row.document_type, row.document_id) == ("purchase_order", po["id"])
    assert [e["sequence"] for e in body["entries"]] == [row.id]
    assert log_of(gadget) == []
    verify_clean()


def test_receipts_complete_the_po_and_an_over_receipt_is_recorded(
    api, setup, stock_of, log_of, verify_clean
):
    (main, _), widget, gadget = setup
    po = create_po(api, main)
    assert receive(api, po["id"], "GR-1", [{"sku": "WIDGET", "quantity": 6}]).status_code == 201
    r = receive(
        api,
        po["id"],
        "GR-2",
        [{"sku": "WIDGET", "quantity": 7}, {"sku": "GADGET", "quantity": 4}],
    )
    assert r.status_code == 201, r.content
    detail = api.get(f"/purchase-orders/{po['id']}").json()
    assert detail["status"] == "received"
    assert [(li["received"], li["outstanding"], li["over_received"]) for li in detail["lines"]] == [
        (13, 0, 3),
        (4, 0, 0),
    ]
    assert [rc["number"] for rc in detail["receipts"]] == ["GR-1", "GR-2"]
    assert stock_of(widget, main) == (13, 0)
    assert stock_of(gadget, main) == (4, 0)
    rows = log_of(widget)
    assert [(r.quantity, r.physical_on_hand, r.note) for r in rows] == [
        (6, 6, "goods receipt GR-1"),
        (7, 13, "goods receipt GR-2"),
    ]
    assert rows[1].explanation == "received 13 of 10 ordered; over-received by 3"
    # A further receipt on a fully received PO is all excess.
    r = receive(api, po["id"], "GR-3", [{"sku": "GADGET", "quantity": 2}])
    assert r.status_code == 201
    assert log_of(gadget)[-1].explanation == "received 6 of 4 ordered; over-received by 2"
    assert [e["event_id"] for e in api.get(f"/purchase-orders/{po['id']}/log").json()["items"]] == [
        "PO-1"
    ] * 4
    verify_clean()


def test_list_filters_by_status_and_pages_newest_first(api, setup):
    (main, east), _, _ = setup
    for n in range(3):
        create_po(api, main if n % 2 else east, number=f"PO-{n}")
    first = api.get("/purchase-orders", {"limit": 2}).json()
    assert [p["number"] for p in first["items"]] == ["PO-2", "PO-1"]
    assert first["items"][0]["total_ordered"] == 14 and first["items"][0]["line_count"] == 2
    second = api.get("/purchase-orders", {"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [p["number"] for p in second["items"]] == ["PO-0"]
    assert second["next_cursor"] is None
    receive(api, first["items"][0]["id"], "GR-1", [{"sku": "GADGET", "quantity": 1}])
    partial = api.get("/purchase-orders", {"status": "partial"}).json()["items"]
    assert [p["number"] for p in partial] == ["PO-2"]
    assert api.get("/purchase-orders", {"status": "nope"}).status_code == 422


@pytest.mark.parametrize(
    "body, field",
    [
        ({"number": "PO-1", "lines": [{"sku": "WIDGET", "quantity": 1}]}, "number"),
        ({"number": " ", "lines": [{"sku": "WIDGET", "quantity": 1}]}, "number"),
        ({"number": "PO-2", "lines": [{"sku": "NOPE", "quantity": 1}]}, "lines[0].sku"),
        ({"number": "PO-2", "lines": [{"sku": "BOX", "quantity": 1}]}, "lines[0].sku"),
        ({"number": "PO-2", "lines": [{"sku": "WIDGET", "quantity": 0}]}, "lines[0].quantity"),
        ({"number": "PO-2", "lines": []}, "lines"),
        (
            {
                "number": "PO-2",
                "lines": [{"sku": "WIDGET", "quantity": 1}, {"sku": "WIDGET", "quantity": 2}],
            },
            "lines[1].sku",
        ),
        ({"number": "PO-2", "warehouse_id": 999999, "lines": []}, "warehouse_id"),
        ({"number": "PO-2", "warehouse_id": "OTHER", "lines": []}, "warehouse_id"),
    ],
)
def test_invalid_purchase_orders_are_422_naming_the_field_and_write_nothing(
    api, other_api, setup, db_dump, body, field
):
    from stockledger.warehouses.services import warehouse_create

    (main, _), _, _ = setup
    create_po(api, main)
    theirs = warehouse_create(company=other_api.company, name="Theirs")
    body.setdefault("warehouse_id", main.id)
    if body["warehouse_id"] == "OTHER":
        body["warehouse_id"] = theirs.id
    before = db_dump()
    r = api.post("/purchase-orders", body)
    assert r.status_code == 422, r.content
    assert field in [e["field"] for e in r.json()["errors"]], r.json()
    assert db_dump() == before


@pytest.mark.parametrize(
    "body, field",
    [
        ({"number": "GR-1", "lines": [{"sku": "GADGET", "quantity": 1}]}, "number"),
        ({"number": "GR-2", "lines": [{"sku": "NOPE", "quantity": 1}]}, "lines[0].sku"),
        ({"number": "GR-2", "lines": [{"sku": "BOX", "quantity": 1}]}, "lines[0].sku"),
        ({"number": "GR-2", "lines": [{"sku": "WIDGET", "quantity": -1}]}, "lines[0].quantity"),
        ({"number": "GR-2", "lines": []}, "lines"),
        (
            {
                "number": "GR-2",
                "lines": [{"sku": "GADGET", "quantity": 1}, {"sku": "GADGET", "quantity": 1}],
            },
            "lines[1].sku",
        ),
    ],
)
def test_invalid_receipts_are_422_naming_the_field_and_write_nothing(
    api, setup, db_dump, body, field
):
    (main, _), _, _ = setup
    po = create_po(api, main, lines=[{"sku": "GADGET", "quantity": 5}])
    assert receive(api, po["id"], "GR-1", [{"sku": "GADGET", "quantity": 1}]).status_code == 201
    before = db_dump()
    r = receive(api, po["id"], body["number"], body["lines"])
    assert r.status_code == 422, r.content
    assert field in [e["field"] for e in r.json()["errors"]], r.json()
    assert db_dump() == before


def test_a_receipt_number_may_repeat_on_another_po(api, setup, log_of):
    (main, _), widget, _ = setup
    first = create_po(api, main, number="PO-A")
    second = create_po(api, main, number="PO-B")
    assert receive(api, first["id"], "GR-1", [{"sku": "WIDGET", "quantity": 1}]).status_code == 201
    assert receive(api, second["id"], "GR-1", [{"sku": "WIDGET", "quantity": 2}]).status_code == 201
    assert [(r.event_id, r.quantity) for r in log_of(widget)] == [("PO-A", 1), ("PO-B", 2)]


def test_another_companys_purchase_order_is_404_and_untouched(api, other_api, setup, db_dump):
    from stockledger.catalog.services import product_create
    from stockledger.warehouses.services import warehouse_create

    product_create(company=other_api.company, sku="WIDGET", name="Their widget")
    theirs = warehouse_create(company=other_api.company, name="Theirs")
    r = other_api.post(
        "/purchase-orders",
        {"number": "PO-1", "warehouse_id": theirs.id, "lines": [{"sku": "WIDGET", "quantity": 3}]},
    )
    assert r.status_code == 201
    their_po = r.json()["id"]
    before = db_dump()
    assert api.get(f"/purchase-orders/{their_po}").status_code == 404
    assert api.get(f"/purchase-orders/{their_po}/log").status_code == 404
    r = receive(api, their_po, "GR-1", [{"sku": "WIDGET", "quantity": 1}])
    assert r.status_code == 404
    assert api.get("/purchase-orders").json()["items"] == []
    assert db_dump() == before
    # The same PO number is free in our company.
    (main, _), _, _ = setup
    create_po(api, main, number="PO-1")


def test_purchase_order_service_refuses_a_duplicate_number_raced_past_the_check(
    company, warehouses, product_factory
):
    """The unique constraint backs the check: a concurrent duplicate is still a clean 422."""
    from unittest import mock

    from stockledger.core.errors import InvalidInput
    from stockledger.purchasing.models import PurchaseOrder
    from stockledger.purchasing.services import purchase_order_create

    product_factory("WIDGET")
    lines = [{"sku": "WIDGET", "quantity": 1}]
    purchase_order_create(company=company, number="PO-1", warehouse=warehouses[0], lines=lines)
    with mock.patch.object(PurchaseOrder.objects, "filter") as filt:
        filt.return_value.exists.return_value = False
        with pytest.raises(InvalidInput) as err:
            purchase_order_create(
                company=company, number="PO-1", warehouse=warehouses[0], lines=lines
            )
    assert err.value.field == "number"
    assert PurchaseOrder.objects.count() == 1


def test_malformed_json_is_a_400_and_writes_nothing(api, setup, db_dump):
    (main, _), _, _ = setup
    po = create_po(api, main)
    before = db_dump()
    assert api.post("/purchase-orders", raw="{not json").status_code == 400
    assert api.post(f"/purchase-orders/{po['id']}/receipts", raw="[").status_code == 400
    assert db_dump() == before
