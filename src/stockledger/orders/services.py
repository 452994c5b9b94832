"""Writes for orders: import from a sales channel, ship, cancel.

Every stock change goes through the ledger: importing commits stock at the order's warehouse,
shipping takes physical on hand and releases the commitment, cancelling releases it. Each
logs `order` rows (one per product and step) with event_id = the order number, order_step =
imported / shipped / cancelled, the channel's cart columns and document_type = order.

Kit lines hold no stock: their components are committed, shipped and cancelled by the kit's
ratio (as it was when the order was imported); the kit's own log gets the order line with no
stock change, each component's log gets its share with kit_sku = the kit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db import IntegrityError
from django.utils import timezone

from stockledger.catalog.models import KitComponent, Product, ProductKind
from stockledger.catalog.services import clean_sku, products_by_skus
from stockledger.channels.models import SalesChannel
from stockledger.core.documents import clean_document_number, clean_units
from stockledger.core.errors import Conflict, InvalidInput, NotFound
from stockledger.core.limits import LINES_MAX, ORDER_QUANTITY_MAX
from stockledger.core.models import Company, User
from stockledger.ledger.models import DocumentType, EventType, OrderStep
from stockledger.ledger.services import LogLine, ledger_record, write_transaction
from stockledger.warehouses.models import Warehouse

from .models import Order, OrderLine, OrderLineComponent, OrderStatus

# --- input ---------------------------------------------------------------------------------


def clean_order_number(value: Any, *, field: str = "order_number") -> str:
    return clean_document_number(value, field=field, label="order number")


def clean_timestamp(value: Any, *, field: str) -> datetime:
    """An aware datetime, in UTC. A time without an offset is ambiguous and refused."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise InvalidInput(
                f"{field} must be an ISO 8601 date and time with an offset", field=field
            ) from None
    if not isinstance(value, datetime):
        raise InvalidInput(f"{field} must be an ISO 8601 date and time", field=field)
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(
            f"{field} has no UTC offset; send it with one, e.g. 2025-03-01T09:30:00+01:00 "
            "or 2025-03-01T08:30:00Z",
            field=field,
        )
    try:
        return value.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+01:00 has no UTC equivalent
        raise InvalidInput(f"{field} is out of range", field=field) from None


def clean_quantity(value: Any, *, field: str) -> int:
    return clean_units(value, field=field, maximum=ORDER_QUANTITY_MAX)


def _clean_lines(lines: Any, *, verb: str) -> list[tuple[str, int]]:
    """[(sku, quantity)] from request lines; refuses an empty list and a SKU given twice."""
    if not isinstance(lines, Sequence) or isinstance(lines, str | bytes):
        raise InvalidInput("lines must be a list of {sku, quantity}", field="lines")
    if not lines:
        raise InvalidInput(f"lines must name at least one SKU to {verb}", field="lines")
    if len(lines) > LINES_MAX:
        raise InvalidInput(f"an order has at most {LINES_MAX} lines", field="lines")
    cleaned: list[tuple[str, int]] = []
    seen: set[str] = set()
    for i, line in enumerate(lines):
        where = f"lines[{i}]"
        if not isinstance(line, dict):
            raise InvalidInput("each line must be {sku, quantity}", field=where)
        sku = clean_sku(line.get("sku"), field=f"{where}.sku")
        quantity = clean_quantity(line.get("quantity"), field=f"{where}.quantity")
        if sku in seen:
            raise InvalidInput(
                f"SKU {sku!r} is listed twice; give it once with the total quantity",
                field=f"{where}.sku",
            )
        seen.add(sku)
        cleaned.append((sku, quantity))
    return cleaned


def _check_owned(company: Company, channel: SalesChannel, warehouse: Warehouse) -> None:
    if channel.company_id != company.id:
        raise InvalidInput(f"unknown sales channel {channel.id!r}", field="channel_id")
    if warehouse.company_id != company.id:
        raise InvalidInput(f"unknown warehouse {warehouse.id!r}", field="warehouse_id")


@dataclass
class _NewLine:
    product: Product
    quantity: int
    components: list[tuple[Product, int]] = field(default_factory=list)


