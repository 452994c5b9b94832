"""Writes for returns: open an RMA, receive and restock what comes back."""

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from stockledger.catalog.models import KitComponent, Product, ProductKind
from stockledger.catalog.services import clean_sku, product_by_sku
from stockledger.core.documents import (
    check_owned,
    clean_document_number,
    clean_event_time,
    clean_lines,
    clean_quantity,
    number_taken,
    unique_number,
)
from stockledger.core.errors import InvalidInput
from stockledger.core.models import Company, User
from stockledger.ledger.models import DocumentType, EventType, LogEntry
from stockledger.ledger.services import (
    LogLine,
    ledger_record,
    lock_products,  # the ledger's own lock order, so our early lock cannot deadlock it
    write_transaction,
)
from stockledger.orders.models import Order
from stockledger.warehouses.models import Warehouse

from .models import ReturnLine, ReturnOrder, ReturnReceipt, ReturnReceiptLine, ReturnStatus


def _components(product: Product) -> list[tuple[Product, int]]:
    """What holds the stock of `product`: its components and quantity per kit for a kit,
    the product itself otherwise."""
    if product.kind != ProductKind.KIT:
        return [(product, 1)]
    return [
        (c.component, c.quantity)
        for c in KitComponent.objects.filter(kit=product).select_related("component").order_by("id")
    ]


def _rows(
    rma: ReturnOrder,
    product: Product,
    *,
    expected: int,
    received: int | None = None,
    restocked: int | None = None,
    note: str,
) -> list[LogLine]:
    """The rows of one RMA line: one per component holding the stock (restocked units added),
    then, for a kit, the kit's own row (its quantities derived from the components)."""
    common = {
        "event_id": rma.number,
        "note": note,
        "document_type": DocumentType.RETURN,
        "document_id": rma.id,
    }

    def times(value: int | None, k: int) -> int | None:
        return None if value is None else value * k

    out = []
    is_kit = product.kind == ProductKind.KIT
    for component, per_kit in _components(product):
        fields = common | {
            "expected_quantity": expected * per_kit,
            "received_quantity": times(received, per_kit),
            "restocked_quantity": times(restocked, per_kit),
        }
        if is_kit:
            fields["kit_sku"] = product.sku
        out.append(
            LogLine(
                component,
                rma.warehouse,
                physical_change=times(restocked, per_kit) or 0,
                quantity=times(restocked, per_kit),
                fields=fields,
            )
        )
    if is_kit:
        fields = common | {
            "expected_quantity": expected,
            "received_quantity": received,
            "restocked_quantity": restocked,
        }
        out.append(LogLine(product, rma.warehouse, quantity=restocked, fields=fields))
    return out


def _lock_stock_holders(company: Company, products: Sequence[Product]) -> None:
    # Rows with no stock change still record the product's quantities: lock so no concurrent
    # change can slip between reading them and appending the row.
    ids = {c.id for p in products for c, _ in _components(p)}
    lock_products(company, ids)


@write_transaction
def return_create(
    *,
    company: Company,
    number: str,
    warehouse: Warehouse,
    lines: Sequence[Mapping[str, Any]],
    user: User | None = None,
    created_at: datetime | None = None,
    order: Order | None = None,
) -> tuple[ReturnOrder, list[LogEntry]]:
    """Open RMA `number`: `lines` ([{sku, expected_quantity}]) are expected back at `warehouse`
    (from the sales `order`, when given: the RMA page links to it).

    Changes no stock. Logs one `return_order` row per line with expected_quantity filled,
    quantity blank (nothing moved yet), event_id = the RMA number, note "RMA opened",
    document = the RMA. A kit line logs its components' rows (expected x per kit, kit_sku
    set) and then the kit's own row.
    Raises InvalidInput (nothing written) for: a number the company already used (field
    `number`), an unknown SKU, a SKU listed twice, an expected quantity below 1, no lines,
    a warehouse or order of another company.
    """
    number = clean_document_number(number)
    check_owned(warehouse, company, field="warehouse_id", label="warehouse")
    if order is not None:
        check_owned(order, company, field="order_id", label="order")
    created_at = clean_event_time(created_at, field="created_at")
    resolved = _expected_lines(company, lines)
    if ReturnOrder.objects.filter(company=company, number=number).exists():
        raise number_taken("RMA", number)
    with unique_number("RMA", number):
        rma = ReturnOrder.objects.create(
            company=company,
            number=number,
            warehouse=warehouse,
            created_at=created_at,
            created_by=user,
            order=order,
        )
    ReturnLine.objects.bulk_create(
        ReturnLine(return_order=rma, product=product, expected_quantity=expected)
        for product, expected in resolved
    )
    _lock_stock_holders(company, [p for p, _ in resolved])
    log_lines = [
        row
        for product, expected in resolved
        for row in _rows(rma, product, expected=expected, note="RMA opened")
    ]
    entries = ledger_record(
        company=company,
        event_type=EventType.RETURN_ORDER,
        lines=log_lines,
        created_at=created_at,
        user=user,
    )
    return rma, entries


