"""The ledger: the one writer of stock and of Inventory Log rows.

Every operation that changes inventory (on hand, receipts, transfers, orders, returns,
manufacturing) and every event that only records a fact (channel import/export, channel
warehouse changes) ends in `ledger_record`, called inside the operation's transaction. It
locks the products whose stock changes (in id order, so concurrent writers cannot deadlock),
applies the changes to the stock rows and appends one log row per line with the quantities
that resulted.
"""

from __future__ import annotations

import functools
import itertools
import logging
import random
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ParamSpec, TypeVar

from django.db import OperationalError, connection, transaction
from django.utils import timezone

from stockledger.catalog.models import Product, ProductKind
from stockledger.channels.dirty import channels_mark_dirty
from stockledger.core.errors import InsufficientStock, InvalidInput
from stockledger.core.models import Company, User
from stockledger.warehouses.models import Stock, Warehouse

from .log_insert import insert_entries, new_log_entry
from .models import AdjustmentReason, EventType, LogEntry
from .stockbook import StockBook, chunks

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

MAX_ATTEMPTS = 8
_EVENT_TYPES = frozenset(EventType.values)


def _is_retryable(exc: BaseException) -> bool:
    cause = getattr(exc, "__cause__", None)
    sqlstate = getattr(cause, "sqlstate", None)
    if sqlstate in {"40001", "40P01"}:  # serialization failure, deadlock detected
        return True
    text = str(exc).lower()
    return "deadlock" in text or "database is locked" in text or "could not serialize" in text


def write_transaction(fn: Callable[P, R]) -> Callable[P, R]:
    """Run a service in one durable transaction, retrying deadlocks and serialization failures.

    The outermost transaction of every stock-changing service comes from here. A retry reruns
    the whole service from the start, so nothing of a failed attempt survives.
    """

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        attempt = 0
        while True:
            attempt += 1
            try:
                with transaction.atomic(durable=True):
                    return fn(*args, **kwargs)
            except OperationalError as exc:
                if connection.in_atomic_block or attempt >= MAX_ATTEMPTS or not _is_retryable(exc):
                    raise
                log.info("retrying %s after %s (attempt %d)", fn.__name__, exc, attempt)
                time.sleep(min(0.5, 0.01 * 2**attempt) * random.random())

    return wrapper


@dataclass
class LogLine:
    """One row to append: a change to one product's stock in one warehouse, or a fact.

    `fields` carries the event's other columns (event_id, notes, cart columns, ...).
    `available_on_hand` / `physical_on_hand` override the recorded product quantities
    (an `export` row records the quantity written to the channel).
    """

    product: Product
    warehouse: Warehouse | None = None
    physical_change: int = 0
    committed_change: int = 0
    quantity: int | None = None
    allow_negative: bool = False
    available_on_hand: int | None = None
    physical_on_hand: int | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    # Consecutive lines with the same `event` are one event (the default: all lines of a
    # record); a record of several events (a batch of orders) keys each its own.
    event: Any = None


def lock_products(company: Company, product_ids: set[int]) -> None:
    """Lock product rows in id order: the serialization point for their stock and log rows.

    Services that must read quantities before calling `ledger_record` (to validate a transfer,
    say) lock first with this; the ledger locks the same rows again, which is a no-op.
    SQLite has no row locks: its writers already hold the database's write lock from the
    start of their transaction (BEGIN IMMEDIATE), so there is nothing to take."""
    if not connection.features.has_select_for_update:
        return
    qn = connection.ops.quote_name
    table, company_id, id_ = qn(Product._meta.db_table), qn("company_id"), qn("id")
    with connection.cursor() as cursor:
        # Written by hand: compiling the ORM's query was a tenth of a single stock change.
        for chunk in chunks(sorted(product_ids)):
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(
                f"SELECT {id_} FROM {table} WHERE {company_id} = %s AND {id_} IN ({marks}) "
                f"ORDER BY {id_} FOR UPDATE",
                [company.id, *chunk],
            )
            cursor.fetchall()