def _resolve(company: Company, lines: list[tuple[str, int]]) -> list[_NewLine]:
    """Products for the SKUs (one query) and, for kits, their components (one more)."""
    # Unknown and archived SKUs are refused, and two SKUs naming one product (`b2`, `B2`).
    products = products_by_skus(company=company, skus=[sku for sku, _ in lines])
    resolved = [
        _NewLine(product, quantity)
        for product, (_sku, quantity) in zip(products, lines, strict=True)
    ]
    kit_lines = {line.product.id: line for line in resolved if line.product.is_kit}
    if kit_lines:
        for kc in (
            KitComponent.objects.filter(kit_id__in=list(kit_lines))
            .select_related("component")
            .order_by("kit_id", "component_id")
        ):
            kit_lines[kc.kit_id].components.append((kc.component, kc.quantity))
        for i, line in enumerate(resolved):
            if line.product.is_kit and not line.components:
                raise InvalidInput(
                    f"kit {line.product.sku!r} has no components to commit",
                    field=f"lines[{i}].sku",
                )
    return resolved


# --- log rows ------------------------------------------------------------------------------

_EFFECT = {  # (physical, committed) per unit
    OrderStep.IMPORTED: (0, 1),
    OrderStep.SHIPPED: (-1, -1),
    OrderStep.CANCELLED: (0, -1),
}


def _log_lines(
    order: Order,
    step: OrderStep,
    moves: Sequence[tuple[Product, int, Sequence[tuple[Product, int]]]],
) -> list[LogLine]:
    """The ledger lines of one step: (product, units, kit components) per order line.

    A kit's components come before the kit's own row so the kit's recorded (derived)
    quantities are those after the step.
    """
    d_physical, d_committed = _EFFECT[step]
    common = {
        "event_id": order.order_number,
        "order_step": step,
        "document_type": DocumentType.ORDER,
        "document_id": order.id,
    }
    out: list[LogLine] = []
    for product, units, components in moves:
        if product.kind == ProductKind.KIT:
            for component, per_kit in components:
                q = units * per_kit
                out.append(
                    LogLine(
                        product=component,
                        warehouse=order.warehouse,
                        physical_change=d_physical * q,
                        committed_change=d_committed * q,
                        quantity=q,
                        allow_negative=True,
                        fields={**common, "kit_sku": product.sku},
                    )
                )
            out.append(
                LogLine(
                    product=product, warehouse=order.warehouse, quantity=units, fields=dict(common)
                )
            )
        else:
            out.append(
                LogLine(
                    product=product,
                    warehouse=order.warehouse,
                    physical_change=d_physical * units,
                    committed_change=d_committed * units,
                    quantity=units,
                    # Shipping records a fact: it may leave physical on hand below zero, and
                    # the row is marked went_negative.
                    allow_negative=True,
                    fields=dict(common),
                )
            )
    return out


# --- import --------------------------------------------------------------------------------


def order_find(*, company: Company, channel: SalesChannel, order_number: str) -> Order | None:
    return Order.objects.filter(company=company, channel=channel, order_number=order_number).first()


def order_import(
    *,
    company: Company,
    channel: SalesChannel,
    order_number: str,
    placed_at: datetime | str,
    warehouse: Warehouse,
    lines: Sequence[dict],
    user: User | None = None,
) -> tuple[Order, bool]:
    """Import an order from a sales channel; returns (order, created).

    - Commits each line's quantity at `warehouse` (kits: their components by the kit ratio).
    - Logs one `order` row per product with quantity = ordered, order_step = imported,
      event_id = the order number, created_at = `placed_at`, imported_at = now, the channel's
      cart columns, user_name from `user`, document_type = order (kit components also carry
      kit_sku).
    - Idempotent on channel + order number: if the channel's order number was imported
      before (or is being imported concurrently), nothing changes, nothing is logged and the
      existing order is returned with created = False. The body of such a re-import is not
      compared: the order as first imported stands; later changes arrive as ship / cancel.
      A malformed body (no offset on placed_at, bad quantities) is refused even then;
      unknown SKUs are not looked up for a duplicate.
    Raises InvalidInput (another company's channel or warehouse, empty or repeated lines,
    unknown SKU, non-positive quantity, placed_at without an offset).
    """
    _check_owned(company, channel, warehouse)
    order_number = clean_order_number(order_number)
    placed_at = clean_timestamp(placed_at, field="placed_at")
    cleaned = _clean_lines(lines, verb="order")
    existing = order_find(company=company, channel=channel, order_number=order_number)
    if existing is not None:
        return existing, False
    resolved = _resolve(company, cleaned)
    try:
        return _order_insert_in_transaction(
            company=company,
            channel=channel,
            order_number=order_number,
            placed_at=placed_at,
            warehouse=warehouse,
            lines=resolved,
            user=user,
        )
    except IntegrityError:
        # A concurrent import of the same order committed first: its transaction won the
        # unique (channel, order_number) index and ours rolled back whole.
        existing = order_find(company=company, channel=channel, order_number=order_number)
        if existing is None:
            raise
        return existing, False


