"""Every row of one event shows the product's totals after the WHOLE event (PRODUCT.md), while
the warehouse columns show each warehouse right after its own line; `verify` checks both."""

import pytest
from django.db import transaction

from stockledger.channels.services import channel_create
from stockledger.ledger.log_insert import insert_entries, new_log_entry
from stockledger.ledger.models import EventType, LogEntry
from stockledger.ledger.replay import replay
from stockledger.ledger.services import LogLine, ledger_record, stock_set, write_transaction
from stockledger.manufacturing.services import mo_create, mo_finish
from stockledger.orders.services import order_import
from stockledger.transfers.services import transfer_create

pytestmark = pytest.mark.django_db


def totals(row):
    return row.physical_on_hand, row.committed, row.available_on_hand


def test_a_transfers_sending_row_shows_the_total_after_the_move_not_units_in_transit(
    company, warehouses, product_factory, log_of, verify_clean
):
    main, east = warehouses
    mug = product_factory("MUG")
    stock_set(company=company, product=mug, warehouse=main, physical_on_hand=10)
    stock_set(company=company, product=mug, warehouse=east, physical_on_hand=2)
    transfer_create(
        company=company,
        sending_warehouse=main,
        receiving_warehouse=east,
        lines=[{"sku": "MUG", "quantity": 4}],
    )
    sending, receiving = log_of(mug, event_type="inventory_transfer")
    assert totals(sending) == totals(receiving) == (12, 0, 12)
    assert (sending.warehouse_id, sending.warehouse_physical_on_hand) == (main.id, 6)
    assert (receiving.warehouse_id, receiving.warehouse_physical_on_hand) == (east.id, 6)
    assert sending.event_group is not None and sending.event_group == receiving.event_group
    verify_clean()


def test_every_row_of_an_mo_shows_the_totals_after_the_mo(
    company, warehouses, product_factory, log_of, verify_clean
):
    main, _east = warehouses
    leg = product_factory("LEG")
    top = product_factory("TOP")
    table = product_factory(
        "TABLE", bom=[{"sku": "LEG", "quantity": 4}, {"sku": "TOP", "quantity": 1}]
    )
    stock_set(company=company, product=leg, warehouse=main, physical_on_hand=10)
    stock_set(company=company, product=top, warehouse=main, physical_on_hand=3)
    mo = mo_create(company=company, number="MO-1", product=table, quantity=2, warehouse=main)
    mo_finish(company=company, mo=mo)
    for product, expected in ((table, (2, 0, 2)), (leg, (2, 0, 2)), (top, (1, 0, 1))):
        [row] = log_of(product, event_type="mo_finished")
        assert totals(row) == expected, product.sku
    verify_clean()


def test_an_event_consuming_and_producing_one_sku_shows_the_final_total_on_both_rows(
    company, warehouses, product_factory, log_of, verify_clean
):
    main, _east = warehouses
    gear = product_factory("GEAR")
    stock_set(company=company, product=gear, warehouse=main, physical_on_hand=5)

    @write_transaction
    def rework():
        return ledger_record(
            company=company,
            event_type=EventType.MO_FINISHED,
            lines=[
                LogLine(product=gear, warehouse=main, physical_change=-3, quantity=-3),
                LogLine(product=gear, warehouse=main, physical_change=2, quantity=2),
            ],
            common={"event_id": "MO-R"},
        )

    consumed, produced = rework()
    assert totals(consumed) == totals(produced) == (4, 0, 4)
    assert consumed.warehouse_physical_on_hand == 2  # Main right after its own line
    assert produced.warehouse_physical_on_hand == 4
    verify_clean()


def test_a_kit_order_shows_the_totals_after_the_order_on_the_kit_and_every_component_row(
    company, warehouses, product_factory, log_of, verify_clean
):
    main, _east = warehouses
    mug = product_factory("MUG")
    spork = product_factory("SPORK")
    kit = product_factory(
        "KIT", components=[{"sku": "MUG", "quantity": 1}, {"sku": "SPORK", "quantity": 2}]
    )
    stock_set(company=company, product=mug, warehouse=main, physical_on_hand=10)
    stock_set(company=company, product=spork, warehouse=main, physical_on_hand=10)
    channel = channel_create(company=company, cart_type="shopify", name="Shop")
    # The kit and one of its components on one order: MUG gets two rows.
    order_import(
        company=company,
        channel=channel,
        order_number="1001",
        placed_at="2026-12-01T10:00:00+00:00",
        warehouse=main,
        lines=[{"sku": "KIT", "quantity": 2}, {"sku": "MUG", "quantity": 3}],
    )
    mug_rows = log_of(mug, event_type="order")
    assert len(mug_rows) == 2
    assert {totals(r) for r in mug_rows} == {(10, 5, 5)}
    assert [r.warehouse_committed for r in mug_rows] in ([2, 5], [3, 5])
    [spork_row] = log_of(spork, event_type="order")
    assert totals(spork_row) == (10, 4, 6)
    [kit_row] = log_of(kit, event_type="order")
    # After the order: min(5 / 1, 6 / 2) = 3 available, min(10, 5) = 5 physical.
    assert totals(kit_row) == (5, 2, 3)
    verify_clean()


def test_verify_catches_a_row_showing_a_total_in_between(
    company, warehouses, product_factory, log_of, verify_clean
):
    main, east = warehouses
    mug = product_factory("MUG")
    stock_set(company=company, product=mug, warehouse=main, physical_on_hand=10)
    [[sending, _receiving]] = [
        log
        for log in [
            transfer_create(
                company=company,
                sending_warehouse=main,
                receiving_warehouse=east,
                lines=[{"sku": "MUG", "quantity": 4}],
            )[1]
        ]
    ]
    verify_clean()
    # A forged event of two rows, the first showing the state between its lines (6, as the
    # ledger wrote before rows showed totals after the whole event).
    with transaction.atomic():
        values = {
            f.name: getattr(sending, f.attname)
            for f in LogEntry._meta.concrete_fields
            if not f.primary_key and not f.is_relation
        }
        first = new_log_entry(
            {
                **values,
                "company": company,
                "product": mug,
                "warehouse": main,
                "event_group": 7,
                "physical_change": -1,
                "warehouse_physical_on_hand": 5,
                "physical_on_hand": 9,
                "available_on_hand": 9,
            }
        )
        second = new_log_entry(
            {
                **values,
                "company": company,
                "product": mug,
                "warehouse": east,
                "event_group": 7,
                "physical_change": 1,
                "warehouse_physical_on_hand": 5,
                "physical_on_hand": 10,
                "available_on_hand": 10,
            }
        )
        insert_entries([first, second])
    mismatches = [m for m in replay(company) if m.sequence is not None]
    assert [(m.sequence, m.what, m.recorded, m.replayed) for m in mismatches] == [
        (first.id, "physical on hand", 9, 10),
        (first.id, "available on hand", 9, 10),
    ]
