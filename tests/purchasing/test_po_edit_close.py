"""Editing a purchase order while nothing is received, and closing it (services and API)."""

import pytest

from stockledger.core.errors import Conflict, InvalidInput
from stockledger.ledger.models import LogEntry
from stockledger.purchasing.models import PurchaseOrderStatus
from stockledger.purchasing.services import (
    purchase_order_close,
    purchase_order_create,
    purchase_order_line_clean,
    purchase_order_receive,
    purchase_order_update,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(company, warehouses, product_factory):
    widget = product_factory("WIDGET")
    gadget = product_factory("GADGET")
    product_factory("BOX", components=[{"sku": "WIDGET", "quantity": 2}])
    return warehouses, widget, gadget


@pytest.fixture
def po(company, setup, user):
    (main, _), _, _ = setup
    return purchase_order_create(
        company=company,
        number="PO-1",
        warehouse=main,
        supplier="Acme Supply",
        lines=[{"sku": "WIDGET", "quantity": 10}, {"sku": "GADGET", "quantity": 4}],
        user=user,
    )


def lines_of(po):
    return [(li.product.sku, li.quantity_ordered) for li in po.lines.order_by("id")]


def test_editing_an_unreceived_po_replaces_its_lines_and_fields_and_logs_nothing(
    company, setup, po
):
    (_, east), _, _ = setup
    purchase_order_update(
        company=company,
        purchase_order=po,
        number="PO-1A",
        warehouse=east,
        supplier="  Other Supply ",
        lines=[{"sku": "GADGET", "quantity": 7}],
    )
    po.refresh_from_db()
    assert (po.number, po.warehouse, po.supplier) == ("PO-1A", east, "Other Supply")
    assert lines_of(po) == [("GADGET", 7)]
    assert LogEntry.objects.count() == 0


def test_an_edit_without_lines_keeps_the_lines(company, po):
    purchase_order_update(company=company, purchase_order=po, supplier="")
    po.refresh_from_db()
    assert po.supplier == "" and lines_of(po) == [("WIDGET", 10), ("GADGET", 4)]


def test_a_po_with_a_receipt_can_no_longer_be_edited(company, po, db_dump):
    purchase_order_receive(
        company=company, purchase_order=po, number="GR-1", lines=[{"sku": "GADGET", "quantity": 1}]
    )
    before = db_dump()
    with pytest.raises(Conflict, match="goods received"):
        purchase_order_update(
            company=company, purchase_order=po, lines=[{"sku": "WIDGET", "quantity": 1}]
        )
    assert db_dump() == before


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"lines": [{"sku": "NOPE", "quantity": 1}]}, "lines[0].sku"),
        ({"lines": [{"sku": "BOX", "quantity": 1}]}, "lines[0].sku"),
        (
            {"lines": [{"sku": "WIDGET", "quantity": 1}, {"sku": "WIDGET", "quantity": 1}]},
            "lines[1].sku",
        ),
        ({"lines": [{"sku": "WIDGET", "quantity": 0}]}, "lines[0].quantity"),
        ({"lines": []}, "lines"),
        ({"number": "  "}, "number"),
        ({"supplier": "x" * 201}, "supplier"),
    ],
)
def test_a_bad_edit_names_the_field_and_changes_nothing(company, po, db_dump, kwargs, field):
    before = db_dump()
    with pytest.raises(InvalidInput) as exc:
        purchase_order_update(company=company, purchase_order=po, **({"number": "PO-9"} | kwargs))
    assert exc.value.field == field
    assert db_dump() == before


def test_an_edit_to_another_pos_number_is_refused(company, setup, po, db_dump):
    (main, _), _, _ = setup
    purchase_order_create(
        company=company, number="PO-2", warehouse=main, lines=[{"sku": "WIDGET", "quantity": 1}]
    )
    before = db_dump()
    with pytest.raises(InvalidInput) as exc:
        purchase_order_update(company=company, purchase_order=po, number="PO-2")
    assert exc.value.field == "number"
    assert db_dump() == before


def test_a_closed_po_refuses_receipts_and_edits(company, po, user, stock_of, setup, db_dump):
    (main, _), widget, _ = setup
    purchase_order_receive(
        company=company, purchase_order=po, number="GR-1", lines=[{"sku": "WIDGET", "quantity": 3}]
    )
    closed = purchase_order_close(company=company, purchase_order=po, user=user)
    assert closed.status == PurchaseOrderStatus.CLOSED
    assert closed.closed_by == user and closed.closed_at is not None
    before = db_dump()
    with pytest.raises(Conflict, match="closed"):
        purchase_order_receive(
            company=company,
            purchase_order=po,
            number="GR-2",
            lines=[{"sku": "WIDGET", "quantity": 1}],
        )
    with pytest.raises(Conflict, match="already closed"):
        purchase_order_close(company=company, purchase_order=po)
    assert db_dump() == before
    assert stock_of(widget, main) == (3, 0)
    assert [r.event_type for r in LogEntry.objects.all()] == ["po_received"]