def _expected_lines(
    company: Company, lines: Sequence[Mapping[str, Any]]
) -> list[tuple[Product, int]]:
    """[(product, expected quantity)] of an RMA's request lines (InvalidInput naming the
    line's field for an unknown SKU, a SKU listed twice or a bad quantity)."""
    resolved: list[tuple[Product, int]] = []
    seen: set[int] = set()
    for i, line in enumerate(clean_lines(lines)):
        where = f"lines[{i}]"
        product = product_by_sku(
            company=company,
            sku=clean_sku(line.get("sku"), field=f"{where}.sku"),
            field=f"{where}.sku",
        )
        if product.id in seen:
            raise InvalidInput(f"{product.sku} is listed twice", field=f"{where}.sku")
        seen.add(product.id)
        expected = clean_quantity(line.get("expected_quantity"), field=f"{where}.expected_quantity")
        resolved.append((product, expected))
    return resolved


def _status_of(lines: Sequence[ReturnLine]) -> str:
    if all(line.received_quantity >= line.expected_quantity for line in lines):
        return ReturnStatus.RECEIVED
    if any(line.received_quantity for line in lines):
        return ReturnStatus.PARTIAL
    return ReturnStatus.OPEN


@write_transaction
def return_receive(
    *,
    company: Company,
    return_order: ReturnOrder,
    lines: Sequence[Mapping[str, Any]],
    user: User | None = None,
    received_at: datetime | None = None,
) -> tuple[ReturnReceipt, list[LogEntry]]:
    """Record what came back on the RMA: `lines` ([{sku, received_quantity,
    restocked_quantity}]), and put the restocked units back on the shelf.

    An RMA may be received in several receipts. Over all its receipts, per line:
    received <= expected (units beyond the RMA were not authorised: open another RMA), and
    restocked <= received. A later receipt may restock units received earlier (received 0,
    restocked n, after inspection); each line must receive or restock something.
    Changes: physical on hand += restocked at the RMA's warehouse (a kit line restocks its
    components by the kit ratio); the lines' totals; the RMA's status (partial, received).
    Logs one `return_order` row per line: expected_quantity = the line's expected,
    received_quantity / restocked_quantity = this receipt's, quantity = restocked,
    event_id = the RMA number, note with the line's totals so far, document = the RMA.
    Raises InvalidInput (nothing written) for: a SKU not on the RMA or listed twice, a
    quantity below 0, received past expected (field lines[i].received_quantity), restocked
    past received (field lines[i].restocked_quantity), a line of zeros, no lines.
    """
    check_owned(return_order, company, field="return_id", label="RMA")
    received_at = clean_event_time(received_at, field="received_at")
    # The RMA row lock serializes its receipts, so the totals checks see every earlier one.
    # Documents lock before products (the ledger).
    rma = (
        ReturnOrder.objects.select_for_update(of=("self",))  # not the warehouse row
        .select_related("warehouse")
        .get(pk=return_order.pk)
    )
    rma_lines = {line.product_id: line for line in rma.lines.select_related("product")}
    taken = _received_lines(company, rma, rma_lines, lines)
    receipt = _receipt_create(company, rma, taken, received_at=received_at, user=user)
    _lock_stock_holders(company, [rma_line.product for rma_line, _, _ in taken])
    log_lines = _add_to_lines(rma, taken)
    status = _status_of(list(rma_lines.values()))
    if status != rma.status:
        rma.status = status
        rma.save(update_fields=["status"])
    entries = ledger_record(
        company=company,
        event_type=EventType.RETURN_ORDER,
        lines=log_lines,
        created_at=received_at,
        user=user,
    )
    return receipt, entries


