"""Writes for purchasing: create purchase orders, record goods receipts against them."""

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from stockledger.catalog.models import ProductKind
from stockledger.catalog.services import clean_sku, product_by_sku
from stockledger.core.documents import (
    check_owned,
    clean_document_number,
    clean_lines,
    clean_quantity,
)
from stockledger.core.errors import InvalidInput
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


def _duplicate_number(number: str) -> InvalidInput:
    return InvalidInput(f"purchase order {number!r} already exists", field="number")


@write_transaction
def purchase_order_create(
    *,
    company: Company,
    number: str,
    warehouse: Warehouse,
    lines: Sequence[Mapping[str, Any]],
    user: User | None = None,
) -> PurchaseOrder:
    """Create a purchase order for `lines` ([{sku, quantity}]) to be received at `warehouse`.

    Changes no stock and logs nothing: stock arrives with goods receipts.
    Raises InvalidInput (nothing written) for: a number already used by the company's POs
    (field `number`), an unknown SKU, a kit (kits hold no stock: order its components), a SKU
    listed twice, a quantity below 1, no lines, a warehouse of another company.
    """
    number = clean_document_number(number)
    check_owned(warehouse, company, field="warehouse_id", label="warehouse")
    lines = clean_lines(lines)
    resolved = []
    seen: set[int] = set()
    for i, line in enumerate(lines):
        where = f"lines[{i}]"
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
        if product.id in seen:
            raise InvalidInput(f"{product.sku} is listed twice", field=f"{where}.sku")
        seen.add(product.id)
        resolved.append((product, clean_quantity(line.get("quantity"), field=f"{where}.quantity")))
    if PurchaseOrder.objects.filter(company=company, number=number).exists():
        raise _duplicate_number(number)
    try:
        with transaction.atomic():  # a savepoint, so a concurrent duplicate stays a clean 422
            po = PurchaseOrder.objects.create(
                company=company, number=number, warehouse=warehouse, created_by=user
            )
    except IntegrityError:
        raise _duplicate_number(number) from None
    PurchaseOrderLine.objects.bulk_create(
        PurchaseOrderLine(purchase_order=po, product=product, quantity_ordered=quantity)
        for product, quantity in resolved
    )
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
    Raises InvalidInput (nothing written) for: a receipt number already used on this PO
    (field `number`), a SKU that is not on the PO (unordered goods are not received against
    it: add them to a PO first), a SKU listed twice, a quantity below 1, no lines.
    """
    number = clean_document_number(number)
    check_owned(purchase_order, company, field="purchase_order_id", label="purchase order")
    lines = clean_lines(lines)
    # The PO row lock serializes receipts of one PO: received totals, status and the receipt
    # number check see every earlier receipt. Documents lock before products (the ledger).
    po = (
        PurchaseOrder.objects.select_for_update(of=("self",))  # not the warehouse row
        .select_related("warehouse")
        .get(pk=purchase_order.pk)
    )
    po_lines = {line.product_id: line for line in po.lines.select_related("product")}
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
    if GoodsReceipt.objects.filter(purchase_order=po, number=number).exists():
        raise InvalidInput(
            f"goods receipt {number!r} is already recorded on purchase order {po.number}",
            field="number",
        )

    now = timezone.now()
    if received_at is not None and received_at > now + timedelta(minutes=5):
        raise InvalidInput("received_at is in the future", field="received_at")
    received_at = received_at or now
    receipt = GoodsReceipt.objects.create(
        company=company, purchase_order=po, number=number, received_at=received_at, user=user
    )
    GoodsReceiptLine.objects.bulk_create(
        GoodsReceiptLine(receipt=receipt, po_line=po_line, quantity=quantity)
        for po_line, quantity in received
    )
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
