"""Inventory transfers: paired inventory_transfer rows, kits by ratio, all-or-nothing refusals."""

import pytest

from stockledger.ledger.models import LogEntry
from stockledger.ledger.services import stock_adjust


@pytest.fixture
def setup(company, warehouses, product_factory):
    main, east = warehouses
    widget = product_factory("WIDGET")
    gadget = product_factory("GADGET")
    box = product_factory(
        "BOX", components=[{"sku": "WIDGET", "quantity": 2}, {"sku": "GADGET", "quantity": 1}]
    )
    stock_adjust(company=company, product=widget, warehouse=main, change=10)
    stock_adjust(company=company, product=gadget, warehouse=main, change=5)
    return main, east, widget, gadget, box


def transfer(api, sending, receiving, lines, notes="restock east", **extra):
    body = {
        "sending_warehouse_id": sending.id,
        "receiving_warehouse_id": receiving.id,
        "notes": notes,
        "lines": lines,
    } | extra
    return api.post("/transfers", body)


def test_a_transfer_moves_stock_and_logs_a_row_at_each_warehouse(
    api, user, setup, stock_of, log_of, verify_clean
):
    main, east, widget, gadget, _ = setup
    r = transfer(api, main, east, [{"sku": "WIDGET", "quantity": 4, "notes": "shelf A3"}])
    assert r.status_code == 201, r.content
    body = r.json()
    number = body["number"]
    assert number == f"TR-{body['id']}"
    assert (body["sending_warehouse_name"], body["receiving_warehouse_name"]) == ("Main", "East")
    assert stock_of(widget, main) == (6, 0)
    assert stock_of(widget, east) == (4, 0)
    send, arrive = log_of(widget, event_type="inventory_transfer")
    for row in (send, arrive):
        assert row.quantity == 4
        assert row.event_id == number
        assert (row.sending_warehouse_name, row.receiving_warehouse_name) == ("Main", "East")
        assert (row.transfer_notes, row.line_notes) == ("restock east", "shelf A3")
        assert row.user_name == user.username
        assert (row.document_type, row.document_id) == ("transfer", body["id"])
        assert row.kit_sku == ""
    assert (send.warehouse_name, send.physical_change, send.warehouse_physical_on_hand) == (
        "Main",
        -4,
        6,
    )
    assert (arrive.warehouse_name, arrive.physical_change, arrive.warehouse_physical_on_hand) == (
        "East",
        4,
        4,
    )
    # The product's total is unchanged once the transfer is complete.
    assert arrive.physical_on_hand == 10
    assert [e["sequence"] for e in body["entries"]] == [send.id, arrive.id]
    assert log_of(gadget, event_type="inventory_transfer") == []
    verify_clean()


def test_a_kit_transfer_moves_its_components_by_the_kit_ratio(
    api, setup, stock_of, log_of, verify_clean
):
    main, east, widget, gadget, box = setup
    r = transfer(api, main, east, [{"sku": "BOX", "quantity": 3, "notes": "3 boxes"}])
    assert r.status_code == 201, r.content
    number = r.json()["number"]
    assert stock_of(widget, main) == (4, 0) and stock_of(widget, east) == (6, 0)
    assert stock_of(gadget, main) == (2, 0) and stock_of(gadget, east) == (3, 0)
    assert [
        (row.warehouse_name, row.physical_change, row.quantity, row.kit_sku, row.event_id)
        for row in log_of(widget, event_type="inventory_transfer")
    ] == [("Main", -6, 6, "BOX", number), ("East", 6, 6, "BOX", number)]
    assert [
        (row.warehouse_name, row.physical_change, row.quantity, row.kit_sku)
        for row in log_of(gadget, event_type="inventory_transfer")
    ] == [("Main", -3, 3, "BOX"), ("East", 3, 3, "BOX")]
    kit_rows = log_of(box)
    assert [
        (row.warehouse_name, row.physical_change, row.quantity, row.line_notes, row.event_id)
        for row in kit_rows
    ] == [("Main", 0, 3, "3 boxes", number), ("East", 0, 3, "3 boxes", number)]
    # The kit's quantities are derived from its components after the move: Main can build
    # min(4/2, 2/1) = 2 boxes, East min(6/2, 3/1) = 3, in total min(10/2, 5/1) = 5.
    assert [row.warehouse_physical_on_hand for row in kit_rows] == [2, 3]
    assert kit_rows[-1].physical_on_hand == 5
    detail = api.get(f"/transfers/{r.json()['id']}").json()
    assert [(li["sku"], li["kind"], li["quantity"]) for li in detail["lines"]] == [
        ("BOX", "kit", 3)
    ]
    verify_clean()


