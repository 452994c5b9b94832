"""One product through a purchase order, a transfer and a return, read back from its CSV."""

import csv
import io

from django.core.management import call_command

from stockledger.ledger.columns import SEED_COLUMNS


def test_receipt_transfer_and_return_read_back_row_by_row_from_the_csv(
    api, company, user, warehouses, product_factory, verify_clean, capsys
):
    main, east = warehouses
    product_factory("MUG")
    po = api.post(
        "/purchase-orders",
        {"number": "PO-77", "warehouse_id": main.id, "lines": [{"sku": "MUG", "quantity": 10}]},
    ).json()
    r = api.post(
        f"/purchase-orders/{po['id']}/receipts",
        {"number": "GR-1", "lines": [{"sku": "MUG", "quantity": 12}]},
    )
    assert r.status_code == 201
    r = api.post(
        "/transfers",
        {
            "sending_warehouse_id": main.id,
            "receiving_warehouse_id": east.id,
            "notes": "=fair stand",
            "number": "MOVE-1",
            "lines": [{"sku": "MUG", "quantity": 5, "notes": "fragile"}],
        },
    )
    assert r.status_code == 201, r.content
    rma = api.post(
        "/returns",
        {
            "number": "RMA-9",
            "warehouse_id": east.id,
            "lines": [{"sku": "MUG", "expected_quantity": 2}],
        },
    ).json()
    r = api.post(
        f"/returns/{rma['id']}/receive",
        {"lines": [{"sku": "MUG", "received_quantity": 2, "restocked_quantity": 1}]},
    )
    assert r.status_code == 201

    capsys.readouterr()
    call_command("export_log", company=company.id, sku="MUG")  # writes to stdout
    reader = csv.DictReader(io.StringIO(capsys.readouterr().out))
    assert tuple(reader.fieldnames[:20]) == SEED_COLUMNS
    got = [
        {k: row[k] for k in SEED_COLUMNS if k not in ("created_at", "imported_at") and row[k]}
        for row in reader
    ]
    who = user.username
    assert got == [
        {
            "event_type": "po_received",
            "quantity": "12",
            "available_on_hand": "12",
            "physical_on_hand": "12",
            "event_id": "PO-77",
            "warehouse_name": "Main",
            "user_name": who,
        },
        {
            "event_type": "inventory_transfer",
            "quantity": "5",
            # The product's total after the whole transfer, never 7 (units in transit).
            "available_on_hand": "12",
            "physical_on_hand": "12",
            "event_id": "MOVE-1",
            "warehouse_name": "Main",
            "user_name": who,
            "sending_warehouse_name": "Main",
            "receiving_warehouse_name": "East",
            "transfer_notes": "'=fair stand",
            "line_notes": "fragile",
        },
        {
            "event_type": "inventory_transfer",
            "quantity": "5",
            "available_on_hand": "12",
            "physical_on_hand": "12",
            "event_id": "MOVE-1",
            "warehouse_name": "East",
            "user_name": who,
            "sending_warehouse_name": "Main",
            "receiving_warehouse_name": "East",
            "transfer_notes": "'=fair stand",
            "line_notes": "fragile",
        },
        {
            "event_type": "return_order",
            "available_on_hand": "12",
            "physical_on_hand": "12",
            "event_id": "RMA-9",
            "warehouse_name": "East",
            "user_name": who,
            "expected_quantity": "2",
        },
        {
            "event_type": "return_order",
            "quantity": "1",
            "available_on_hand": "13",
            "physical_on_hand": "13",
            "event_id": "RMA-9",
            "warehouse_name": "East",
            "user_name": who,
            "expected_quantity": "2",
            "received_quantity": "2",
            "restocked_quantity": "1",
        },
    ]
    verify_clean()
