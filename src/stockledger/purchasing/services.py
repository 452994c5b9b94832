"""Writes for purchasing: create purchase orders, record goods receipts against them."""

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from django.utils import timezone

from stockledger.catalog.models import Product, ProductKind
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
from stockledger.core.errors import Conflict, InvalidInput
from stockledger.core.models import Company, User
from stockledger.ledger.models import DocumentType, EventType, LogEntry
from stockledger.ledger.services import LogLine, ledger_record, write_transaction
from stockledger.warehouses.models import Warehouse

from .models import (
    GoodsReceipt,
    GoodsReceiptLine,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderStatus,
)

SUPPLIER_MAX = 200


def clean_supplier(value: Any, *, field: str = "supplier") -> str:
    """A supplier's name as typed: optional, trimmed, printable, at most 200 characters."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput("supplier must be text", field=field)
    supplier = value.strip()
    if len(supplier) > SUPPLIER_MAX:
        raise InvalidInput(f"supplier is longer than {SUPPLIER_MAX} characters", field=field)
    if any(ord(ch) < 32 for ch in supplier):
        raise InvalidInput("supplier must not contain control characters", field=field)
    return supplier


def purchase_order_line_clean(
    *, company: Company, line: Mapping[str, Any], where: str = "lines[0]"
) -> tuple[Product, int]:
    """One PO line ({sku, quantity}) checked and resolved to (product, quantity).

    Raises InvalidInput naming `<where>.sku` (unknown SKU, a kit: kits hold no stock) or
    `<where>.quantity` (not a whole number from 1 to a billion). Writes nothing: a
    spreadsheet import can call it per row to preview every bad row.
    """
    product = product_by_sku(
        company=company,
        sku=clean_sku(line.get("sku"), field=f"{where}.sku"),
        field=f"{where}.sku",
    )
    if product.kind == ProductKind.KIT:
        raise InvalidInput(
            f"{product.sku} is a kit: kits hold no stock; order its components",
            field=f"{where}.sku",
        )
    return product, clean_quantity(line.get("quantity"), field=f"{where}.quantity")


def _resolve_lines(
    company: Company, lines: Sequence[Mapping[str, Any]]
) -> list[tuple[Product, int]]:
    resolved = []
    seen: set[int] = set()
    for i, line in enumerate(clean_lines(lines)):
        product, quantity = purchase_order_line_clean(
            company=company, line=line, where=f"lines[{i}]"
        )
        if product.id in seen:
            raise InvalidInput(f"{product.sku} is listed twice", field=f"lines[{i}].sku")
        seen.add(product.id)
        resolved.append((product, quantity))
    return resolved


@write_transaction
def purchase_order_create(
    *,
    company: Company,
    number: str,
    warehouse: Warehouse,
    lines: Sequence[Mapping[str, Any]],
    supplier: str = "",
    user: User | None = None,
) -> PurchaseOrder:
    """Create a purchase order for `lines` ([{sku, quantity}]) to be received at `warehouse`.

    Changes no stock and logs nothing: stock arrives with goods receipts.
    Raises InvalidInput (nothing written) for: a number already used by the company's POs
    (field `number`), an unknown SKU, a kit (kits hold no stock: order its components), a SKU
    listed twice, a quantity below 1, no lines, a warehouse of another company, a supplier
    longer than 200 characters.
    """
    number = clean_document_number(number)
    supplier = clean_supplier(supplier)
    check_owned(warehouse, company, field="warehouse_id", label="warehouse")
    resolved = _resolve_lines(company, lines)
    if PurchaseOrder.objects.filter(company=company, number=number).exists():
        raise number_taken("purchase order", number)
    with unique_number("purchase order", number):
        po = PurchaseOrder.objects.create(
            company=company,
            number=number,
            supplier=supplier,
            warehouse=warehouse,
            created_by=user,
        )
    PurchaseOrderLine.objects.bulk_create(
        PurchaseOrderLine(purchase_order=po, product=product, quantity_ordered=quantity)
        for product, quantity in resolved
    )
    return po


def _lock_po(company: Company, purchase_order: PurchaseOrder) -> PurchaseOrder:
    """The PO row, locked for this transaction (receipts, edits and closing serialize on it)."""
    check_owned(purchase_order, company, field="purchase_order_id", label="purchase order")
    return (
        PurchaseOrder.objects.select_for_update(of=("self",))  # not the warehouse row
        .select_related("warehouse")
        .get(pk=purchase_order.pk)
    )


@write_transaction
def purchase_order_update(
    *,
    company: Company,
    purchase_order: PurchaseOrder,
    lines: Sequence[Mapping[str, Any]] | None = None,
    number: str | None = None,
    warehouse: Warehouse | None = None,
    supplier: str | None = None,
    user: User | None = None,
) -> PurchaseOrder:
    """Edit a PO nothing has been received against: what is given replaces what it had
    (`lines` replaces every line; None leaves a field as it is).

    Changes no stock and logs nothing (a PO logs only its receipts).
    Raises Conflict (nothing written) once anything is received or the PO is closed: the
    receipts already logged refer to its lines. Raises InvalidInput as purchase_order_create
    does for the values given (a number another PO of the company has, field `number`).
    """
    po = _lock_po(company, purchase_order)
    if po.is_closed:
        raise Conflict(f"purchase order {po.number} is closed; it can no longer be edited")
    if po.receipts.exists() or po.lines.filter(quantity_received__gt=0).exists():
        raise Conflict(
            f"purchase order {po.number} has goods received against it; "
            "it can no longer be edited (write another PO for more)"
        )
    changed: list[str] = []
    if number is not None:
        number = clean_document_number(number)
        if number != po.number:
            if PurchaseOrder.objects.filter(company=company, number=number).exists():
                raise number_taken("purchase order", number)
            po.number = number
            changed.append("number")
    if supplier is not None:
        po.supplier = clean_supplier(supplier)
        changed.append("supplier")
    if warehouse is not None:
        check_owned(warehouse, company, field="warehouse_id", label="warehouse")
        po.warehouse = warehouse
        changed.append("warehouse")
    resolved = _resolve_lines(company, lines) if lines is not None else None
    if changed:
        with unique_number("purchase order", po.number):
            po.save(update_fields=changed)
    if resolved is not None:
        # Nothing received: no receipt line refers to these rows, so they can be replaced.
        po.lines.all().delete()
        PurchaseOrderLine.objects.bulk_create(
            PurchaseOrderLine(purchase_order=po, product=product, quantity_ordered=quantity)
            for product, quantity in resolved
        )
    return po


@write_transaction
def purchase_order_close(
    *, company: Company, purchase_order: PurchaseOrder, user: User | None = None
) -> PurchaseOrder:
    """Close the PO: it takes no more goods receipts. Allowed with quantities still
    outstanding (they will not arrive); the PO's lines keep what was ordered and received.

    Changes no stock and logs nothing. Raises Conflict if the PO is already closed.
    """
    po = _lock_po(company, purchase_order)
    if po.is_closed:
        raise Conflict(f"purchase order {po.number} is already closed")
    po.status = PurchaseOrderStatus.CLOSED
    po.closed_at = timezone.now()
    po.closed_by = user
    po.save(update_fields=["status", "closed_at", "closed_by"])
    return po


def _status_of(po_lines: Sequence[PurchaseOrderLine]) -> str:
    if all(line.quantity_received >= line.quantity_ordered for line in po_lines):
        return PurchaseOrderStatus.RECEIVED
    if any(line.quantity_received for line in po_lines):
        return PurchaseOrderStatus.PARTIAL
    return PurchaseOrderStatus.OPEN


def _explanation(line: PurchaseOrderLine, received_now: int) -> str:
    text = f"received {line.quantity_received} of {line.quantity_ordered} ordered"
    if line.quantity_received > line.quantity_ordered:
        # This receipt's share of the excess: what it brought beyond the ordered quantity.
        over = min(received_now, line.quantity_received - line.quantity_ordered)
        text += f"; over-received by {over}"
    return text


@write_transaction
def purchase_order_receive(
    *,
    company: Company,
    purchase_order: PurchaseOrder,
    number: str,
    lines: Sequence[Mapping[str, Any]],
    user: User | None = None,
    received_at: datetime | None = None,
) -> tuple[GoodsReceipt, list[LogEntry]]:
    """Record goods receipt `number` against the PO: `lines` ([{sku, quantity}]) arrived.

    Changes: physical on hand += quantity for each line at the PO's warehouse; each PO line's
    received total grows; the PO's status becomes partial or received.
    Logs one `po_received` row per line: quantity = received, event_id = the PO number,
    note "goods receipt <number>", explanation "received R of O ordered" (and
    "over-received by N" when this receipt takes the line past what was ordered; partial and
    over-receipts are both allowed and recorded), document = the purchase order.
    Raises Conflict (nothing written) when the PO is closed.
    Raises InvalidInput (nothing written) for: a receipt number already used on this PO
    (field `number`), a SKU that is not on the PO (unordered goods are not received against
    it: add them to a PO first), a SKU listed twice, a quantity below 1, no lines.
    """
    number = clean_document_number(number)
    lines = clean_lines(lines)
    po = _lock_po_for_receipt(company, purchase_order)
    po_lines = {line.product_id: line for line in po.lines.select_related("product")}
    received = _received_lines(company, po, po_lines, lines)
    if GoodsReceipt.objects.filter(purchase_order=po, number=number).exists():
        raise InvalidInput(
            f"goods receipt {number!r} is already recorded on purchase order {po.number}",
            field="number",
        )
    received_at = clean_event_time(received_at, field="received_at")
    receipt = _receipt_create(company, po, number, received, received_at=received_at, user=user)
    log_lines = _add_to_lines(po, number, received)
    status = _status_of(list(po_lines.values()))
    if status != po.status:
        po.status = status
        po.save(update_fields=["status"])
    entries = ledger_record(
        company=company,
        event_type=EventType.PO_RECEIVED,
        lines=log_lines,
        created_at=received_at,
        user=user,
    )
    return receipt, entries


def _lock_po_for_receipt(company: Company, purchase_order: PurchaseOrder) -> PurchaseOrder:
    """The PO, locked; Conflict when it is closed.

    The PO row lock serializes receipts of one PO: received totals, status and the receipt
    number check see every earlier receipt. Documents lock before products (the ledger).
    """
    po = _lock_po(company, purchase_order)
    if po.is_closed:
        raise Conflict(
            f"purchase order {po.number} is closed; it takes no more receipts "
            "(write another PO for goods still to come)"
        )
    return po


def _received_lines(
    company: Company,
    po: PurchaseOrder,
    po_lines: dict[int, PurchaseOrderLine],
    lines: Sequence[Mapping[str, Any]],
) -> list[tuple[PurchaseOrderLine, int]]:
    """[(PO line, quantity)] of a receipt's request lines (InvalidInput naming the line's
    field for a SKU not on the PO or listed twice, or a bad quantity)."""
    received: list[tuple[PurchaseOrderLine, int]] = []
    seen: set[int] = set()
    for i, line in enumerate(lines):
        where = f"lines[{i}]"
        sku = clean_sku(line.get("sku"), field=f"{where}.sku")
        # Receiving a purchase order that exists: an archived product is still received.
        product = product_by_sku(company=company, sku=sku, field=f"{where}.sku", archived_ok=True)
        po_line = po_lines.get(product.id)
        if po_line is None:
            raise InvalidInput(
                f"{product.sku} is not on purchase order {po.number}", field=f"{where}.sku"
            )
        if product.id in seen:
            raise InvalidInput(f"{product.sku} is listed twice", field=f"{where}.sku")
        seen.add(product.id)
        received.append((po_line, clean_quantity(line.get("quantity"), field=f"{where}.quantity")))
    return received


def _receipt_create(
    company: Company,
    po: PurchaseOrder,
    number: str,
    received: list[tuple[PurchaseOrderLine, int]],
    *,
    received_at: datetime,
    user: User | None,
) -> GoodsReceipt:
    receipt = GoodsReceipt.objects.create(
        company=company, purchase_order=po, number=number, received_at=received_at, user=user
    )
    GoodsReceiptLine.objects.bulk_create(
        GoodsReceiptLine(receipt=receipt, po_line=po_line, quantity=quantity)
        for po_line, quantity in received
    )
    return receipt


def _add_to_lines(
    po: PurchaseOrder, number: str, received: list[tuple[PurchaseOrderLine, int]]
) -> list[LogLine]:
    """Add goods receipt `number` to its PO lines' received totals; return the log lines it
    makes (one per line)."""
    log_lines = []
    for po_line, quantity in received:
        po_line.quantity_received += quantity
        po_line.save(update_fields=["quantity_received"])
        log_lines.append(
            LogLine(
                product=po_line.product,
                warehouse=po.warehouse,
                physical_change=quantity,
                quantity=quantity,
                fields={
                    "event_id": po.number,
                    "note": f"goods receipt {number}",
                    "explanation": _explanation(po_line, quantity),
                    "document_type": DocumentType.PURCHASE_ORDER,
                    "document_id": po.id,
                },
            )
        )
    return log_lines