def test_a_caller_may_number_the_transfer(api, setup, log_of):
    main, east, widget, _, _ = setup
    r = transfer(api, main, east, [{"sku": "WIDGET", "quantity": 1}], number="MOVE-7")
    assert r.status_code == 201, r.content
    assert r.json()["number"] == "MOVE-7"
    assert {row.event_id for row in log_of(widget, event_type="inventory_transfer")} == {"MOVE-7"}


def test_list_and_detail_of_transfers(api, setup):
    main, east, _, _, _ = setup
    first = transfer(api, main, east, [{"sku": "WIDGET", "quantity": 1}]).json()
    second = transfer(
        api,
        east,
        main,
        [{"sku": "WIDGET", "quantity": 1}, {"sku": "GADGET", "quantity": 1}],
        notes="",
    )
    assert second.status_code == 422  # East holds no GADGET
    second = transfer(api, east, main, [{"sku": "WIDGET", "quantity": 1}], notes="back").json()
    items = api.get("/transfers").json()["items"]
    assert [t["id"] for t in items] == [second["id"], first["id"]]
    assert items[0]["total_quantity"] == 1 and items[0]["line_count"] == 1
    page = api.get("/transfers", {"limit": 1}).json()
    assert len(page["items"]) == 1 and page["next_cursor"]
    detail = api.get(f"/transfers/{first['id']}").json()
    assert detail["notes"] == "restock east"
    assert detail["lines"][0]["sku"] == "WIDGET"
    log = api.get(f"/transfers/{first['id']}/log").json()["items"]
    assert [(e["warehouse_name"], e["physical_change"]) for e in log] == [("Main", -1), ("East", 1)]


@pytest.mark.parametrize(
    "lines, extra, field",
    [
        ([{"sku": "WIDGET", "quantity": 11}], {}, "lines[0].quantity"),
        # Earlier lines count: 6 + 5 > 10 held.
        (
            [{"sku": "WIDGET", "quantity": 6}, {"sku": "WIDGET", "quantity": 5}],
            {},
            "lines[1].quantity",
        ),
        # 3 boxes need 6 WIDGET (ok) and 3 GADGET, but the first line took 3 of the 5 GADGET.
        (
            [{"sku": "GADGET", "quantity": 3}, {"sku": "BOX", "quantity": 3}],
            {},
            "lines[1].quantity",
        ),
        ([{"sku": "NOPE", "quantity": 1}], {}, "lines[0].sku"),
        ([{"sku": "WIDGET", "quantity": 0}], {}, "lines[0].quantity"),
        ([{"sku": "WIDGET", "quantity": -2}], {}, "lines[0].quantity"),
        ([], {}, "lines"),
        ([{"sku": "WIDGET", "quantity": 1}], {"receiving_warehouse_id": "MAIN"}, "receiving"),
        ([{"sku": "WIDGET", "quantity": 1}], {"receiving_warehouse_id": 999999}, "receiving"),
        ([{"sku": "WIDGET", "quantity": 1}], {"sending_warehouse_id": "OTHER"}, "sending"),
        ([{"sku": "WIDGET", "quantity": 1}], {"number": "TR-99"}, "number"),
        ([{"sku": "WIDGET", "quantity": 1}], {"number": "USED"}, "number"),
        ([{"sku": "WIDGET", "quantity": 1}], {"notes": "x" * 2001}, "notes"),
        ([{"sku": "WIDGET", "quantity": 1, "notes": "x" * 2001}], {}, "lines[0].notes"),
    ],
)
def test_refused_transfers_are_422_naming_the_field_and_write_nothing(
    api, other_api, setup, db_dump, lines, extra, field
):
    from stockledger.warehouses.services import warehouse_create

    main, east, _, _, _ = setup
    theirs = warehouse_create(company=other_api.company, name="Theirs")
    used = transfer(api, main, east, [{"sku": "GADGET", "quantity": 1}], number="USED")
    assert used.status_code == 201
    placeholders = {"MAIN": main.id, "OTHER": theirs.id}
    extra = {k: placeholders.get(v, v) for k, v in extra.items()}
    before = db_dump()
    r = transfer(api, main, east, lines, **extra)
    assert r.status_code == 422, r.content
    fields = [e["field"] for e in r.json()["errors"]]
    assert any(f.startswith(field) for f in fields), r.json()
    assert db_dump() == before


