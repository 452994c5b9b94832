"""Bulk order import: up to 1,000 channel orders in one call, each all-or-nothing.

Same rules and the same log rows as `order_import`, one order at a time; only the work is
batched so a sale day's burst is cheap:
- channels, warehouses, products and kit components are resolved with one query each for the
  whole batch, and duplicates (channel + order number imported before) with one more;
- the valid new orders are written in chunks of `CHUNK` orders, each chunk one durable
  transaction (bulk inserts of orders, lines and kit components, and one `ledger_record`
  call for all their log rows, which locks every product involved once, in id order).

Each order is still all-or-nothing: every check that can refuse an order runs before the
chunk's transaction, and nothing inside it refuses a single order (an import only adds to
committed). If a chunk's transaction fails anyway, nothing of it stays: on an IntegrityError
(a concurrent import of one of its orders committed first) the chunk is checked for
duplicates again and retried; on anything else its orders are written one per transaction,
so only the order that fails is reported as failed.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import IntegrityError
from django.db.models import Q
from django.utils import timezone

from stockledger.catalog.models import KitComponent, Product
from stockledger.catalog.skus import sku_key
from stockledger.channels.models import SalesChannel
from stockledger.core.bulk_sql import insert_objects
from stockledger.core.errors import DomainError, InvalidInput
from stockledger.core.ids import is_row_id
from stockledger.core.models import Company, User
from stockledger.ledger.models import EventType, OrderStep
from stockledger.ledger.services import ledger_record, write_transaction
from stockledger.warehouses.models import Warehouse

from .models import Order, OrderLine, OrderLineComponent, OrderStatus
from .services import (
    _clean_lines,
    _log_lines,
    _NewLine,
    clean_order_number,
    clean_timestamp,
)

log = logging.getLogger(__name__)

MAX_ORDERS = 1000
CHUNK = 250
CHUNK_ATTEMPTS = 3


class BulkStatus:
    CREATED = "created"
    DUPLICATE = "duplicate"
    ERROR = "error"


@dataclass
class BulkResult:
    """What happened to one order of the batch (by its position in the request)."""

    index: int
    order_number: str | None
    status: str = BulkStatus.ERROR
    order_id: int | None = None
    detail: str | None = None
    errors: list[dict[str, str]] = field(default_factory=list)

    def fail(self, exc: DomainError, prefix: str) -> None:
        self.status = BulkStatus.ERROR
        self.detail = exc.message
        self.errors = [
            {"field": f"{prefix}.{e['field']}" if e["field"] else prefix, "message": e["message"]}
            for e in (exc.as_errors() or [{"field": "", "message": exc.message}])
        ]


@dataclass
class _Pending:
    """A valid new order waiting for its chunk's transaction."""

    result: BulkResult
    channel: SalesChannel
    warehouse: Warehouse
    order_number: str
    placed_at: datetime
    lines: list[_NewLine]


def _ids(orders: Sequence[dict], key: str) -> set[int]:
    values = (o.get(key) for o in orders if isinstance(o, dict))
    return {v for v in values if is_row_id(v)}


def _validate(
    company: Company, orders: Sequence[dict], results: list[BulkResult]
) -> list[tuple[BulkResult, SalesChannel, Warehouse, str, datetime, list[tuple[str, int]]]]:
    """Per order: the checks of `order_import`, with channels and warehouses looked up once."""
    channels = SalesChannel.objects.in_bulk(list(_ids(orders, "channel_id")))
    warehouses = Warehouse.objects.in_bulk(list(_ids(orders, "warehouse_id")))
    valid = []
    for data, result in zip(orders, results, strict=True):
        try:
            if not isinstance(data, dict):
                raise InvalidInput("each order must be an object")
            channel_id, warehouse_id = data.get("channel_id"), data.get("warehouse_id")
            channel = channels.get(channel_id) if type(channel_id) is int else None
            if channel is None or channel.company_id != company.id:
                raise InvalidInput(f"unknown sales channel {channel_id!r}", field="channel_id")
            warehouse = warehouses.get(warehouse_id) if type(warehouse_id) is int else None
            if warehouse is None or warehouse.company_id != company.id:
                raise InvalidInput(f"unknown warehouse {warehouse_id!r}", field="warehouse_id")
            if warehouse.archived_at is not None:
                raise InvalidInput(
                    f"warehouse {warehouse.name} is archived; unarchive it to use it in new "
                    "documents",
                    field="warehouse_id",
                )
            number = clean_order_number(data.get("order_number"))
            placed_at = clean_timestamp(data.get("placed_at"), field="placed_at")
            lines = _clean_lines(data.get("lines"), verb="order")
        except DomainError as exc:
            result.fail(exc, f"orders[{result.index}]")
            continue
        result.order_number = number
        valid.append((result, channel, warehouse, number, placed_at, lines))
    return valid