def ledger_record(
    *,
    company: Company,
    event_type: EventType | str,
    lines: Sequence[LogLine],
    created_at: datetime | None = None,
    imported_at: datetime | None = None,
    user: User | None = None,
    channel: Any = None,
    common: dict[str, Any] | None = None,
) -> list[LogEntry]:
    """Apply `lines` to stock and append their log rows; call inside the service's transaction.

    - Stock: for each line, physical on hand += physical_change, committed += committed_change
      at the line's warehouse. Kits hold no stock: a change on a kit is refused.
    - A line that would leave physical on hand below zero is refused (InsufficientStock)
      unless it says `allow_negative` (shipping records a fact), and then it is marked.
    - Log: one row per line, with the event's columns, the warehouse's own quantities right
      after that line, the signed changes, and the product's totals after the WHOLE event
      (every row of one product in one event shows the same totals; an event is the whole
      record, or each run of lines with the same `LogLine.event`). The rows of an event of
      several lines share an `event_group`, by which `verify` checks that.
    - `channel` (a sales channel) fills cart_type / cart_id / cart_name; `user` fills user_name.
    Returns the rows written, in order.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("ledger_record must run inside the service's transaction")
    if event_type not in _EVENT_TYPES:
        raise InvalidInput(f"unknown event type {event_type!r}", field="event_type")
    created_at = created_at or timezone.now()
    common = _common_columns(common, channel=channel, user=user)
    involved, kit_ids = _checked_products(company, lines)
    book = _locked_book(company, involved, kit_ids)
    entries = _event_entries(
        book, company, lines, common, event_type, created_at, imported_at, user
    )
    if book.dirty:
        # What channels should show may have changed: the worker writes it back (no I/O here).
        channels_mark_dirty(company_id=company.id)
    book.save()
    return insert_entries(entries)


def _common_columns(
    common: dict[str, Any] | None, *, channel: Any, user: User | None
) -> dict[str, Any]:
    """The columns every row of the record shares: the caller's, then the cart's and user's."""
    common = dict(common or {})
    if channel is not None:
        common.setdefault("cart_type", channel.cart_type)
        common.setdefault("cart_id", channel.id)
        common.setdefault("cart_name", channel.name)
    if user is not None:
        common.setdefault("user_name", user.get_username())
    return common


def _checked_products(company: Company, lines: Sequence[LogLine]) -> tuple[set[int], set[int]]:
    """The ids of the products the lines name and of the kits among them; refuses another
    company's product or warehouse, a stock change on a kit and one without a warehouse."""
    involved: set[int] = set()
    kit_ids: set[int] = set()
    for line in lines:
        if line.product.company_id != company.id:
            raise InvalidInput(f"product {line.product.sku} belongs to another company")
        if line.warehouse is not None and line.warehouse.company_id != company.id:
            raise InvalidInput(f"warehouse {line.warehouse.name} belongs to another company")
        involved.add(line.product.id)
        if line.product.kind == ProductKind.KIT:
            kit_ids.add(line.product.id)
            if line.physical_change or line.committed_change:
                raise InvalidInput(
                    f"{line.product.sku} is a kit: kits hold no stock; change its components"
                )
        if line.physical_change or line.committed_change:
            if line.warehouse is None:
                raise InvalidInput("a stock change needs a warehouse", field="warehouse_id")
    return involved, kit_ids


def _locked_book(company: Company, involved: set[int], kit_ids: set[int]) -> StockBook:
    """The stock of every product the record reads, loaded after locking them.

    Every product whose quantities this record reads is locked, not only those it changes: a
    row that only records a fact (import, export, a kit's order line) must see the totals as
    of its place in the sequence, or replay would find it out of step with a concurrent
    change. Kits are read through their components, so those are locked too."""
    book = StockBook(company, involved, load=False)
    component_ids = book.load_kits(kit_ids) if kit_ids else set()
    lock_products(company, involved | component_ids)
    book.reload(involved | component_ids)
    return book


def _event_entries(
    book: StockBook,
    company: Company,
    lines: Sequence[LogLine],
    common: dict[str, Any],
    event_type: EventType | str,
    created_at: datetime,
    imported_at: datetime | None,
    user: User | None,
) -> list[LogEntry]:
    """The log rows of the record, applying each line to `book`.

    First every line's change, each row taking its warehouse's quantities right after its
    line; then the product totals, once the whole event is applied: an event writing
    several rows of one product (a transfer's two rows, an MO consuming and producing one
    SKU, a kit next to its components) shows the same totals on each, never a state that
    did not exist."""
    entries: list[LogEntry] = []
    for _key, grouped in itertools.groupby(lines, key=lambda line: line.event):
        event_lines = list(grouped)
        group = secrets.randbits(62) if len(event_lines) > 1 else None
        values_of = [
            _line_values(book, company, line, common, event_type, created_at, imported_at, user)
            for line in event_lines
        ]
        totals = {
            pid: book.product_totals(pid) for pid in {line.product.id for line in event_lines}
        }
        for line, values in zip(event_lines, values_of, strict=True):
            physical, committed = totals[line.product.id]
            values["physical_on_hand"] = (
                physical if line.physical_on_hand is None else line.physical_on_hand
            )
            values["available_on_hand"] = (
                physical - committed if line.available_on_hand is None else line.available_on_hand
            )
            values["committed"] = committed
            values["event_group"] = group
            entries.append(new_log_entry(values))
    return entries