@write_transaction
def _order_insert_in_transaction(
    *,
    company: Company,
    channel: SalesChannel,
    order_number: str,
    placed_at: datetime,
    warehouse: Warehouse,
    lines: list[_NewLine],
    user: User | None,
) -> tuple[Order, bool]:
    # Checked again inside the transaction: on SQLite writers are serialized from BEGIN, so
    # a concurrent import that committed meanwhile is seen here. On PostgreSQL the insert
    # below waits on the other transaction's index entry and fails with IntegrityError.
    existing = order_find(company=company, channel=channel, order_number=order_number)
    if existing is not None:
        return existing, False
    now = timezone.now()
    # The order row first: a concurrent importer blocks on its unique index entry before it
    # locks any product, so the two cannot deadlock.
    order = Order.objects.create(
        company=company,
        channel=channel,
        order_number=order_number,
        placed_at=placed_at,
        imported_at=now,
        warehouse=warehouse,
        status=OrderStatus.OPEN,
        imported_by=user,
    )
    order_lines = OrderLine.objects.bulk_create(
        OrderLine(order=order, position=i, product=line.product, quantity=line.quantity)
        for i, line in enumerate(lines)
    )
    OrderLineComponent.objects.bulk_create(
        OrderLineComponent(line=order_line, component=component, quantity_per_kit=per_kit)
        for order_line, line in zip(order_lines, lines, strict=True)
        for component, per_kit in line.components
    )
    ledger_record(
        company=company,
        event_type=EventType.ORDER,
        lines=_log_lines(
            order,
            OrderStep.IMPORTED,
            [(line.product, line.quantity, line.components) for line in lines],
        ),
        created_at=placed_at,
        imported_at=now,
        user=user,
        channel=channel,
    )
    return order, True


# --- ship and cancel -----------------------------------------------------------------------


def _lock(company: Company, order: Order) -> tuple[Order, list[OrderLine]]:
    """The order, locked for this transaction, with its lines as they are now."""
    locked = Order.objects.select_for_update().filter(company=company, pk=order.pk).first()
    if locked is None:
        raise NotFound(f"order {order.pk} not found")
    order_lines = list(
        OrderLine.objects.filter(order=locked)
        .select_related("product")
        .prefetch_related("components__component")
        .order_by("position")
    )
    return locked, order_lines


def _status(order_lines: Sequence[OrderLine]) -> OrderStatus:
    remaining = sum(line.remaining for line in order_lines)
    shipped = sum(line.shipped for line in order_lines)
    if remaining == 0:
        return OrderStatus.SHIPPED if shipped else OrderStatus.CANCELLED
    return OrderStatus.PARTIALLY_SHIPPED if shipped else OrderStatus.OPEN


def _pick(
    order: Order, order_lines: list[OrderLine], lines: Sequence[dict] | None, *, verb: str
) -> list[tuple[OrderLine, int]]:
    """(order line, units) for a ship or cancel: every remaining unit, or the lines asked."""
    if lines is None:
        picks = [(line, line.remaining) for line in order_lines if line.remaining > 0]
        if not picks:
            raise Conflict(f"order {order.order_number} has nothing left to {verb}")
        return picks
    by_sku = {line.product.sku: line for line in order_lines}
    picks = []
    for i, (sku, quantity) in enumerate(_clean_lines(lines, verb=verb)):
        line = by_sku.get(sku)
        if line is None:
            raise InvalidInput(
                f"SKU {sku!r} is not on order {order.order_number}", field=f"lines[{i}].sku"
            )
        if quantity > line.remaining:
            raise Conflict(
                f"order {order.order_number} has {line.remaining} of {sku} left to {verb}; "
                f"cannot {verb} {quantity}",
                field=f"lines[{i}].quantity",
            )
        picks.append((line, quantity))
    return picks