def test_transferring_more_than_held_names_the_sku_and_what_is_held(api, setup):
    main, east, _, _, _ = setup
    r = transfer(api, main, east, [{"sku": "WIDGET", "quantity": 11}])
    assert r.json()["detail"] == "Main holds 10 of WIDGET; cannot transfer 11"
    r = transfer(api, main, east, [{"sku": "BOX", "quantity": 6}])
    assert r.json()["detail"] == "6 x kit BOX needs 12 of WIDGET; Main holds 10"


def test_units_committed_to_orders_may_still_be_moved(company, setup, stock_of):
    """'Holds' is physical on hand; available on hand at the sending warehouse may go negative."""
    from stockledger.ledger.models import EventType
    from stockledger.ledger.services import LogLine, ledger_record, write_transaction
    from stockledger.transfers.services import transfer_create

    main, east, widget, _, _ = setup

    @write_transaction
    def commit_eight():
        ledger_record(
            company=company,
            event_type=EventType.ORDER,
            lines=[LogLine(widget, main, committed_change=8, quantity=8)],
        )

    commit_eight()
    transfer_create(
        company=company,
        sending_warehouse=main,
        receiving_warehouse=east,
        lines=[{"sku": "WIDGET", "quantity": 5}],
    )
    assert stock_of(widget, main) == (5, 8)
    row = LogEntry.objects.filter(product=widget, warehouse=main).order_by("id").last()
    assert row.warehouse_available_on_hand == -3


def test_another_companys_transfer_is_404(api, other_api, setup):
    from stockledger.catalog.services import product_create
    from stockledger.transfers.services import transfer_create
    from stockledger.warehouses.services import warehouse_create

    a = warehouse_create(company=other_api.company, name="A")
    b = warehouse_create(company=other_api.company, name="B")
    product = product_create(company=other_api.company, sku="THEIRS", name="Theirs")
    stock_adjust(company=other_api.company, product=product, warehouse=a, change=2)
    theirs, _ = transfer_create(
        company=other_api.company,
        sending_warehouse=a,
        receiving_warehouse=b,
        lines=[{"sku": "THEIRS", "quantity": 1}],
    )
    assert api.get(f"/transfers/{theirs.id}").status_code == 404
    assert api.get(f"/transfers/{theirs.id}/log").status_code == 404
    assert api.get("/transfers").json()["items"] == []
    assert other_api.get(f"/transfers/{theirs.id}").status_code == 200
    # Their SKU is unknown in our bodies.
    main, east, _, _, _ = setup
    r = transfer(api, main, east, [{"sku": "THEIRS", "quantity": 1}])
    assert r.status_code == 422


def test_the_service_refuses_another_companys_warehouse(company, other_api, setup):
    from stockledger.core.errors import InvalidInput
    from stockledger.transfers.services import transfer_create
    from stockledger.warehouses.services import warehouse_create

    main, _, _, _, _ = setup
    theirs = warehouse_create(company=other_api.company, name="Theirs")
    with pytest.raises(InvalidInput) as err:
        transfer_create(
            company=company,
            sending_warehouse=main,
            receiving_warehouse=theirs,
            lines=[{"sku": "WIDGET", "quantity": 1}],
        )
    assert err.value.field == "receiving_warehouse_id"


def test_malformed_json_is_a_400_and_writes_nothing(api, setup, db_dump):
    before = db_dump()
    r = api.post("/transfers", raw='{"lines": [')
    assert r.status_code == 400
    assert "detail" in r.json()
    assert db_dump() == before
