"""One demo day of business, step by step, each through the real service at its hour.

The steps run in the order of their hours, and each step's events in time order, so the log
read by created_at tells the day as it was applied:
06 channel settings · 07 cycle counts · 08 goods receipts · 09 transfers · 10 manufacturing ·
10:30-14:30 channel orders · 15 shipping · 16 returns · 17-19 till sales · 20 channel imports
and writebacks (purchase orders log nothing).
"""

from __future__ import annotations

from stockledger.channels.services import (
    channel_rule_set,
    channel_set_locations,
    channel_set_writeback_warehouses,
)
from stockledger.channels.sync import channel_quantities_import, channel_writeback_run
from stockledger.core.errors import DomainError
from stockledger.ledger.services import stock_adjust, stock_set
from stockledger.manufacturing.services import mo_create, mo_finish
from stockledger.orders.models import Order, OrderStatus
from stockledger.orders.services import order_cancel, order_import, order_ship
from stockledger.purchasing.models import PurchaseOrder
from stockledger.purchasing.services import purchase_order_create, purchase_order_receive
from stockledger.returns.models import ReturnOrder
from stockledger.returns.services import return_create, return_receive
from stockledger.transfers.services import transfer_create

from .data import DAYS, MATERIALS
from .history import Demo, clock

# Orders a day per channel (Shopify, Amazon, Etsy) and the warehouse each ships from.
ORDERS_PER_DAY = (4, 3, 1)


def channel_settings(demo: Demo, day: int) -> None:
    """Day 1: Amazon is told only what the Reno 3PL holds; Shopify's locations are mapped;
    a few writeback rules. Day 45: Etsy is told the main warehouse and the store only."""
    shopify, amazon, etsy = demo.channels
    if day == 1:
        with clock(demo.at(day, 6)):
            channel_set_writeback_warehouses(
                company=demo.company, channel=amazon, warehouse_ids=[demo.reno.id], user=demo.user
            )
        with clock(demo.at(day, 6.2)):
            channel_set_locations(
                company=demo.company,
                channel=shopify,
                locations=[
                    {"warehouse_id": demo.main.id, "location": "gid://shopify/Location/7110"},
                    {"warehouse_id": demo.store.id, "location": "gid://shopify/Location/7111"},
                ],
                user=demo.user,
            )
        with clock(demo.at(day, 6.3)):
            for channel, sku, limits in (
                (etsy, "MUG-ENM-12-BLK", {"reserve": 2, "maximum": 10}),
                (etsy, "BLANKET-WOOL", {"maximum": 5}),
                (amazon, "SOCK-HIK-M", {"percent": 80}),
                (shopify, "GIFT-CANDLE-BOX", {"minimum": -5}),
            ):
                channel_rule_set(
                    company=demo.company, channel=channel, product=demo.products[sku], **limits
                )
    if day == 45:
        with clock(demo.at(day, 6)):
            channel_set_writeback_warehouses(
                company=demo.company,
                channel=etsy,
                warehouse_ids=[demo.main.id, demo.store.id],
                user=demo.staff[1],
            )


def channel_sync(demo: Demo, day: int) -> None:
    """Evenings: Shopify and Amazon get changed quantities every third day, Etsy weekly;
    Amazon reports what it shows once a week (sometimes not what we wrote)."""
    rng = demo.rng
    shopify, amazon, etsy = demo.channels
    runs = [c for c, every in ((shopify, 3), (amazon, 3), (etsy, 7)) if day % every == 0]
    for channel, at in zip(runs, demo.times(day, 20, 21, len(runs)), strict=True):
        with clock(at):
            channel_writeback_run(company=demo.company, channel=channel, only_changed=day > 3)
    if day % 7 == 6:
        skus = rng.sample([p.sku for p in demo.sellable()], 8)
        from stockledger.channels.models import ChannelSkuState

        written = dict(
            ChannelSkuState.objects.filter(channel=amazon).values_list(
                "product__sku", "last_written"
            )
        )
        quantities = [
            {"sku": sku, "quantity": max(0, written.get(sku, 0) - rng.choice([0, 0, 0, 1, 2]))}
            for sku in skus
        ]
        at = demo.at(day, 21.5)
        with clock(at):
            channel_quantities_import(
                company=demo.company, channel=amazon, quantities=quantities, read_at=at
            )


def cycle_counts(demo: Demo, day: int) -> None:
    """Twice a week a few counts; most match, some find units missing."""
    rng = demo.rng
    if day % 7 not in (2, 5):
        return
    for product, at in zip(rng.sample(demo.stocked(), 5), demo.times(day, 7, 8, 5), strict=True):
        warehouse = rng.choice(demo.warehouses)
        current = demo.on_hand(product, warehouse)
        missing = min(current, rng.choice([0, 0, 0, 1, 2, 3]))
        with clock(at):
            stock_set(
                company=demo.company,
                product=product,
                warehouse=warehouse,
                physical_on_hand=current - missing,
                user=rng.choice(demo.staff),
                note="Cycle count" + (f": {missing} missing" if missing else ", matches"),
                created_at=at,
            )


