"""Order import by polling a channel from a stored cursor (the worker runs it on schedule).

Each poll asks the adapter for the orders changed after the channel's cursor and applies
them through the order services, one order per transaction:

- placed: imported (commits stock at the warehouse mapped to the order's location);
- shipped: imported if new, then shipped (the channel fulfilled it);
- cancelled: what is not shipped is cancelled (an order we never saw is skipped).

Importing is idempotent by channel + order number, so an order seen twice (polls overlap,
a retry after a crash) changes nothing the second time. The cursor is stored after the
orders are applied: a crash in between repeats them, never skips them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from django.utils import timezone

from stockledger.catalog.models import Product
from stockledger.core.errors import Conflict, DomainError
from stockledger.core.models import Company
from stockledger.orders.models import Order, OrderStatus
from stockledger.orders.services import order_cancel, order_find, order_import, order_ship
from stockledger.warehouses.models import Warehouse

from .adapters import ChannelOrder, NotSupported, OrderState, adapter_for
from .models import ChannelLocation, ChannelSync, ChannelSyncState, SalesChannel

MAX_PAGES = 50


@dataclass
class PollResult:
    imported: int = 0
    shipped: int = 0
    cancelled: int = 0
    skipped: list[str] = field(default_factory=list)  # "order: why"

    @property
    def changed(self) -> int:
        return self.imported + self.shipped + self.cancelled

    def summary(self) -> str:
        text = f"{self.imported} imported, {self.shipped} shipped, {self.cancelled} cancelled"
        if self.skipped:
            text += f"; {len(self.skipped)} skipped ({'; '.join(self.skipped[:3])})"
        return text


def channel_orders_poll(
    *,
    company: Company,
    channel: SalesChannel,
    sync: ChannelSync,
    deadline: float | None = None,
) -> PollResult:
    """Poll the channel's orders from its cursor and apply them (see the module docstring).

    Records the outcome in `sync` (kind orders): products = orders changed, error = the
    summary when some were skipped. The adapter's own failure (unreachable, refused) raises
    and leaves the cursor where it was. Conflict when the adapter cannot be polled."""
    try:
        adapter = adapter_for(channel)
    except NotSupported as exc:
        raise Conflict(str(exc), field="adapter") from None
    adapter.deadline = deadline
    state, _ = ChannelSyncState.objects.get_or_create(
        channel=channel, defaults={"company": company}
    )
    ChannelSync.objects.filter(pk=sync.pk).update(
        status=ChannelSync.Status.RUNNING, started_at=timezone.now()
    )
    warehouses = _warehouse_lookup(company, channel)
    result = PollResult()
    cursor = state.orders_cursor
    for _page in range(MAX_PAGES):
        try:
            page = adapter.poll_orders(cursor)
        except NotSupported as exc:
            raise Conflict(str(exc), field="adapter") from None
        for order in page.orders:
            _apply(company, channel, order, warehouses, result)
        cursor = page.cursor
        ChannelSyncState.objects.filter(pk=state.pk).update(orders_cursor=cursor)
        if not page.more or (deadline is not None and time.monotonic() >= deadline):
            break
    ChannelSync.objects.filter(pk=sync.pk).update(
        status=ChannelSync.Status.RECORDED,
        finished_at=timezone.now(),
        products=result.changed,
        error=result.summary() if result.skipped else "",
    )
    return result


def _warehouse_lookup(company: Company, channel: SalesChannel):
    by_location = {
        m.location: m.warehouse
        for m in ChannelLocation.objects.filter(channel=channel).select_related("warehouse")
    }
    fallback = (
        min(by_location.values(), key=lambda w: w.id)
        if by_location
        else Warehouse.objects.filter(company=company).order_by("id").first()
    )

    def lookup(location: str) -> Warehouse | None:
        return by_location.get(location, fallback)

    return lookup


def _apply(company, channel, order: ChannelOrder, warehouses, result: PollResult) -> None:
    try:
        existing = order_find(company=company, channel=channel, order_number=order.order_number)
        if existing is None:
            if order.state == OrderState.CANCELLED:
                return  # cancelled before we saw it: nothing was committed
            existing = _import(company, channel, order, warehouses, result)
            if existing is None:
                return
        if order.state == OrderState.SHIPPED and existing.status in (
            OrderStatus.OPEN,
            OrderStatus.PARTIALLY_SHIPPED,
        ):
            order_ship(company=company, order=existing, shipped_at=order.shipped_at)
            result.shipped += 1
        elif order.state == OrderState.CANCELLED and existing.status == OrderStatus.OPEN:
            order_cancel(company=company, order=existing, cancelled_at=order.updated_at)
            result.cancelled += 1
    except DomainError as exc:
        result.skipped.append(f"{order.order_number}: {exc.message}")


def _import(company, channel, order: ChannelOrder, warehouses, result) -> Order | None:
    warehouse = warehouses(order.location)
    if warehouse is None:
        result.skipped.append(f"{order.order_number}: the company has no warehouse")
        return None
    skus = {line.sku for line in order.lines}
    known = set(
        Product.objects.filter(company=company, sku__in=sorted(skus)).values_list("sku", flat=True)
    )
    quantities: dict[str, int] = {}
    for line in order.lines:
        if line.sku in known and line.quantity > 0:
            quantities[line.sku] = quantities.get(line.sku, 0) + line.quantity
    if not quantities:
        result.skipped.append(f"{order.order_number}: none of its SKUs are ours")
        return None
    created_order, created = order_import(
        company=company,
        channel=channel,
        order_number=order.order_number,
        placed_at=order.placed_at,
        warehouse=warehouse,
        lines=[{"sku": sku, "quantity": q} for sku, q in sorted(quantities.items())],
    )
    if created:
        result.imported += 1
    return created_order