def _resolve_lines(company: Company, valid) -> list[_Pending]:
    """Products for every SKU of the batch (one query) and kits' components (one more)."""
    skus = {sku for *_, lines in valid for sku, _ in lines}
    # Compared as SKUs are (`b2` finds `B2`): exact matches first, then by key.
    products: dict[str, Product] = {}
    by_key: dict[str, Product] = {}
    for p in Product.objects.filter(
        Q(sku__in=skus) | Q(sku_key__in={sku_key(s) for s in skus}), company=company
    ):
        products[p.sku] = p
        by_key.setdefault(p.sku_key, p)
    kit_ids = list({p.id for p in [*products.values(), *by_key.values()] if p.is_kit})
    components: dict[int, list[tuple[Product, int]]] = {}
    for kc in (
        KitComponent.objects.filter(kit_id__in=kit_ids)
        .select_related("component")
        .order_by("kit_id", "component_id")
    ):
        components.setdefault(kc.kit_id, []).append((kc.component, kc.quantity))
    pending = []
    for result, channel, warehouse, number, placed_at, lines in valid:
        resolved = []
        try:
            seen: set[int] = set()
            for j, (sku, quantity) in enumerate(lines):
                product = products.get(sku) or by_key.get(sku_key(sku))
                if product is None:
                    raise InvalidInput(f"unknown SKU {sku!r}", field=f"lines[{j}].sku")
                if product.archived_at is not None:
                    raise InvalidInput(
                        f"{product.sku} is archived; unarchive it to use it in new documents",
                        field=f"lines[{j}].sku",
                    )
                if product.id in seen:
                    raise InvalidInput(
                        f"{product.sku} is listed twice; give it once with the total quantity",
                        field=f"lines[{j}].sku",
                    )
                seen.add(product.id)
                line = _NewLine(product, quantity, list(components.get(product.id, [])))
                if product.is_kit and not line.components:
                    raise InvalidInput(
                        f"kit {sku!r} has no components to commit", field=f"lines[{j}].sku"
                    )
                resolved.append(line)
        except DomainError as exc:
            result.fail(exc, f"orders[{result.index}]")
            continue
        pending.append(_Pending(result, channel, warehouse, number, placed_at, resolved))
    return pending


def _existing(company: Company, pending: Sequence[_Pending]) -> dict[tuple[int, str], int]:
    """Order ids of the pending orders' channel + order numbers already imported."""
    if not pending:
        return {}
    rows = Order.objects.filter(
        company=company,
        channel_id__in={p.channel.id for p in pending},
        order_number__in={p.order_number for p in pending},
    ).values_list("channel_id", "order_number", "id")
    return {(channel_id, number): order_id for channel_id, number, order_id in rows}


def _new_only(company: Company, pending: Sequence[_Pending]) -> list[_Pending]:
    """Mark the orders imported before as duplicates; return the others."""
    existing = _existing(company, pending)
    fresh = []
    for p in pending:
        order_id = existing.get((p.channel.id, p.order_number))
        if order_id is None:
            fresh.append(p)
        else:
            p.result.status, p.result.order_id = BulkStatus.DUPLICATE, order_id
    return fresh


@write_transaction
def _insert_chunk_in_transaction(
    *, company: Company, pending: list[_Pending], user: User | None
) -> list[tuple[_Pending, str, int]]:
    """Write the chunk's new orders and their log rows in one transaction.

    Returns (order, status, order id) for each; the caller records them once committed.
    """
    # Checked again inside the transaction: on SQLite writers are serialized from BEGIN, so
    # an import committed meanwhile is seen here; on PostgreSQL such a race makes the insert
    # fail on the unique (channel, order_number) index instead, and the caller retries.
    already = _existing(company, pending)
    outcome = [
        (p, BulkStatus.DUPLICATE, already[(p.channel.id, p.order_number)])
        for p in pending
        if (p.channel.id, p.order_number) in already
    ]
    # In key order, so concurrent batches take the unique index entries in the same order.
    pending = sorted(
        (p for p in pending if (p.channel.id, p.order_number) not in already),
        key=lambda p: (p.channel.id, p.order_number),
    )
    if not pending:
        return outcome
    now = timezone.now()
    # insert_objects: bulk_create's rows, without its per-value field machinery (a third of a
    # 1,000-order request went there).
    orders = insert_objects(
        Order,
        [
            Order(
                company=company,
                channel=p.channel,
                order_number=p.order_number,
                placed_at=p.placed_at,
                imported_at=now,
                warehouse=p.warehouse,
                status=OrderStatus.OPEN,
                imported_by=user,
            )
            for p in pending
        ],
    )
    order_lines = insert_objects(
        OrderLine,
        [
            OrderLine(order=order, position=i, product=line.product, quantity=line.quantity)
            for order, p in zip(orders, pending, strict=True)
            for i, line in enumerate(p.lines)
        ],
    )
    new_lines = [line for p in pending for line in p.lines]
    insert_objects(
        OrderLineComponent,
        [
            OrderLineComponent(line=order_line, component=component, quantity_per_kit=per_kit)
            for order_line, line in zip(order_lines, new_lines, strict=True)
            for component, per_kit in line.components
        ],
    )
    log_lines = []
    for order, p in zip(orders, pending, strict=True):
        # What `ledger_record(channel=, created_at=)` fills for a single import, per order.
        per_order = {
            "created_at": p.placed_at,
            "cart_type": p.channel.cart_type,
            "cart_id": p.channel.id,
            "cart_name": p.channel.name,
        }
        moves = [(line.product, line.quantity, line.components) for line in p.lines]
        for line in _log_lines(order, OrderStep.IMPORTED, moves):
            line.fields.update(per_order)
            line.event = order.id  # each order its own event: totals after that order
            log_lines.append(line)
    ledger_record(
        company=company, event_type=EventType.ORDER, lines=log_lines, imported_at=now, user=user
    )
    return outcome + [
        (p, BulkStatus.CREATED, order.id) for order, p in zip(orders, pending, strict=True)
    ]


