"""Apply a channel's orders (from its webhooks, and from polling: order_poll.py) through the
order services. This is the one home of "what an order the channel reports does to ours".

- an order placed: imported (commits stock) at the warehouse mapped to the order's location,
  else the first mapped warehouse, else the company's first; lines without a SKU or with a
  SKU we do not know are left out (and said in the outcome); an order with none we know
  is skipped;
- cancelled: what is not shipped is cancelled (an order we never imported: nothing to do);
- a fulfillment: its lines are shipped, once per fulfillment id.

Idempotent: importing is idempotent on channel + order number, the channel's order id is
kept (ExternalOrder) so later events find the order, and applied fulfillment ids are kept.
Redelivered or repeated events change nothing the second time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.db import IntegrityError

from stockledger.catalog.models import Product
from stockledger.core.errors import Conflict
from stockledger.core.models import Company
from stockledger.orders.models import Order, OrderStatus
from stockledger.orders.services import order_cancel, order_find, order_import, order_ship
from stockledger.warehouses.models import Warehouse

from .adapters import ChannelOrder, ChannelOrderLine, OrderState
from .adapters.shopify import ShopifyFulfillment
from .models import ChannelLocation, ExternalOrder, SalesChannel

WarehouseLookup = Callable[[str], Warehouse | None]


def warehouse_lookup(company: Company, channel: SalesChannel) -> WarehouseLookup:
    """Which warehouse an order from a channel location goes to: the one mapped to that
    location (a Shopify gid matches by its last part), else the first mapped warehouse, else
    the company's first. Reads the mapping once (a poll applies many orders with it)."""
    mapping = list(ChannelLocation.objects.filter(channel=channel).select_related("warehouse"))
    fallback = (
        min((m.warehouse for m in mapping), key=lambda w: w.id)
        if mapping
        else Warehouse.objects.filter(company=company).order_by("id").first()
    )

    def lookup(location: str) -> Warehouse | None:
        for m in mapping:
            if location and m.location in (location, location.rsplit("/", 1)[-1]):
                return m.warehouse
        return fallback

    return lookup


@dataclass
class OrderApplied:
    """What applying one channel order did; `str()` is the outcome a webhook row records."""

    order_number: str
    imported: bool = False
    shipped: bool = False
    cancelled: bool = False
    skipped: bool = False  # it could not be imported (`notes` say why)
    notes: list[str] = field(default_factory=list)

    @property
    def reason(self) -> str:
        return "; ".join(self.notes)

    def __str__(self) -> str:
        return f"{self.order_number}: " + ", ".join(self.notes)


def _known_lines(
    company: Company, lines: Sequence[ChannelOrderLine]
) -> tuple[list[dict], list[str]]:
    skus = sorted({line.sku for line in lines if line.sku})
    known = set(Product.objects.filter(company=company, sku__in=skus).values_list("sku", flat=True))
    quantities: dict[str, int] = {}
    left_out = []
    for line in lines:
        if line.sku in known and line.quantity > 0:
            quantities[line.sku] = quantities.get(line.sku, 0) + line.quantity
        elif line.quantity > 0:
            left_out.append(line.sku or "(no SKU)")
    return [{"sku": s, "quantity": q} for s, q in quantities.items()], left_out


def _link(company: Company, channel: SalesChannel, external_id: str, order: Order) -> None:
    if not external_id:
        return
    try:
        ExternalOrder.objects.get_or_create(
            channel=channel,
            external_id=external_id,
            defaults={"company": company, "order": order},
        )
    except IntegrityError:
        pass  # linked concurrently


def _find(
    company: Company, channel: SalesChannel, external_id: str, order_number: str
) -> Order | None:
    if external_id:
        link = ExternalOrder.objects.filter(channel=channel, external_id=external_id).first()
        if link is not None:
            return link.order
    if order_number:
        return order_find(company=company, channel=channel, order_number=order_number)
    return None


