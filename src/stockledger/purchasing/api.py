"""JSON API for purchasing: purchase orders and their goods receipts."""

from datetime import datetime
from typing import Any

from ninja import Field, Query, Router, Schema, Status

from stockledger.core.document_lists import document_page, list_cursor, list_limit
from stockledger.core.limits import QUANTITY_MAX
from stockledger.core.pagination import PageQuery, page_of
from stockledger.core.tenancy import get_for_company
from stockledger.ledger.api import LogEntryOut, LogPageOut, document_log_page, entry_out
from stockledger.warehouses.services import warehouse_by_id

from .models import PurchaseOrder
from .selectors import (
    PurchaseOrderDetail,
    purchase_order_detail,
    purchase_order_log_entries,
    purchase_orders_for,
)
from .services import (
    purchase_order_close,
    purchase_order_create,
    purchase_order_receive,
    purchase_order_update,
)

router = Router(tags=["purchasing"])


class LineIn(Schema):
    sku: str
    quantity: int = Field(..., ge=1, le=QUANTITY_MAX)


class PurchaseOrderIn(Schema):
    number: str = Field(..., description="unique within the company; the log's event_id")
    warehouse_id: int = Field(..., description="where the goods will be received")
    supplier: str = Field("", max_length=200, description="who the goods are ordered from")
    lines: list[LineIn] = Field(..., description="one line per SKU; kits are refused")


class PurchaseOrderPatchIn(Schema):
    number: str | None = Field(None, description="a new number, unique within the company")
    warehouse_id: int | None = None
    supplier: str | None = Field(None, max_length=200)
    lines: list[LineIn] | None = Field(
        None, description="replaces every line of the PO (one line per SKU; kits are refused)"
    )


class ReceiptIn(Schema):
    number: str = Field(..., description="the goods receipt number, unique on this PO")
    lines: list[LineIn] = Field(
        ...,
        description="SKUs on the PO and the quantities that arrived; partial and "
        "over-receipts are allowed and recorded",
    )


class PurchaseOrderLineOut(Schema):
    product_id: int
    sku: str
    ordered: int
    received: int
    outstanding: int
    over_received: int


class GoodsReceiptLineOut(Schema):
    product_id: int
    sku: str
    quantity: int


class GoodsReceiptOut(Schema):
    id: int
    number: str
    received_at: datetime
    user_name: str
    lines: list[GoodsReceiptLineOut]


class PurchaseOrderOut(Schema):
    id: int
    number: str
    warehouse_id: int
    warehouse_name: str
    supplier: str
    status: str = Field(..., description="open, partial, received or closed")
    created_at: datetime
    closed_at: datetime | None = Field(
        None, description="when it was closed (it takes no more receipts)"
    )
    editable: bool = Field(..., description="nothing received and not closed: PUT/PATCH work")
    lines: list[PurchaseOrderLineOut]
    receipts: list[GoodsReceiptOut]


class PurchaseOrderSummaryOut(Schema):
    id: int
    number: str
    warehouse_id: int
    warehouse_name: str
    supplier: str
    status: str
    created_at: datetime
    line_count: int
    total_ordered: int
    total_received: int


PurchaseOrderListOut = page_of(PurchaseOrderSummaryOut, name="PurchaseOrderListOut")


class ReceiptResultOut(Schema):
    receipt: GoodsReceiptOut
    purchase_order: PurchaseOrderOut
    entries: list[LogEntryOut] = Field(..., description="the po_received rows written")


def receipt_out(receipt) -> dict:
    return {
        "id": receipt.id,
        "number": receipt.number,
        "received_at": receipt.received_at,
        "user_name": receipt.user.get_username() if receipt.user else "",
        "lines": [
            {
                "product_id": line.po_line.product_id,
                "sku": line.po_line.product.sku,
                "quantity": line.quantity,
            }
            for line in receipt.lines.all()
        ],
    }


def _header(po: PurchaseOrder) -> dict:
    return {
        "id": po.id,
        "number": po.number,
        "warehouse_id": po.warehouse_id,
        "warehouse_name": po.warehouse.name,
        "supplier": po.supplier,
        "status": po.status,
        "created_at": po.created_at,
    }


def summary_out(po: Any) -> dict:
    """A row of the list: a PurchaseOrder annotated by `purchase_orders_for` (its line count
    and totals are annotations, not model fields, hence `Any`)."""
    return _header(po) | {
        "line_count": po.line_count,
        "total_ordered": po.total_ordered or 0,
        "total_received": po.total_received or 0,
    }


def purchase_order_out(detail: PurchaseOrderDetail) -> dict:
    po = detail.purchase_order
    return _header(po) | {
        "closed_at": po.closed_at,
        "editable": detail.editable,
        "lines": [
            {
                "product_id": line.product_id,
                "sku": line.product.sku,
                "ordered": line.quantity_ordered,
                "received": line.quantity_received,
                "outstanding": line.outstanding,
                "over_received": line.over_received,
            }
            for line in detail.lines
        ],
        "receipts": [receipt_out(r) for r in detail.receipts],
    }


