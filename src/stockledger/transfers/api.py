"""JSON API for inventory transfers between warehouses."""

from datetime import datetime
from typing import Any

from ninja import Field, Query, Router, Schema, Status

from stockledger.core.document_lists import document_page, list_cursor, list_limit
from stockledger.core.limits import NOTES_MAX, QUANTITY_MAX
from stockledger.core.pagination import PageQuery, page_of
from stockledger.core.tenancy import get_for_company
from stockledger.ledger.api import LogEntryOut, LogPageOut, document_log_page, entry_out
from stockledger.warehouses.services import warehouse_by_id

from .models import Transfer
from .selectors import TransferDetail, transfer_detail, transfer_log_entries, transfers_for
from .services import transfer_create

router = Router(tags=["transfers"])


class TransferLineIn(Schema):
    sku: str = Field(..., description="a kit moves its components by the kit ratio")
    quantity: int = Field(..., ge=1, le=QUANTITY_MAX)
    notes: str | None = Field(None, max_length=NOTES_MAX, description="the log's line_notes")


class TransferIn(Schema):
    sending_warehouse_id: int
    receiving_warehouse_id: int
    notes: str | None = Field(None, max_length=NOTES_MAX, description="the log's transfer_notes")
    number: str | None = Field(
        None, description="your transfer number (the log's event_id); default TR-<id>"
    )
    lines: list[TransferLineIn]


class TransferLineOut(Schema):
    product_id: int
    sku: str
    kind: str
    quantity: int
    notes: str


class _TransferHeader(Schema):
    # What a transfer and its list row both carry (`_header`); not a component of its own.
    id: int
    number: str
    sending_warehouse_id: int
    sending_warehouse_name: str
    receiving_warehouse_id: int
    receiving_warehouse_name: str
    notes: str
    transferred_at: datetime
    user_name: str


class TransferOut(_TransferHeader):
    lines: list[TransferLineOut]


class TransferSummaryOut(_TransferHeader):
    line_count: int
    total_quantity: int


TransferListOut = page_of(TransferSummaryOut, name="TransferListOut")


class TransferResultOut(TransferOut):
    entries: list[LogEntryOut] = Field(..., description="the inventory_transfer rows written")


def _header(transfer: Transfer) -> dict:
    return {
        "id": transfer.id,
        "number": transfer.number,
        "sending_warehouse_id": transfer.sending_warehouse_id,
        "sending_warehouse_name": transfer.sending_warehouse.name,
        "receiving_warehouse_id": transfer.receiving_warehouse_id,
        "receiving_warehouse_name": transfer.receiving_warehouse.name,
        "notes": transfer.notes,
        "transferred_at": transfer.transferred_at,
        "user_name": transfer.user.get_username() if transfer.user else "",
    }


def summary_out(transfer: Any) -> dict:
    """A row of the list: a Transfer annotated by `transfers_for` (its line count and total
    are annotations, not model fields, hence `Any`)."""
    return _header(transfer) | {
        "line_count": transfer.line_count,
        "total_quantity": transfer.total_quantity or 0,
    }


def transfer_out(detail: TransferDetail) -> dict:
    return _header(detail.transfer) | {
        "lines": [
            {
                "product_id": line.product_id,
                "sku": line.product.sku,
                "kind": line.product.kind,
                "quantity": line.quantity,
                "notes": line.notes,
            }
            for line in detail.lines
        ]
    }


@router.post(
    "/transfers",
    response={201: TransferResultOut},
    summary="Move stock between two warehouses (all lines or none); logs inventory_transfer rows",
)
def create_transfer(request, payload: TransferIn):
    company = request.company
    sending = warehouse_by_id(
        company=company, warehouse_id=payload.sending_warehouse_id, field="sending_warehouse_id"
    )
    receiving = warehouse_by_id(
        company=company,
        warehouse_id=payload.receiving_warehouse_id,
        field="receiving_warehouse_id",
    )
    transfer, entries = transfer_create(
        company=company,
        sending_warehouse=sending,
        receiving_warehouse=receiving,
        lines=[line.dict() for line in payload.lines],
        notes=payload.notes,
        number=payload.number,
        user=request.user,
    )
    detail = transfer_detail(company=company, transfer_id=transfer.id)
    return Status(201, transfer_out(detail) | {"entries": [entry_out(e) for e in entries]})


@router.get("/transfers", response=TransferListOut, summary="List transfers, newest first")
def list_transfers(
    request,
    warehouse_id: int | None = Query(None, description="sending from or receiving at"),
    number: str | None = Query(None, description="part of the transfer number"),
    limit: int = list_limit(),
    cursor: str | None = list_cursor(),
):
    qs = transfers_for(company=request.company, warehouse_id=warehouse_id, number=number)
    return document_page(qs, limit=limit, cursor=cursor, out=summary_out)


@router.get("/transfers/{transfer_id}", response=TransferOut, summary="A transfer with its lines")
def get_transfer(request, transfer_id: int):
    return transfer_out(transfer_detail(company=request.company, transfer_id=transfer_id))


@router.get(
    "/transfers/{transfer_id}/log",
    response=LogPageOut,
    summary="The Inventory Log rows this transfer caused, in recorded order",
)
def transfer_log(request, transfer_id: int, page: Query[PageQuery]):
    transfer = get_for_company(Transfer, request.company, transfer_id, label="transfer")
    rows = transfer_log_entries(company=request.company, transfer=transfer)
    return document_log_page(rows, page)
