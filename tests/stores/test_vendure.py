"""End to end against a real Vendure store: orders placed in its shop reach our log, our
counts reach the store, a hand edit in its admin shows as drift and is repaired, and orders
placed while writebacks run leave the store equal to us."""

from __future__ import annotations

import secrets
import threading
from datetime import timedelta

import pytest
from django.utils import timezone

from stockledger.catalog.models import Product
from stockledger.channels.jobs import (
    channel_sync_enqueue,
    channel_writeback_enqueue,
    scheduler_tick,
)
from stockledger.channels.models import ChannelSync, ChannelSyncState
from stockledger.channels.selectors import channel_health
from stockledger.channels.services import (
    channel_connect_vendure,
    channel_create,
    channel_set_locations,
)
from stockledger.channels.writeback import writeback_lines
from stockledger.ledger.models import LogEntry
from stockledger.ledger.services import stock_set
from stockledger.warehouses.models import Stock
from tests.channel_jobs import run_channel_jobs

pytestmark = [pytest.mark.postgres_only]


@pytest.fixture
def shop(vendure_store, company, warehouses, product_factory, api):
    """Two SKUs in both our catalogue and the store, 10 on hand in each; the channel
    connected with Main mapped to the store's default stock location."""
    tag = secrets.token_hex(3).upper()
    skus = {"mug": f"MUG-{tag}", "cup": f"CUP-{tag}"}
    main = warehouses[0]
    for sku in skus.values():
        product = product_factory(sku)
        stock_set(company=company, product=product, warehouse=main, physical_on_hand=10)
        vendure_store.add_product(sku, stock=10)
    channel = channel_create(company=company, cart_type="other", name=f"Vendure {tag}")
    channel_connect_vendure(
        company=company,
        channel=channel,
        admin_url=vendure_store.admin_url,
        username="superadmin",
        password=vendure_store.password,
    )
    channel_set_locations(
        company=company,
        channel=channel,
        locations=[{"warehouse_id": main.id, "location": vendure_store.location_id}],
    )
    # The first automatic runs, due since it was connected (the first writeback among them).
    scheduler_tick(now=timezone.now() + timedelta(seconds=30))
    run_channel_jobs()
    return channel, skus


def stock_of(company, sku, warehouse):
    row = Stock.objects.get(company=company, product__sku=sku, warehouse=warehouse)
    return row.physical_on_hand, row.committed


def order_rows(company, code):
    return list(
        LogEntry.objects.filter(company=company, event_id=code, event_type="order")
        .order_by("id")
        .values_list("sku", "order_step", "quantity")
    )


def sync_orders(company, channel):
    channel_sync_enqueue(company=company, channel=channel, kind="orders")
    run_channel_jobs()


def test_an_order_placed_in_the_shop_is_imported_commits_and_ships_when_fulfilled(
    vendure_store, shop, company, warehouses
):
    channel, skus = shop
    code = vendure_store.place_order({skus["mug"]: 2, skus["cup"]: 1})
    sync_orders(company, channel)  # one sync
    assert sorted(order_rows(company, code)) == [
        (skus["cup"], "imported", 1),
        (skus["mug"], "imported", 2),
    ]
    assert stock_of(company, skus["mug"], warehouses[0]) == (10, 2)  # allocation = our commit
    sync_orders(company, channel)  # polled again (the cursor overlaps): nothing twice
    assert len(order_rows(company, code)) == 2

    vendure_store.fulfil(code)
    sync_orders(company, channel)
    assert [r for r in order_rows(company, code) if r[1] == "shipped"] == [
        (skus["cup"], "shipped", 1),
        (skus["mug"], "shipped", 2),
    ] or sorted(r for r in order_rows(company, code) if r[1] == "shipped") == [
        (skus["cup"], "shipped", 1),
        (skus["mug"], "shipped", 2),
    ]
    assert stock_of(company, skus["mug"], warehouses[0]) == (8, 0)

    cancelled = vendure_store.place_order({skus["mug"]: 1})
    sync_orders(company, channel)
    vendure_store.cancel(cancelled)
    sync_orders(company, channel)
    assert order_rows(company, cancelled) == [
        (skus["mug"], "imported", 1),
        (skus["mug"], "cancelled", 1),
    ]
    assert stock_of(company, skus["mug"], warehouses[0]) == (8, 0)
    health = channel_health(channel=channel)
    assert health.last_orders.status == "recorded" and health.failures == 0