def channel_order_apply(
    *,
    company: Company,
    channel: SalesChannel,
    order: ChannelOrder,
    external_id: str = "",
    warehouses: WarehouseLookup | None = None,
) -> OrderApplied:
    """Apply one order as the channel reports it (see the module docstring); returns what
    was done (`str()` of it for a webhook's outcome). `warehouses` is `warehouse_lookup`'s
    answer when the caller applies many orders. Raises the order services' errors for bad
    data (DomainError)."""
    done = OrderApplied(order.order_number)
    existing = _find(company, channel, external_id, order.order_number)
    if existing is None:
        if order.state == OrderState.CANCELLED:
            done.notes.append("cancelled before it was imported; nothing to do")
            return done
        existing = _import(company, channel, order, warehouses, done)
        if existing is None:
            return done
    else:
        done.notes.append("already imported")
    _link(company, channel, external_id, existing)
    if existing.status in (OrderStatus.OPEN, OrderStatus.PARTIALLY_SHIPPED):
        if order.state == OrderState.CANCELLED:
            order_cancel(company=company, order=existing, cancelled_at=order.updated_at)
            done.cancelled = True
            done.notes.append("cancelled")
        elif order.state == OrderState.SHIPPED:
            order_ship(company=company, order=existing, shipped_at=order.shipped_at)
            done.shipped = True
            done.notes.append("shipped")
    return done


def _import(
    company: Company,
    channel: SalesChannel,
    order: ChannelOrder,
    warehouses: WarehouseLookup | None,
    done: OrderApplied,
) -> Order | None:
    lines, left_out = _known_lines(company, order.lines)
    left = [f"left out {', '.join(left_out[:5])}"] if left_out else []
    if not lines:
        done.skipped = True
        done.notes.append("no SKU we know; skipped" + _tail(left))
        return None
    warehouse = (warehouses or warehouse_lookup(company, channel))(order.location)
    if warehouse is None:
        done.skipped = True
        done.notes.append("the company has no warehouse; skipped")
        return None
    imported, created = order_import(
        company=company,
        channel=channel,
        order_number=order.order_number,
        placed_at=order.placed_at,
        warehouse=warehouse,
        lines=lines,
    )
    done.imported = created
    done.notes += ["imported" if created else "already imported", *left]
    return imported


def channel_fulfillment_apply(
    *,
    company: Company,
    channel: SalesChannel,
    external_order_id: str,
    order_number: str,
    fulfillment: ShopifyFulfillment,
) -> str:
    """Ship a fulfillment's lines of an imported order, once per fulfillment id. An order we
    never imported is not shipped (the order poll brings it with its state)."""
    order = _find(company, channel, external_order_id, order_number)
    if order is None:
        return f"fulfillment {fulfillment.fulfillment_id}: order not imported; left to the poll"
    link = ExternalOrder.objects.filter(channel=channel, order=order).first()
    if link is not None and fulfillment.fulfillment_id in link.fulfillments:
        return f"{order.order_number}: fulfillment {fulfillment.fulfillment_id} already applied"
    lines, left_out = _known_lines(company, fulfillment.lines)
    on_order = set(order.lines.values_list("product__sku", flat=True))
    lines = [line for line in lines if line["sku"] in on_order]
    text = f"{order.order_number}: fulfillment {fulfillment.fulfillment_id}"
    if lines and order.status in (OrderStatus.OPEN, OrderStatus.PARTIALLY_SHIPPED):
        try:
            order_ship(company=company, order=order, lines=lines, shipped_at=fulfillment.shipped_at)
            text += " shipped"
        except Conflict as exc:
            text += f" not shipped: {exc.message}"
    else:
        text += " had nothing left to ship"
    if link is None:
        link = ExternalOrder.objects.create(
            company=company,
            channel=channel,
            external_id=external_order_id or f"order:{order.order_number}",
            order=order,
        )
    link.fulfillments = [*link.fulfillments, fulfillment.fulfillment_id]
    link.save(update_fields=["fulfillments"])
    return text + _tail([f"left out {', '.join(left_out[:5])}"] if left_out else [])


def _tail(notes: list[str]) -> str:
    return f" ({'; '.join(notes)})" if notes else ""
