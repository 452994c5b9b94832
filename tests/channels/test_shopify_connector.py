"""Shopify connector contract tests: a fake Admin GraphQL endpoint on 127.0.0.1 answers in
the documented shapes (fixtures/shopify/README.md) and checks our requests."""

import pytest

from stockledger.catalog.models import Product
from stockledger.channels.adapters import OrderState, adapter_for, shopify_client
from stockledger.channels.models import ShopifySettings
from stockledger.channels.services import channel_set_locations
from stockledger.channels.shopify_services import channel_connect_shopify
from stockledger.channels.sync import channel_quantities_pull, channel_writeback_run
from stockledger.core.secret_box import secret_open

from .shopify_fake import API_PATH, FakeShopify, serve

TOKEN = "shpat_0123456789abcdef0123456789abcdef"
MAIN = "gid://shopify/Location/124656943"
OTHER = "gid://shopify/Location/999"


@pytest.fixture
def waits(monkeypatch):
    """Waits are recorded, not slept; a fake clock moves by each wait."""
    seen = []
    now = [1000.0]

    def sleep(seconds):
        seen.append(seconds)
        now[0] += seconds

    monkeypatch.setattr(shopify_client, "_sleep", sleep)
    monkeypatch.setattr(shopify_client, "_clock", lambda: now[0])
    return seen


@pytest.fixture
def fake(settings, waits):
    settings.STOCKLEDGER_OUTBOUND_ALLOW = "127.0.0.1"  # the fake store, allowed explicitly
    settings.STOCKLEDGER_SHOPIFY_SCHEME = "http"
    shop = FakeShopify(TOKEN)
    server = serve(shop)
    shop.domain = f"127.0.0.1:{server.server_port}"
    yield shop
    server.shutdown()
    server.server_close()
    assert shop.problems == []


@pytest.fixture
def shopify_channel(company, channel, fake, warehouses, product_factory, stock):
    widget, gadget = product_factory("W-1"), product_factory("G-1")
    stock(widget, warehouses[0], 7)
    stock(gadget, warehouses[0], 3)
    channel_connect_shopify(
        company=company,
        channel=channel,
        shop_domain=fake.domain,
        access_token=TOKEN,
        webhook_secret="whsec_shopify_app_client_secret",
    )
    channel_set_locations(
        company=company,
        channel=channel,
        locations=[{"warehouse_id": warehouses[0].id, "location": "124656943"}],
    )
    channel.refresh_from_db()
    return channel


def test_the_token_is_stored_encrypted_and_only_its_last_four_kept(shopify_channel, db_dump):
    config = ShopifySettings.objects.get(channel=shopify_channel)
    assert shopify_channel.adapter == "shopify"
    assert TOKEN not in config.access_token_sealed
    assert TOKEN not in str(db_dump())
    assert secret_open(config.access_token_sealed) == TOKEN
    assert config.access_token_hint == TOKEN[-4:]
    assert TOKEN not in repr(adapter_for(shopify_channel).client())


def test_read_back_logs_available_at_the_mapped_locations(company, shopify_channel, fake, log_of):
    fake.stock("W-1", MAIN, available=5, on_hand=6)
    fake.stock("W-1", OTHER, available=40)  # not mapped: not ours to count
    fake.stock("G-1", MAIN, available=3)
    fake.stock("X-9", MAIN, available=1)  # a SKU we do not have

    sync = channel_quantities_pull(company=company, channel=shopify_channel)

    widget, gadget = Product.objects.order_by("id")
    [w] = log_of(widget, event_type="import")
    [g] = log_of(gadget, event_type="import")
    assert (w.quantity, g.quantity) == (5, 3)
    assert w.event_id == g.event_id == sync.label
    assert fake.operations() == ["StockledgerLevels"]
    levels = adapter_for(shopify_channel).read_items(["W-1"])["W-1"].levels
    assert (levels[MAIN].available, levels[MAIN].on_hand) == (5, 6)


def test_writeback_sets_available_with_compare_and_set_and_a_reference(
    company, shopify_channel, fake, log_of
):
    fake.stock("W-1", MAIN, available=5)
    fake.stock("G-1", MAIN, available=3)

    sync = channel_writeback_run(company=company, channel=shopify_channel)

    assert fake.levels["W-1"][MAIN]["available"] == 7
    [write] = [r for r in fake.requests if r["operation"] == "StockledgerSetQuantities"]
    data = write["variables"]["input"]
    assert data["name"] == "available" and data["reason"] == "correction"
    assert data["referenceDocumentUri"] == f"gid://stockledger/WritebackRun/{sync.label}"
    assert data["quantities"] == [
        {
            "inventoryItemId": fake.item_ids["W-1"],
            "locationId": MAIN,
            "quantity": 7,
            "changeFromQuantity": 5,
        }
    ]
    widget, gadget = Product.objects.order_by("id")
    [w] = log_of(widget, event_type="export")
    [g] = log_of(gadget, event_type="export")
    assert w.event_id == sync.label  # the row the referenceDocumentUri points back at
    assert w.delivery_status == "delivered: available 7 (was 5)"
    assert g.delivery_status == "delivered: Shopify already shows available 3"
    assert (sync.status, sync.delivered, sync.failed) == ("delivered", 2, 0)