def test_a_line_is_checked_alone_for_a_spreadsheet_preview(company, setup):
    _, widget, _ = setup
    assert purchase_order_line_clean(company=company, line={"sku": "WIDGET", "quantity": 2}) == (
        widget,
        2,
    )
    with pytest.raises(InvalidInput) as exc:
        purchase_order_line_clean(
            company=company, line={"sku": "BOX", "quantity": 2}, where="row 7"
        )
    assert exc.value.field == "row 7.sku"


# --- API -----------------------------------------------------------------------------------


def create(api, warehouse, **extra):
    body = {
        "number": "PO-1",
        "warehouse_id": warehouse.id,
        "lines": [{"sku": "WIDGET", "quantity": 10}],
        **extra,
    }
    r = api.post("/purchase-orders", body)
    assert r.status_code == 201, r.content
    return r.json()


def test_api_patch_changes_the_given_fields_and_put_replaces_them(api, setup):
    (main, east), _, _ = setup
    po = create(api, main, supplier="Acme Supply")
    assert (po["supplier"], po["editable"], po["closed_at"]) == ("Acme Supply", True, None)
    r = api.request(
        "PATCH", f"/purchase-orders/{po['id']}", {"lines": [{"sku": "GADGET", "quantity": 3}]}
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert [(li["sku"], li["ordered"]) for li in body["lines"]] == [("GADGET", 3)]
    assert (body["number"], body["supplier"], body["warehouse_id"]) == (
        "PO-1",
        "Acme Supply",
        main.id,
    )
    r = api.put(
        f"/purchase-orders/{po['id']}",
        {"number": "PO-1B", "warehouse_id": east.id, "lines": [{"sku": "WIDGET", "quantity": 1}]},
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["number"], body["supplier"], body["warehouse_name"]) == ("PO-1B", "", "East")
    assert [(li["sku"], li["ordered"]) for li in body["lines"]] == [("WIDGET", 1)]


def test_api_edit_after_a_receipt_is_409_and_close_reports_what_stays_outstanding(api, setup):
    (main, _), _, _ = setup
    po = create(api, main)
    r = api.post(
        f"/purchase-orders/{po['id']}/receipts",
        {"number": "GR-1", "lines": [{"sku": "WIDGET", "quantity": 4}]},
    )
    assert r.status_code == 201
    assert r.json()["purchase_order"]["editable"] is False
    r = api.request("PATCH", f"/purchase-orders/{po['id']}", {"supplier": "x"})
    assert r.status_code == 409 and "goods received" in r.json()["detail"]
    r = api.post(f"/purchase-orders/{po['id']}/close")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["status"] == "closed" and body["closed_at"]
    assert [(li["received"], li["outstanding"]) for li in body["lines"]] == [(4, 6)]
    r = api.post(
        f"/purchase-orders/{po['id']}/receipts",
        {"number": "GR-2", "lines": [{"sku": "WIDGET", "quantity": 1}]},
    )
    assert r.status_code == 409 and "closed" in r.json()["detail"]
    assert api.post(f"/purchase-orders/{po['id']}/close").status_code == 409
    assert [
        p["number"] for p in api.get("/purchase-orders", {"status": "closed"}).json()["items"]
    ] == ["PO-1"]


def test_api_edit_bad_input_names_the_field(api, setup, db_dump):
    (main, _), _, _ = setup
    po = create(api, main)
    before = db_dump()
    r = api.request(
        "PATCH", f"/purchase-orders/{po['id']}", {"lines": [{"sku": "NOPE", "quantity": 1}]}
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "lines[0].sku"
    r = api.request("PATCH", f"/purchase-orders/{po['id']}", {"warehouse_id": 999999})
    assert r.status_code == 422
    assert db_dump() == before


def test_another_companys_po_is_404_to_edit_and_close(api, other_api, setup):
    (main, _), _, _ = setup
    po = create(api, main)
    assert (
        other_api.request("PATCH", f"/purchase-orders/{po['id']}", {"supplier": "x"}).status_code
        == 404
    )
    assert (
        other_api.put(
            f"/purchase-orders/{po['id']}",
            {"number": "X", "warehouse_id": main.id, "lines": [{"sku": "WIDGET", "quantity": 1}]},
        ).status_code
        == 404
    )
    assert other_api.post(f"/purchase-orders/{po['id']}/close").status_code == 404
    assert api.get(f"/purchase-orders/{po['id']}").json()["status"] == "open"