def test_a_count_reaches_the_store_within_a_minute(vendure_store, shop, company, warehouses, api):
    channel, skus = shop
    mug = Product.objects.get(sku=skus["mug"])
    counted_at = timezone.now()
    response = api.post(
        "/stock/on-hand",
        {"sku": skus["mug"], "warehouse_id": warehouses[0].id, "physical_on_hand": 4},
    )
    assert response.status_code < 300, response.json()
    # The worker's scheduler: before the debounce nothing, after it one writeback. Timed
    # from the change's commit (on a loaded machine the request itself can take seconds).
    changed_at = ChannelSyncState.objects.get(channel=channel).dirty_since
    assert counted_at <= changed_at
    early = scheduler_tick(now=changed_at + timedelta(seconds=1))
    assert [s for s in early if s.trigger == "change"] == []  # still debouncing
    later = scheduler_tick(now=changed_at + timedelta(seconds=10))
    [run] = [s for s in later if s.trigger == "change"]
    run_channel_jobs()
    run.refresh_from_db()
    assert run.status == "delivered", run.error
    assert vendure_store.saleable(skus["mug"]) == 4
    assert vendure_store.saleable(skus["cup"]) == 10
    assert (run.finished_at - counted_at) < timedelta(seconds=60)
    [row] = LogEntry.objects.filter(product=mug, event_type="export", event_id=run.label)
    assert (row.quantity, row.available_on_hand) == (4, 4)
    assert row.delivery_status.startswith("delivered")


def test_a_hand_change_in_the_store_shows_as_drift_and_is_repaired(
    vendure_store, shop, company, api
):
    channel, skus = shop
    channel_writeback_enqueue(company=company, channel=channel)
    run_channel_jobs()
    vendure_store.set_on_hand_by_hand(skus["cup"], 25)
    channel_sync_enqueue(company=company, channel=channel, kind="import")
    run_channel_jobs()
    readback = ChannelSync.objects.filter(channel=channel, kind="import").latest("id")
    rows = {r.sku: r for r in LogEntry.objects.filter(event_type="import", event_id=readback.label)}
    assert (rows[skus["cup"]].quantity, rows[skus["cup"]].channel_differs) == (25, True)
    assert (rows[skus["mug"]].quantity, rows[skus["mug"]].channel_differs) == (10, False)
    assert api.get(f"/sales-channels/{channel.id}/health").json()["drift"] == 1
    channel_writeback_enqueue(company=company, channel=channel)  # the next (full) writeback
    run_channel_jobs()
    assert vendure_store.saleable(skus["cup"]) == 10


def test_orders_placed_while_writebacks_run_leave_the_store_equal_to_us(
    vendure_store, shop, company, warehouses
):
    channel, skus = shop
    codes: list[str] = []
    errors: list[BaseException] = []

    def shoppers():
        try:
            for n in range(6):
                codes.append(vendure_store.place_order({skus["mug"]: 1 + n % 2}))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    thread = threading.Thread(target=shoppers)
    thread.start()
    counts = iter([30, 28, 27, 31, 29, 26, 30, 25])
    while thread.is_alive():
        mug = Product.objects.get(sku=skus["mug"])
        stock_set(
            company=company, product=mug, warehouse=warehouses[0], physical_on_hand=next(counts, 25)
        )
        channel_writeback_enqueue(company=company, channel=channel)
        run_channel_jobs()
    thread.join()
    assert not errors, errors
    # One more sync (orders, then writeback) settles it.
    channel_writeback_enqueue(company=company, channel=channel)
    run_channel_jobs()
    mug = Product.objects.get(sku=skus["mug"])
    [ours] = writeback_lines(company=company, channel=channel, product_ids=[mug.id])
    physical, committed = stock_of(company, skus["mug"], warehouses[0])
    assert committed == sum(1 + n % 2 for n in range(6))  # every order imported, once
    on_hand, allocated = vendure_store.level(skus["mug"])
    assert allocated == committed
    assert on_hand - allocated == ours.quantity  # the store sells exactly what we have
    assert on_hand == physical