@router.post(
    "/purchase-orders", response={201: PurchaseOrderOut}, summary="Create a purchase order"
)
def create_purchase_order(request, payload: PurchaseOrderIn):
    company = request.company
    warehouse = warehouse_by_id(company=company, warehouse_id=payload.warehouse_id)
    po = purchase_order_create(
        company=company,
        number=payload.number,
        warehouse=warehouse,
        supplier=payload.supplier,
        lines=[line.dict() for line in payload.lines],
        user=request.user,
    )
    detail = purchase_order_detail(company=company, purchase_order_id=po.id)
    return Status(201, purchase_order_out(detail))


def _update(request, po_id: int, values: dict):
    company = request.company
    po = get_for_company(PurchaseOrder, company, po_id, label="purchase order")
    if values.get("warehouse_id") is not None:
        values["warehouse"] = warehouse_by_id(company=company, warehouse_id=values["warehouse_id"])
    purchase_order_update(
        company=company,
        purchase_order=po,
        number=values.get("number"),
        warehouse=values.get("warehouse"),
        supplier=values.get("supplier"),
        lines=values.get("lines"),
        user=request.user,
    )
    return purchase_order_out(purchase_order_detail(company=company, purchase_order_id=po.id))


@router.put(
    "/purchase-orders/{po_id}",
    response=PurchaseOrderOut,
    summary="Replace a purchase order's number, warehouse, supplier and lines "
    "(409 once anything is received or it is closed)",
)
def replace_purchase_order(request, po_id: int, payload: PurchaseOrderIn):
    return _update(request, po_id, payload.dict())


@router.patch(
    "/purchase-orders/{po_id}",
    response=PurchaseOrderOut,
    summary="Change some of a purchase order's fields; `lines` replaces every line "
    "(409 once anything is received or it is closed)",
)
def edit_purchase_order(request, po_id: int, payload: PurchaseOrderPatchIn):
    return _update(request, po_id, payload.dict(exclude_unset=True))


@router.post(
    "/purchase-orders/{po_id}/close",
    response=PurchaseOrderOut,
    summary="Close a purchase order: it takes no more receipts, even with quantities "
    "outstanding (409 if already closed)",
)
def close_purchase_order(request, po_id: int):
    company = request.company
    po = get_for_company(PurchaseOrder, company, po_id, label="purchase order")
    purchase_order_close(company=company, purchase_order=po, user=request.user)
    return purchase_order_out(purchase_order_detail(company=company, purchase_order_id=po.id))


@router.get(
    "/purchase-orders", response=PurchaseOrderListOut, summary="List purchase orders, newest first"
)
def list_purchase_orders(
    request,
    status: str | None = Query(None, description="open, partial, received or closed"),
    number: str | None = Query(None, description="part of the PO number"),
    limit: int = list_limit(),
    cursor: str | None = list_cursor(),
):
    qs = purchase_orders_for(company=request.company, status=status, number=number)
    return document_page(qs, limit=limit, cursor=cursor, out=summary_out)


@router.get(
    "/purchase-orders/{po_id}",
    response=PurchaseOrderOut,
    summary="A purchase order: lines with ordered and received so far, and its receipts",
)
def get_purchase_order(request, po_id: int):
    return purchase_order_out(
        purchase_order_detail(company=request.company, purchase_order_id=po_id)
    )


@router.post(
    "/purchase-orders/{po_id}/receipts",
    response={201: ReceiptResultOut},
    summary="Record a goods receipt: adds stock at the PO's warehouse, logs po_received rows",
)
def receive_purchase_order(request, po_id: int, payload: ReceiptIn):
    company = request.company
    po = get_for_company(PurchaseOrder, company, po_id, label="purchase order")
    receipt, entries = purchase_order_receive(
        company=company,
        purchase_order=po,
        number=payload.number,
        lines=[line.dict() for line in payload.lines],
        user=request.user,
    )
    detail = purchase_order_detail(company=company, purchase_order_id=po.id)
    receipt = next(r for r in detail.receipts if r.id == receipt.id)
    return Status(
        201,
        {
            "receipt": receipt_out(receipt),
            "purchase_order": purchase_order_out(detail),
            "entries": [entry_out(e) for e in entries],
        },
    )


@router.get(
    "/purchase-orders/{po_id}/log",
    response=LogPageOut,
    summary="The Inventory Log rows this purchase order caused, in recorded order",
)
def purchase_order_log(request, po_id: int, page: Query[PageQuery]):
    po = get_for_company(PurchaseOrder, request.company, po_id, label="purchase order")
    rows = purchase_order_log_entries(company=request.company, purchase_order=po)
    return document_log_page(rows, page)