def _received_lines(
    company: Company,
    rma: ReturnOrder,
    rma_lines: dict[int, ReturnLine],
    lines: Sequence[Mapping[str, Any]],
) -> list[tuple[ReturnLine, int, int]]:
    """[(RMA line, received, restocked)] of a receipt's request lines, checked against the
    RMA's totals so far (InvalidInput naming the line's field)."""
    taken: list[tuple[ReturnLine, int, int]] = []
    seen: set[int] = set()
    for i, line in enumerate(clean_lines(lines)):
        where = f"lines[{i}]"
        product = product_by_sku(
            company=company,
            sku=clean_sku(line.get("sku"), field=f"{where}.sku"),
            field=f"{where}.sku",
            archived_ok=True,  # receiving an RMA that exists
        )
        rma_line = rma_lines.get(product.id)
        if rma_line is None:
            raise InvalidInput(f"{product.sku} is not on RMA {rma.number}", field=f"{where}.sku")
        if product.id in seen:
            raise InvalidInput(f"{product.sku} is listed twice", field=f"{where}.sku")
        seen.add(product.id)
        received = clean_quantity(
            line.get("received_quantity"), field=f"{where}.received_quantity", minimum=0
        )
        restocked = clean_quantity(
            line.get("restocked_quantity"), field=f"{where}.restocked_quantity", minimum=0
        )
        _check_receivable(rma, rma_line, received, restocked, where=where)
        taken.append((rma_line, received, restocked))
    return taken


def _check_receivable(
    rma: ReturnOrder, rma_line: ReturnLine, received: int, restocked: int, *, where: str
) -> None:
    """Refuse a line of zeros, received past expected and restocked past received."""
    sku = rma_line.product.sku
    if received == 0 and restocked == 0:
        raise InvalidInput(
            "receive or restock at least one unit", field=f"{where}.received_quantity"
        )
    total_received = rma_line.received_quantity + received
    if total_received > rma_line.expected_quantity:
        raise InvalidInput(
            f"RMA {rma.number} expects {rma_line.expected_quantity} of {sku} and "
            f"{rma_line.received_quantity} arrived before; cannot receive {received} more",
            field=f"{where}.received_quantity",
        )
    if rma_line.restocked_quantity + restocked > total_received:
        raise InvalidInput(
            f"restocked cannot exceed received: {total_received} of {sku} received "
            f"on RMA {rma.number}, {rma_line.restocked_quantity} restocked before; cannot "
            f"restock {restocked} more",
            field=f"{where}.restocked_quantity",
        )


def _receipt_create(
    company: Company,
    rma: ReturnOrder,
    taken: list[tuple[ReturnLine, int, int]],
    *,
    received_at: datetime,
    user: User | None,
) -> ReturnReceipt:
    receipt = ReturnReceipt.objects.create(
        company=company, return_order=rma, received_at=received_at, user=user
    )
    ReturnReceiptLine.objects.bulk_create(
        ReturnReceiptLine(
            receipt=receipt,
            return_line=rma_line,
            received_quantity=received,
            restocked_quantity=restocked,
        )
        for rma_line, received, restocked in taken
    )
    return receipt


def _add_to_lines(rma: ReturnOrder, taken: list[tuple[ReturnLine, int, int]]) -> list[LogLine]:
    """Add the receipt to its RMA lines' totals; return the log lines it makes."""
    log_lines = []
    for rma_line, received, restocked in taken:
        rma_line.received_quantity += received
        rma_line.restocked_quantity += restocked
        rma_line.save(update_fields=["received_quantity", "restocked_quantity"])
        note = (
            f"received {rma_line.received_quantity} of {rma_line.expected_quantity} expected, "
            f"restocked {rma_line.restocked_quantity}"
        )
        log_lines += _rows(
            rma,
            rma_line.product,
            expected=rma_line.expected_quantity,
            received=received,
            restocked=restocked,
            note=note,
        )
    return log_lines