def _line_values(
    book: StockBook,
    company: Company,
    line: LogLine,
    common: dict[str, Any],
    event_type: str,
    created_at: datetime,
    imported_at: datetime | None,
    user: User | None,
) -> dict[str, Any]:
    """Apply one line's change to the book; its row's columns but the product totals."""
    product = line.product
    went_negative = False
    if line.physical_change or line.committed_change:
        assert line.warehouse is not None  # checked before: a stock change needs one
        stock = book.row(product, line.warehouse)
        before = stock.physical_on_hand
        stock.physical_on_hand += line.physical_change
        stock.committed += line.committed_change
        if stock.physical_on_hand < 0 and line.physical_change < 0:
            if not line.allow_negative:
                raise InsufficientStock(
                    f"{product.sku} has {before} physical on hand in {line.warehouse.name}; "
                    f"cannot take {-line.physical_change}",
                    field="quantity",
                )
            went_negative = True
        if stock.committed < 0:
            raise InsufficientStock(
                f"{product.sku} has {stock.committed - line.committed_change} committed in "
                f"{line.warehouse.name}; cannot release {-line.committed_change}",
                field="quantity",
            )
        book.dirty[(product.id, line.warehouse.id)] = stock

    row = dict(common)
    row.update(line.fields)
    if line.warehouse is not None:
        wh_physical, wh_committed = book.warehouse_totals(product.id, line.warehouse.id)
        row.setdefault("warehouse_name", line.warehouse.name)
        row.update(
            warehouse_physical_on_hand=wh_physical,
            warehouse_committed=wh_committed,
            warehouse_available_on_hand=wh_physical - wh_committed,
        )
    values = {
        "company": company,
        "product": product,
        "sku": product.sku,
        "warehouse": line.warehouse,
        "user": user,
        "event_type": event_type,
        "created_at": row.pop("created_at", created_at),
        "imported_at": row.pop("imported_at", imported_at),
        "quantity": line.quantity,
        "physical_change": line.physical_change,
        "committed_change": line.committed_change,
        "went_negative": went_negative,
    }
    for name in row:
        if name in values or name in _COMPUTED_TOTALS:
            raise TypeError(f"LogEntry() got multiple values for argument '{name}'")
    values.update(row)
    return values


_COMPUTED_TOTALS = frozenset({"physical_on_hand", "available_on_hand", "committed", "event_group"})


# --- on_hand: cycle counts and manual edits -------------------------------------------------


def _check_note(note: str | None) -> str:
    note = (note or "").strip()
    if len(note) > 2000:
        raise InvalidInput("note is longer than 2000 characters", field="note")
    return note


def check_reason(reason: str | None) -> str | None:
    """An adjustment reason (AdjustmentReason value) or None; blank means none."""
    if reason is None or reason == "":
        return None
    if reason not in AdjustmentReason.values:
        raise InvalidInput(
            f"unknown reason {reason!r}: one of {', '.join(AdjustmentReason.values)}",
            field="reason",
        )
    return AdjustmentReason(reason).value


@write_transaction
def stock_set(
    *,
    company: Company,
    product: Product,
    warehouse: Warehouse,
    physical_on_hand: int,
    user: User | None = None,
    note: str | None = None,
    reason: str | None = None,
    created_at: datetime | None = None,
) -> LogEntry | None:
    """Set physical on hand (a cycle count). Logs one `on_hand` row whose quantity is the signed
    change; setting the value it already has logs a zero-change row (the count is a fact).
    `reason` (AdjustmentReason) is stored on the row. Refuses a negative value, an unknown
    reason and kits."""
    if physical_on_hand < 0:
        raise InvalidInput("physical on hand cannot be negative", field="physical_on_hand")
    if product.kind == ProductKind.KIT:
        raise InvalidInput(f"{product.sku} is a kit: kits hold no stock", field="sku")
    note = _check_note(note)
    reason = check_reason(reason)
    lock_products(company, {product.id})
    current = (
        Stock.objects.filter(product=product, warehouse=warehouse)
        .values_list("physical_on_hand", flat=True)
        .first()
        or 0
    )
    change = physical_on_hand - current
    [entry] = ledger_record(
        company=company,
        event_type=EventType.ON_HAND,
        lines=[
            LogLine(
                product=product,
                warehouse=warehouse,
                physical_change=change,
                quantity=change,
                allow_negative=False,
                fields={"note": note, "reason": reason},
            )
        ],
        user=user,
        created_at=created_at,
    )
    return entry


@write_transaction
def stock_adjust(
    *,
    company: Company,
    product: Product,
    warehouse: Warehouse,
    change: int,
    user: User | None = None,
    note: str | None = None,
    reason: str | None = None,
    created_at: datetime | None = None,
) -> LogEntry:
    """Add `change` (signed) to physical on hand. Logs one `on_hand` row carrying `reason`
    (AdjustmentReason). Refuses a change that would leave physical on hand below zero, a zero
    change, an unknown reason, and kits."""
    if change == 0:
        raise InvalidInput("change must not be zero", field="change")
    note = _check_note(note)
    reason = check_reason(reason)
    [entry] = ledger_record(
        company=company,
        event_type=EventType.ON_HAND,
        lines=[
            LogLine(
                product=product,
                warehouse=warehouse,
                physical_change=change,
                quantity=change,
                fields={"note": note, "reason": reason},
            )
        ],
        user=user,
        created_at=created_at,
    )
    return entry