def _record(outcome: list[tuple[_Pending, str, int]]) -> None:
    for p, status, order_id in outcome:
        p.result.status, p.result.order_id = status, order_id


def _write(company: Company, chunk: list[_Pending], user: User | None) -> None:
    """Import a chunk in one transaction; if that fails, its orders one transaction each."""
    for _attempt in range(CHUNK_ATTEMPTS):
        chunk = _new_only(company, chunk)
        if not chunk:
            return
        try:
            _record(_insert_chunk_in_transaction(company=company, pending=chunk, user=user))
            return
        except IntegrityError:
            continue  # a concurrent import of one of these orders committed first: recheck
        except Exception:  # noqa: BLE001 - isolated order by order below
            log.warning("bulk order import: a chunk failed; importing its orders one by one")
            break
    for p in _new_only(company, chunk):
        prefix = f"orders[{p.result.index}]"
        try:
            _record(_insert_chunk_in_transaction(company=company, pending=[p], user=user))
        except IntegrityError:
            if _new_only(company, [p]):  # not a concurrent duplicate after all
                log.exception("bulk order import: %s failed", prefix)
                p.result.fail(InvalidInput("the order could not be imported"), prefix)
        except DomainError as exc:
            p.result.fail(exc, prefix)
        except Exception:  # noqa: BLE001 - one order's failure must not hide the others'
            log.exception("bulk order import: %s failed", prefix)
            p.result.fail(InvalidInput("the order could not be imported"), prefix)


def _first_copies(
    pending: list[_Pending],
) -> tuple[list[_Pending], list[tuple[_Pending, _Pending]]]:
    """The first occurrence of each channel order in the batch, and the later copies."""
    first: dict[tuple[int, str], _Pending] = {}
    copies = []
    for p in pending:
        key = (p.channel.id, p.order_number)
        if key in first:
            copies.append((p, first[key]))
        else:
            first[key] = p
    return list(first.values()), copies


def _number_as_sent(order: Any) -> str | None:
    number = order.get("order_number") if isinstance(order, dict) else None
    return number if isinstance(number, str) else None


def orders_import_bulk(
    *,
    company: Company,
    orders: Sequence[dict[str, Any]],
    user: User | None = None,
    positions: Sequence[int] | None = None,
) -> list[BulkResult]:
    """Import many channel orders; return one result per order, in request order.

    Each order follows `order_import` exactly: the same checks, the same stock changes
    (committed at its warehouse, kits by their components) and the same `order` log rows
    (order_step imported, created_at = placed_at, the channel's cart columns, document =
    the order). Per order the result is `created` (with the new order's id), `duplicate`
    (its channel + order number was imported before, or earlier in this batch: nothing
    changes; the existing order's id) or `error` (with the message and the field, e.g.
    `orders[3].lines[0].sku`; that order changes nothing, the others are imported).
    Orders are dicts {channel_id, order_number, placed_at, warehouse_id, lines: [{sku,
    quantity}]}; `positions` are their indexes in the caller's request (default 0, 1, ...),
    used in results and field names. Raises InvalidInput for more than MAX_ORDERS orders.
    """
    if len(orders) > MAX_ORDERS:
        raise InvalidInput(f"at most {MAX_ORDERS} orders per request", field="orders")
    results = [
        BulkResult(index=i, order_number=_number_as_sent(o))
        for i, o in zip(positions or range(len(orders)), orders, strict=True)
    ]
    pending = _resolve_lines(company, _validate(company, orders, results))
    firsts, copies = _first_copies(pending)
    fresh = _new_only(company, firsts)
    for start in range(0, len(fresh), CHUNK):
        _write(company, fresh[start : start + CHUNK], user)
    for copy, first in copies:
        if first.result.order_id is not None:
            copy.result.status, copy.result.order_id = BulkStatus.DUPLICATE, first.result.order_id
        else:
            copy.result.fail(
                InvalidInput(
                    f"the same channel order as orders[{first.result.index}], which failed"
                ),
                f"orders[{copy.result.index}]",
            )
    return results