def _moves(picks: list[tuple[OrderLine, int]]):
    return [
        (
            line.product,
            units,
            [(c.component, c.quantity_per_kit) for c in line.components.all()],
        )
        for line, units in picks
    ]


def _apply_step(
    *,
    company: Company,
    order: Order,
    order_lines: list[OrderLine],
    picks: list[tuple[OrderLine, int]],
    step: OrderStep,
    user: User | None,
    at: datetime | None,
) -> Order:
    attribute = "shipped" if step == OrderStep.SHIPPED else "cancelled"
    for line, units in picks:
        setattr(line, attribute, getattr(line, attribute) + units)
    OrderLine.objects.bulk_update([line for line, _ in picks], [attribute])
    order.status = _status(order_lines)
    order.save(update_fields=["status", "updated_at"])
    ledger_record(
        company=company,
        event_type=EventType.ORDER,
        lines=_log_lines(order, step, _moves(picks)),
        created_at=at or timezone.now(),
        imported_at=order.imported_at,
        user=user,
        channel=order.channel,
    )
    return order


@write_transaction
def order_ship(
    *,
    company: Company,
    order: Order,
    lines: Sequence[dict] | None = None,
    user: User | None = None,
    shipped_at: datetime | str | None = None,
) -> Order:
    """Ship the whole remaining order (`lines` None) or the given [{sku, quantity}].

    - Physical on hand and committed each go down by the units shipped at the order's
      warehouse (kits: their components by the kit ratio). Physical may go below zero: the
      shipment is a fact; such rows are marked went_negative.
    - Logs `order` rows with order_step = shipped, quantity = units shipped, created_at =
      `shipped_at` (default now), imported_at = the order's import time.
    - The order becomes partially_shipped, or shipped once nothing remains.
    Raises Conflict (a cancelled or fully shipped order, more than remains on a line) and
    InvalidInput (a SKU not on the order, bad quantities); either changes nothing.
    """
    at = clean_timestamp(shipped_at, field="shipped_at") if shipped_at is not None else None
    order, order_lines = _lock(company, order)
    if order.status == OrderStatus.CANCELLED:
        raise Conflict(f"order {order.order_number} is cancelled; it cannot be shipped")
    if order.status == OrderStatus.SHIPPED:
        raise Conflict(f"order {order.order_number} is already shipped")
    picks = _pick(order, order_lines, lines, verb="ship")
    return _apply_step(
        company=company,
        order=order,
        order_lines=order_lines,
        picks=picks,
        step=OrderStep.SHIPPED,
        user=user,
        at=at,
    )


@write_transaction
def order_cancel(
    *,
    company: Company,
    order: Order,
    lines: Sequence[dict] | None = None,
    user: User | None = None,
    cancelled_at: datetime | str | None = None,
) -> Order:
    """Cancel what is not shipped: all of it (`lines` None) or the given [{sku, quantity}].

    - Committed goes down by the units cancelled (kits: their components); physical on hand
      does not change.
    - Logs `order` rows with order_step = cancelled, quantity = units cancelled.
    - The order becomes cancelled when nothing shipped and nothing remains; shipped when
      some units shipped and the rest is now cancelled; otherwise it stays open / partially
      shipped.
    Raises Conflict (an order already cancelled or shipped, more than remains on a line) and
    InvalidInput (a SKU not on the order); either changes nothing.
    """
    at = clean_timestamp(cancelled_at, field="cancelled_at") if cancelled_at is not None else None
    order, order_lines = _lock(company, order)
    if order.status == OrderStatus.CANCELLED:
        raise Conflict(f"order {order.order_number} is already cancelled")
    if order.status == OrderStatus.SHIPPED:
        raise Conflict(
            f"order {order.order_number} is shipped; nothing is left to cancel "
            "(record returned goods as a return)"
        )
    picks = _pick(order, order_lines, lines, verb="cancel")
    return _apply_step(
        company=company,
        order=order,
        order_lines=order_lines,
        picks=picks,
        step=OrderStep.CANCELLED,
        user=user,
        at=at,
    )
