"""JSON API for returns (RMAs): open, receive and restock."""

from datetime import datetime
from typing import Any

from ninja import Field, Query, Router, Schema, Status

from stockledger.core.document_lists import document_page, list_cursor, list_limit
from stockledger.core.errors import InvalidInput
from stockledger.core.limits import QUANTITY_MAX
from stockledger.core.pagination import PageQuery, page_of
from stockledger.core.tenancy import get_for_company
from stockledger.ledger.api import LogEntryOut, LogPageOut, document_log_page, entry_out
from stockledger.orders.models import Order
from stockledger.warehouses.services import warehouse_by_id

from .models import ReturnOrder
from .selectors import ReturnDetail, return_detail, return_log_entries, returns_for
from .services import return_create, return_receive

router = Router(tags=["returns"])


class ReturnLineIn(Schema):
    sku: str = Field(..., description="a kit restocks its components by the kit ratio")
    expected_quantity: int = Field(..., ge=1, le=QUANTITY_MAX)


class ReturnIn(Schema):
    number: str = Field(..., description="the RMA number, unique within the company")
    warehouse_id: int = Field(..., description="where returned units are received and restocked")
    order_id: int | None = Field(None, description="the sales order the goods come back from")
    lines: list[ReturnLineIn]


class ReceiveLineIn(Schema):
    sku: str
    received_quantity: int = Field(..., ge=0, le=QUANTITY_MAX)
    restocked_quantity: int = Field(
        ..., ge=0, le=QUANTITY_MAX, description="put back on the shelf; at most received"
    )


class ReceiveIn(Schema):
    lines: list[ReceiveLineIn] = Field(
        ...,
        description="several receipts per RMA are allowed; over all of them received <= "
        "expected and restocked <= received, per line",
    )


class ReturnLineOut(Schema):
    product_id: int
    sku: str
    kind: str
    expected_quantity: int
    received_quantity: int
    restocked_quantity: int


class ReturnReceiptLineOut(Schema):
    product_id: int
    sku: str
    received_quantity: int
    restocked_quantity: int


class ReturnReceiptOut(Schema):
    id: int
    received_at: datetime
    user_name: str
    lines: list[ReturnReceiptLineOut]


class ReturnOut(Schema):
    id: int
    number: str
    warehouse_id: int
    warehouse_name: str
    status: str = Field(..., description="open, partial or received")
    created_at: datetime
    order_id: int | None = Field(None, description="the sales order it was opened from")
    lines: list[ReturnLineOut]
    receipts: list[ReturnReceiptOut]


class ReturnCreatedOut(ReturnOut):
    entries: list[LogEntryOut] = Field(..., description="the return_order rows written")


class ReturnSummaryOut(Schema):
    id: int
    number: str
    warehouse_id: int
    warehouse_name: str
    status: str
    created_at: datetime
    line_count: int
    total_expected: int
    total_received: int
    total_restocked: int


ReturnListOut = page_of(ReturnSummaryOut, name="ReturnListOut")


class ReceiveResultOut(Schema):
    receipt: ReturnReceiptOut
    return_order: ReturnOut
    entries: list[LogEntryOut] = Field(..., description="the return_order rows written")


def receipt_out(receipt) -> dict:
    return {
        "id": receipt.id,
        "received_at": receipt.received_at,
        "user_name": receipt.user.get_username() if receipt.user else "",
        "lines": [
            {
                "product_id": line.return_line.product_id,
                "sku": line.return_line.product.sku,
                "received_quantity": line.received_quantity,
                "restocked_quantity": line.restocked_quantity,
            }
            for line in receipt.lines.all()
        ],
    }


def _header(rma: ReturnOrder) -> dict:
    return {
        "id": rma.id,
        "number": rma.number,
        "warehouse_id": rma.warehouse_id,
        "warehouse_name": rma.warehouse.name,
        "status": rma.status,
        "created_at": rma.created_at,
    }


def summary_out(rma: Any) -> dict:
    """A row of the list: a ReturnOrder annotated by `returns_for` (its line count and totals
    are annotations, not model fields, hence `Any`)."""
    return _header(rma) | {
        "line_count": rma.line_count,
        "total_expected": rma.total_expected or 0,
        "total_received": rma.total_received or 0,
        "total_restocked": rma.total_restocked or 0,
    }


def return_out(detail: ReturnDetail) -> dict:
    rma = detail.return_order
    return _header(rma) | {
        "order_id": rma.order_id,
        "lines": [
            {
                "product_id": line.product_id,
                "sku": line.product.sku,
                "kind": line.product.kind,
                "expected_quantity": line.expected_quantity,
                "received_quantity": line.received_quantity,
                "restocked_quantity": line.restocked_quantity,
            }
            for line in detail.lines
        ],
        "receipts": [receipt_out(r) for r in detail.receipts],
    }


@router.post(
    "/returns",
    response={201: ReturnCreatedOut},
    summary="Open an RMA: logs return_order rows with the expected quantities (no stock change)",
)
def create_return(request, payload: ReturnIn):
    company = request.company
    warehouse = warehouse_by_id(company=company, warehouse_id=payload.warehouse_id)
    order = None
    if payload.order_id is not None:
        order = Order.objects.filter(company=company, pk=payload.order_id).first()
        if order is None:
            raise InvalidInput(f"unknown order {payload.order_id!r}", field="order_id")
    rma, entries = return_create(
        company=company,
        number=payload.number,
        warehouse=warehouse,
        lines=[line.dict() for line in payload.lines],
        order=order,
        user=request.user,
    )
    detail = return_detail(company=company, return_id=rma.id)
    return Status(201, return_out(detail) | {"entries": [entry_out(e) for e in entries]})


@router.get("/returns", response=ReturnListOut, summary="List RMAs, newest first")
def list_returns(
    request,
    status: str | None = Query(None, description="open, partial or received"),
    number: str | None = Query(None, description="part of the RMA number"),
    limit: int = list_limit(),
    cursor: str | None = list_cursor(),
):
    qs = returns_for(company=request.company, status=status, number=number)
    return document_page(qs, limit=limit, cursor=cursor, out=summary_out)


@router.get(
    "/returns/{return_id}", response=ReturnOut, summary="An RMA with its lines and receipts"
)
def get_return(request, return_id: int):
    return return_out(return_detail(company=request.company, return_id=return_id))


@router.post(
    "/returns/{return_id}/receive",
    response={201: ReceiveResultOut},
    summary="Receive returned units and restock some or all (adds physical on hand)",
)
def receive_return(request, return_id: int, payload: ReceiveIn):
    company = request.company
    rma = get_for_company(ReturnOrder, company, return_id, label="RMA")
    receipt, entries = return_receive(
        company=company,
        return_order=rma,
        lines=[line.dict() for line in payload.lines],
        user=request.user,
    )
    detail = return_detail(company=company, return_id=rma.id)
    receipt = next(r for r in detail.receipts if r.id == receipt.id)
    return Status(
        201,
        {
            "receipt": receipt_out(receipt),
            "return_order": return_out(detail),
            "entries": [entry_out(e) for e in entries],
        },
    )


@router.get(
    "/returns/{return_id}/log",
    response=LogPageOut,
    summary="The Inventory Log rows this RMA caused, in recorded order",
)
def return_log(request, return_id: int, page: Query[PageQuery]):
    rma = get_for_company(ReturnOrder, request.company, return_id, label="RMA")
    rows = return_log_entries(company=request.company, return_order=rma)
    return document_log_page(rows, page)