def test_a_sale_in_shopify_after_our_read_is_not_overwritten(
    company, shopify_channel, fake, log_of
):
    fake.stock("W-1", MAIN, available=5)
    fake.stock("G-1", MAIN, available=3)
    fake.sell_before_next_write = 1  # Shopify sells one between our read and our write

    sync = channel_writeback_run(company=company, channel=shopify_channel, skus=["W-1"])

    writes = [r for r in fake.requests if r["operation"] == "StockledgerSetQuantities"]
    assert [w["variables"]["input"]["quantities"][0]["changeFromQuantity"] for w in writes] == [
        5,
        4,
    ]
    assert [w["variables"]["input"]["quantities"][0]["quantity"] for w in writes] == [7, 6]
    # Ours (7) moved by the sale Shopify made (-1): the sale stands.
    assert fake.levels["W-1"][MAIN]["available"] == 6
    assert fake.operations() == [
        "StockledgerLevels",
        "StockledgerSetQuantities",
        "StockledgerLevels",
        "StockledgerSetQuantities",
    ]
    [row] = log_of(Product.objects.get(sku="W-1"), event_type="export")
    assert row.delivery_status == (
        "delivered: available 6 (was 4) on attempt 2; 7 moved by -1 Shopify made after our read"
    )
    assert sync.status == "delivered"


def test_a_throttled_query_waits_for_the_bucket_and_is_retried(
    company, shopify_channel, fake, waits
):
    fake.stock("W-1", MAIN, available=5)
    fake.throttle_next = 1

    quantities = adapter_for(shopify_channel).read_quantities(["W-1"])

    assert [(q.sku, q.quantity) for q in quantities] == [("W-1", 5)]
    assert fake.operations() == ["StockledgerLevels", "StockledgerLevels"]
    # requestedQueryCost 104 with 4 available at 100/s restore: about 1 s to refill.
    assert len(waits) == 1 and 0.9 <= waits[0] <= 1.1


def test_the_next_query_waits_when_the_bucket_cannot_cover_its_cost(shopify_channel, fake, waits):
    adapter = adapter_for(shopify_channel)
    fake.stock("W-1", MAIN, available=5)
    client = adapter.client()
    adapter.read_quantities(["W-1"])
    assert waits == []
    client.bucket.available = 54.0  # the last answer said 54 left of a 104-point query
    adapter.read_quantities(["W-1"])
    assert waits == [pytest.approx(0.5)]


def test_orders_are_polled_by_updated_at_from_a_cursor(shopify_channel, fake):
    adapter = adapter_for(shopify_channel)
    page = adapter.poll_orders("")
    assert [(o.order_number, o.state) for o in page.orders] == [
        ("#1001", OrderState.PLACED),
        ("#1002", OrderState.SHIPPED),
    ]
    first = page.orders[0]
    assert [(line.sku, line.quantity) for line in first.lines] == [("W-1", 2), ("", 1)]
    assert first.external_id == "450789469"
    assert page.cursor == "2026-01-10T13:30:00+00:00" and not page.more
    again = adapter.poll_orders(page.cursor)
    assert fake.requests[-1]["variables"]["query"] == "updated_at:>='2026-01-10T13:30:00+00:00'"
    assert [o.order_number for o in again.orders] == ["#1002"]


def test_polled_orders_are_imported_and_shipped_once(company, shopify_channel, fake, log_of):
    from stockledger.channels.order_events import channel_order_apply
    from stockledger.orders.models import Order

    orders = adapter_for(shopify_channel).fetch_orders()
    for _ in range(2):  # a repeated poll changes nothing
        for order in orders:
            channel_order_apply(
                company=company, channel=shopify_channel, order=order, external_id=order.external_id
            )
    assert dict(Order.objects.values_list("order_number", "status")) == {
        "#1001": "open",
        "#1002": "shipped",
    }
    rows = log_of(Product.objects.get(sku="W-1"), event_type="order")
    assert [(r.event_id, r.order_step, r.quantity) for r in rows] == [
        ("#1001", "imported", 2),
        ("#1002", "imported", 1),
        ("#1002", "shipped", 1),
    ]


def test_a_wrong_token_is_a_clear_failure_without_the_token(company, shopify_channel, fake, log_of):
    fake.token = "another"
    sync = channel_writeback_run(company=company, channel=shopify_channel, skus=["W-1"])
    [row] = log_of(Product.objects.get(sku="W-1"), event_type="export")
    assert row.delivery_status == (
        "failed: Shopify refused the access token (HTTP 401); check the token and its scopes"
    )
    assert TOKEN not in sync.error and TOKEN not in row.delivery_status


def test_the_api_path_is_the_pinned_version():
    assert API_PATH == f"/admin/api/{shopify_client.API_VERSION}/graphql.json"
    assert shopify_client.API_VERSION == "2026-01"


def test_each_mapped_location_gets_its_own_quantity_when_given(
    company, shopify_channel, fake, warehouses
):
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class PerLocation:  # QuantityToWrite with `locations`, as the scheduler sends them
        sku: str
        quantity: int
        locations: tuple = ()

    channel_set_locations(
        company=company,
        channel=shopify_channel,
        locations=[
            {"warehouse_id": warehouses[0].id, "location": "124656943"},
            {"warehouse_id": warehouses[1].id, "location": "999"},
        ],
    )
    fake.stock("W-1", MAIN, available=5)
    fake.stock("W-1", OTHER, available=1)
    adapter = adapter_for(shopify_channel)
    assert adapter.per_location
    [delivery] = adapter.write_quantities(
        [PerLocation("W-1", 9, (("124656943", 7), ("999", 2)))], event_id="export-9"
    )
    assert (fake.levels["W-1"][MAIN]["available"], fake.levels["W-1"][OTHER]["available"]) == (7, 2)
    assert delivery.status == "delivered"
    assert delivery.detail == ("delivered: 124656943 available 7 (was 5); 999 available 2 (was 1)")
    # Without per-location quantities, two mapped locations cannot share one number.
    [refused] = adapter.write_quantities([PerLocation("W-1", 9)], event_id="export-10")
    assert refused.status == "failed" and "quantities per location needed" in refused.detail
