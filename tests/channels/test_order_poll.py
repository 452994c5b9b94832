"""Polled orders are applied by the same rule as webhook orders (order_events.channel_order_apply):
the same orders through either door leave the same log rows and the same order states."""

from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from stockledger.channels import adapters
from stockledger.channels.adapters import (
    ChannelAdapter,
    ChannelOrder,
    ChannelOrderLine,
    Delivery,
    OrderPage,
    OrderState,
    QuantityToWrite,
)
from stockledger.channels.models import ChannelSync
from stockledger.channels.order_events import channel_order_apply
from stockledger.channels.order_poll import channel_orders_poll
from stockledger.channels.services import channel_create
from stockledger.ledger.models import LogEntry
from stockledger.orders.models import Order
from stockledger.orders.services import order_ship

PAGES: list[list[ChannelOrder]] = []


class PollingAdapter(ChannelAdapter):
    name = "polling-fake"
    label = "Polling fake"
    can_poll_orders = True

    def write_quantities(self, items: Sequence[QuantityToWrite], *, event_id: str):
        return [Delivery("recorded", "recorded")] * len(items)

    def poll_orders(self, cursor: str) -> OrderPage:
        index = int(cursor or 0)
        orders = PAGES[index] if index < len(PAGES) else []
        return OrderPage(orders, str(min(index + 1, len(PAGES))), more=index + 1 < len(PAGES))


def at(hour: int) -> datetime:
    return datetime(2026, 3, 1, hour, tzinfo=UTC)


def order(number, state=OrderState.PLACED, lines=(("MUG", 2),), hour=9):
    return ChannelOrder(
        order_number=number,
        placed_at=at(8),
        lines=[ChannelOrderLine(sku, q) for sku, q in lines],
        state=state,
        updated_at=at(hour),
        shipped_at=at(hour) if state == OrderState.SHIPPED else None,
    )


@pytest.fixture
def two_channels(company, warehouses, product_factory, stock):
    adapters.register(PollingAdapter)
    for sku in ("MUG", "CUP"):
        stock(product_factory(sku), warehouses[0], 20)
    polled = channel_create(company=company, cart_type="other", name="Polled")
    hooked = channel_create(company=company, cart_type="other", name="Hooked")
    polled.adapter = "polling-fake"
    polled.save(update_fields=["adapter"])
    yield polled, hooked
    adapters._REGISTRY.pop("polling-fake", None)


def poll(company, channel):
    sync = ChannelSync.objects.create(
        company=company, channel=channel, kind="orders", status="queued", started_at=at(10)
    )
    result = channel_orders_poll(company=company, channel=channel, sync=sync)
    sync.refresh_from_db()
    return result, sync


def rows(channel):
    return list(
        LogEntry.objects.filter(cart_id=channel.id)
        .order_by("id")
        .values_list("event_id", "sku", "order_step", "quantity")
    )


def states(channel):
    return dict(Order.objects.filter(channel=channel).values_list("order_number", "status"))


def test_polled_orders_leave_the_same_rows_as_the_same_orders_by_webhook(company, two_channels):
    polled, hooked = two_channels
    first = [order("A-1"), order("A-2", lines=(("MUG", 1), ("CUP", 3))), order("A-3")]
    later = [
        order("A-1", OrderState.SHIPPED, hour=11),
        order("A-3", OrderState.CANCELLED, hour=11),
        order("A-4", OrderState.CANCELLED, hour=11),  # cancelled before we saw it
        order("A-5", lines=(("NOT-OURS", 1),)),
        order("A-6", OrderState.SHIPPED, lines=(("CUP", 1), ("NOT-OURS", 2)), hour=12),
    ]
    PAGES[:] = [first, later]
    result, sync = poll(company, polled)
    for page in (first, later):
        for one in page:
            channel_order_apply(company=company, channel=hooked, order=one)

    assert (result.imported, result.shipped, result.cancelled) == (4, 2, 1)
    assert sync.status == "recorded" and sync.products == 7
    assert sync.error == (
        "4 imported, 2 shipped, 1 cancelled;"
        " 1 skipped (A-5: no SKU we know; skipped (left out NOT-OURS))"
    )
    assert (
        states(polled)
        == states(hooked)
        == {
            "A-1": "shipped",
            "A-2": "open",
            "A-3": "cancelled",
            "A-6": "shipped",
        }
    )
    assert rows(polled) == rows(hooked) and len(rows(polled)) == 8


def test_a_repeated_poll_changes_nothing(company, two_channels):
    polled, _ = two_channels
    PAGES[:] = [[order("B-1"), order("B-2", OrderState.SHIPPED)]]
    poll(company, polled)
    before = rows(polled)
    from stockledger.channels.models import ChannelSyncState

    ChannelSyncState.objects.filter(channel=polled).update(orders_cursor="")
    result, _ = poll(company, polled)
    assert result.changed == 0 and rows(polled) == before


def test_a_cancel_after_part_shipped_cancels_the_rest_by_either_door(company, two_channels):
    polled, hooked = two_channels
    placed = order("C-1", lines=(("MUG", 3),))
    for channel in (polled, hooked):
        PAGES[:] = [[placed]]
        if channel is polled:
            poll(company, channel)
        else:
            channel_order_apply(company=company, channel=channel, order=placed)
        mine = Order.objects.get(channel=channel, order_number="C-1")
        order_ship(company=company, order=mine, lines=[{"sku": "MUG", "quantity": 1}])
    cancelled = order("C-1", OrderState.CANCELLED, lines=(("MUG", 3),), hour=12)
    PAGES[:] = [[placed], [cancelled]]
    from stockledger.channels.models import ChannelSyncState

    ChannelSyncState.objects.filter(channel=polled).update(orders_cursor="1")
    result, _ = poll(company, polled)
    assert result.cancelled == 1
    channel_order_apply(company=company, channel=hooked, order=cancelled)
    assert states(polled) == states(hooked) == {"C-1": "shipped"}
    steps = [(step, q) for _e, _s, step, q in rows(polled)]
    assert steps == [("imported", 3), ("shipped", 1), ("cancelled", 2)]
    assert [(step, q) for _e, _s, step, q in rows(hooked)] == steps