def goods_receipts(demo: Demo, day: int) -> None:
    """POs arrive three days after they were placed; some in two deliveries."""
    rng = demo.rng
    due = demo.take_due(day, "receive")
    for (po_id, part), at in zip(due, demo.times(day, 8, 9, len(due)), strict=True):
        po = PurchaseOrder.objects.get(pk=po_id)
        lines = []
        for line in po.lines.select_related("product"):
            quantity = line.outstanding
            if part == 1 and rng.random() < 0.3:
                quantity = max(1, quantity * 2 // 3)  # the supplier sent part of it
            if quantity:
                lines.append({"sku": line.product.sku, "quantity": quantity})
        if not lines:
            continue
        with clock(at):
            purchase_order_receive(
                company=demo.company,
                purchase_order=po,
                number=f"GR-{demo.next_number('receipt', 7001)}",
                lines=lines,
                user=rng.choice(demo.staff),
                received_at=at,
            )
        po.refresh_from_db()
        if any(line.outstanding for line in po.lines.all()) and day + 2 < DAYS:
            demo.schedule(day + 2, "receive", (po.id, 2))


def transfers(demo: Demo, day: int) -> None:
    """Weekly: the store and the 3PL are topped up from the main warehouse."""
    rng = demo.rng
    for weekday, target, share in ((3, demo.store, 0.25), (4, demo.reno, 0.6)):
        if day % 7 != weekday:
            continue
        lines = []
        for product in demo.stocked():
            demand = demo.demand.get(product.sku, 0)
            if not demand or product.sku in MATERIALS:
                continue
            want = int((30 + 20 * demand) * share) - demo.on_hand(product, target)
            have = demo.available(product, demo.main)
            quantity = min(want, have - 5)
            if quantity >= 3:
                note = "top up" if quantity < 20 else "weekly replenishment"
                lines.append({"sku": product.sku, "quantity": quantity, "notes": note})
        if not lines:
            continue
        at = demo.at(day, 9 + rng.random())  # one transfer a day at most
        with clock(at):
            transfer_create(
                company=demo.company,
                sending_warehouse=demo.main,
                receiving_warehouse=target,
                lines=lines,
                notes=f"Weekly run to {target.name}; van {rng.choice(['A', 'B'])}",
                user=rng.choice(demo.staff),
                transferred_at=at,
            )


def channel_orders(demo: Demo, day: int) -> None:
    """Orders arrive from the channels through the day; each ships a day or two later."""
    rng = demo.rng
    sellable = demo.sellable()
    weights = [max(1, demo.demand.get(p.sku, 1)) for p in sellable]
    placed = []
    for channel, per_day in zip(demo.channels, ORDERS_PER_DAY, strict=True):
        warehouse = demo.reno if channel.cart_type == "amazon" else demo.main
        for _ in range(rng.randint(max(0, per_day - 2), per_day + 2)):
            placed.append((rng.uniform(10.5, 14.5), channel, warehouse))
    for hour, channel, warehouse in sorted(placed, key=lambda p: p[0]):
        picks = {}
        for product in rng.choices(sellable, weights=weights, k=rng.choice([1, 1, 1, 2, 3])):
            picks[product.sku] = (product, rng.choice([1, 1, 1, 2]))
        lines = [
            {"sku": sku, "quantity": quantity}
            for sku, (product, quantity) in picks.items()
            if demo.available(product, warehouse) >= quantity
        ]
        if not lines:
            continue
        number = demo.next_number(f"order-{channel.cart_type}", 1001)
        prefix = {"shopify": "#", "amazon": "114-", "etsy": "ETSY-"}[channel.cart_type]
        at = demo.at(day, hour)
        with clock(at.replace(minute=min(59, at.minute + rng.randint(1, 9)))):
            order, _ = order_import(
                company=demo.company,
                channel=channel,
                order_number=f"{prefix}{number}",
                placed_at=at,
                warehouse=warehouse,
                lines=lines,
            )
        demo.schedule(day + rng.choice([1, 1, 2]), "ship", order.id)


def purchase_orders(demo: Demo, day: int) -> None:
    """Weekly POs to the main warehouse; materials every other week."""
    rng = demo.rng
    if day % 7 != 0 or day > DAYS - 2:
        return
    lines = []
    for product in demo.stocked():
        materials = product.sku in MATERIALS
        if materials and day % 14:
            continue
        demand = demo.demand.get(product.sku, 0)
        target = 150 if materials else 60 + 45 * demand
        need = target - demo.available(product, demo.main)
        if need > 10:
            lines.append({"sku": product.sku, "quantity": -(-need // 12) * 12})
    if not lines:
        return
    with clock(demo.at(day, 11 + rng.random())):
        po = purchase_order_create(
            company=demo.company,
            number=f"PO-{demo.next_number('po', 1001)}",
            warehouse=demo.main,
            lines=lines,
            user=demo.user,
        )
    demo.schedule(day + 3, "receive", (po.id, 1))


def manufacturing(demo: Demo, day: int) -> None:
    """Every two weeks an MO for gift boxes, finished in two batches."""
    due = demo.take_due(day, "finish")
    for (mo, quantity), at in zip(due, demo.times(day, 10, 10.5, len(due)), strict=True):
        try:
            with clock(at):
                mo_finish(company=demo.company, mo=mo, quantity=quantity, user=demo.staff[0])
        except DomainError:
            continue  # short of materials that day: the rest stays open
    if day % 14 != 5:
        return
    product = demo.products["GIFT-CANDLE-BOX"]
    with clock(demo.at(day, 10.5)):
        mo = mo_create(
            company=demo.company,
            number=f"MO-{demo.next_number('mo', 101)}",
            product=product,
            quantity=24,
            warehouse=demo.main,
            user=demo.user,
        )
    demo.schedule(day + 1, "finish", (mo, 12))
    demo.schedule(day + 3, "finish", (mo, 12))


def shipping(demo: Demo, day: int) -> None:
    """Ship what is due; a few orders are cancelled instead."""
    rng = demo.rng
    due = demo.take_due(day, "ship")
    for order_id, at in zip(due, demo.times(day, 15, 16, len(due)), strict=True):
        order = Order.objects.get(pk=order_id)
        if order.status not in (OrderStatus.OPEN, OrderStatus.PARTIALLY_SHIPPED):
            continue
        with clock(at):
            if rng.random() < 0.03:
                order_cancel(company=demo.company, order=order, cancelled_at=at)
                continue
            order_ship(company=demo.company, order=order, shipped_at=at)
        if rng.random() < 0.06 and day + 4 < DAYS:
            demo.schedule(day + rng.randint(2, 4), "rma", order.id)


def returns(demo: Demo, day: int) -> None:
    """Some customers send things back: an RMA is opened, received days later, restocked
    unless damaged."""
    rng = demo.rng
    due = demo.take_due(day, "rma-receive")
    for rma_id, at in zip(due, demo.times(day, 16, 16.5, len(due)), strict=True):
        rma = ReturnOrder.objects.get(pk=rma_id)
        lines = []
        for line in rma.lines.select_related("product"):
            restocked = line.expected_quantity if rng.random() < 0.8 else 0
            lines.append(
                {
                    "sku": line.product.sku,
                    "received_quantity": line.expected_quantity,
                    "restocked_quantity": restocked,
                }
            )
        with clock(at):
            return_receive(
                company=demo.company,
                return_order=rma,
                lines=lines,
                user=rng.choice(demo.staff),
                received_at=at,
            )
    due = demo.take_due(day, "rma")
    for order_id, at in zip(due, demo.times(day, 16.5, 17, len(due)), strict=True):
        order = Order.objects.get(pk=order_id)
        order_line = order.lines.select_related("product").first()
        assert order_line is not None  # every demo order has lines
        with clock(at):
            rma, _ = return_create(
                company=demo.company,
                number=f"RMA-{demo.next_number('rma', 5001)}",
                warehouse=demo.main,
                lines=[{"sku": order_line.product.sku, "expected_quantity": 1}],
                user=demo.user,
                created_at=at,
            )
        if day + 4 < DAYS:
            demo.schedule(day + rng.randint(3, 5), "rma-receive", rma.id)


def till_sales(demo: Demo, day: int) -> None:
    """The store sells over the counter; its till posts each sale as an adjustment."""
    rng = demo.rng
    sales = []
    for product in demo.stocked():
        demand = demo.demand.get(product.sku, 0)
        if demand and rng.random() < 0.3:
            sales.append((product, rng.randint(1, max(1, demand // 2))))
    for (product, wanted), at in zip(sales, demo.times(day, 17, 19, len(sales)), strict=True):
        quantity = min(wanted, demo.on_hand(product, demo.store))
        if quantity <= 0:
            continue
        with clock(at):
            stock_adjust(
                company=demo.company,
                product=product,
                warehouse=demo.store,
                change=-quantity,
                user=rng.choice(demo.staff),
                note="Till sales",
                created_at=at,
            )


DAILY_STEPS = [
    channel_settings,
    cycle_counts,
    goods_receipts,
    transfers,
    manufacturing,
    channel_orders,
    purchase_orders,
    shipping,
    returns,
    till_sales,
    channel_sync,
]
