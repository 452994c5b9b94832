"""JSON API for on-hand changes and reading a product's log."""

import base64
import binascii
import json
from datetime import datetime

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from ninja import Field, Query, Router, Schema, Status
from pydantic import model_validator

from stockledger.catalog.models import Product
from stockledger.catalog.services import clean_sku, product_by_sku
from stockledger.core.errors import InvalidInput
from stockledger.core.schemas import Timestamp
from stockledger.core.tenancy import get_for_company
from stockledger.warehouses.services import warehouse_by_id

from .columns import COLUMNS, FIELD_FOR_COLUMN
from .models import AdjustmentReason, LogEntry
from .selectors import log_entries, log_page
from .services import stock_adjust, stock_set

router = Router(tags=["inventory log"])

BIG = 1_000_000_000


class LogEntryOut(Schema):
    sequence: int
    created_at: datetime
    imported_at: datetime | None
    event_type: str
    quantity: int | None
    available_on_hand: int | None
    physical_on_hand: int | None
    cart_type: str
    cart_id: int | None
    cart_name: str
    event_id: str
    warehouse_name: str
    warehouse_locations: str
    user_name: str
    sending_warehouse_name: str
    receiving_warehouse_name: str
    transfer_notes: str
    line_notes: str
    expected_quantity: int | None
    received_quantity: int | None
    restocked_quantity: int | None
    sku: str
    warehouse_id: int | None
    committed: int | None
    warehouse_physical_on_hand: int | None
    warehouse_committed: int | None
    warehouse_available_on_hand: int | None
    physical_change: int
    committed_change: int
    order_step: str
    went_negative: bool
    note: str
    channel_last_written: int | None
    channel_differs: bool | None
    explanation: str
    delivery_status: str
    kit_sku: str
    document_type: str
    document_id: int | None
    recorded_at: datetime
    reason: str | None = Field(None, description="on_hand rows: why (AdjustmentReason)")


def entry_out(entry: LogEntry) -> dict:
    return {c: getattr(entry, FIELD_FOR_COLUMN[c]) for c in COLUMNS}


def entries_out(entries: list[LogEntry]) -> list[dict]:
    return [entry_out(e) for e in entries]


# The log page is serialized straight from value tuples, in LogEntryOut's field order and with
# the JSON renderer's own datetime format, skipping per-row model instances and response
# validation (a 50-row page spent most of its time there). The JSON is the same.
_PAGE_KEYS = tuple(LogEntryOut.model_fields)
_PAGE_FIELDS = tuple(FIELD_FOR_COLUMN[k] for k in _PAGE_KEYS)
_PAGE_TIMESTAMPS = tuple(
    i for i, k in enumerate(_PAGE_KEYS) if k in ("created_at", "imported_at", "recorded_at")
)
_json_datetime = DjangoJSONEncoder().default


def _page_item(row: tuple) -> dict:
    values = list(row)
    for i in _PAGE_TIMESTAMPS:
        if values[i] is not None:
            values[i] = _json_datetime(values[i])
    return dict(zip(_PAGE_KEYS, values, strict=True))


class OnHandIn(Schema):
    sku: str
    warehouse_id: int
    physical_on_hand: int | None = Field(None, ge=0, le=BIG, description="set to this value")
    change: int | None = Field(None, ge=-BIG, le=BIG, description="or adjust by this signed value")
    note: str | None = Field(None, max_length=2000)
    reason: AdjustmentReason | None = Field(None, description="why: stored on the log row")

    @model_validator(mode="after")
    def one_of(self):
        if (self.physical_on_hand is None) == (self.change is None):
            raise ValueError("give exactly one of physical_on_hand (set) or change (adjust)")
        return self


class OnHandOut(Schema):
    entry: LogEntryOut


@router.post("/stock/on-hand", response={201: OnHandOut}, summary="Set or adjust physical on hand")
def post_on_hand(request, payload: OnHandIn):
    company = request.company
    product = product_by_sku(company=company, sku=clean_sku(payload.sku))
    warehouse = warehouse_by_id(company=company, warehouse_id=payload.warehouse_id)
    if payload.physical_on_hand is not None:
        entry = stock_set(
            company=company,
            product=product,
            warehouse=warehouse,
            physical_on_hand=payload.physical_on_hand,
            user=request.user,
            note=payload.note,
            reason=payload.reason,
        )
    else:
        entry = stock_adjust(
            company=company,
            product=product,
            warehouse=warehouse,
            change=payload.change,
            user=request.user,
            note=payload.note,
            reason=payload.reason,
        )
    return Status(201, {"entry": entry_out(entry)})


class LogPageOut(Schema):
    items: list[LogEntryOut]
    next_cursor: str | None


class LogFilters(Schema):
    limit: int = Field(50, ge=1, le=1000)
    cursor: str | None = None
    event_type: list[str] | None = Field(None, description="repeat to filter on several")
    warehouse_id: list[int] | None = None
    cart_id: list[int] | None = None
    reason: list[str] | None = Field(None, description="on_hand reasons; repeat for several")
    since: Timestamp | None = Field(None, description="inclusive, ISO 8601 with offset")
    until: Timestamp | None = Field(None, description="exclusive, ISO 8601 with offset")
    order: str = Field("desc", pattern="^(asc|desc)$", description="desc = newest first")


def encode_cursor(key: tuple[datetime, int] | None) -> str | None:
    if key is None:
        return None
    raw = f"{key[0].isoformat()}|{key[1]}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(value: str | None) -> tuple[datetime, int] | None:
    if not value:
        return None
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        at, pk = raw.split("|")
        parsed = datetime.fromisoformat(at)
        if parsed.tzinfo is None:
            raise ValueError
        return parsed, int(pk)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput("cursor is not one this API returned", field="cursor") from None


@router.get("/products/{product_id}/log", response=LogPageOut, summary="A product's Inventory Log")
def product_log(request, product_id: int, filters: Query[LogFilters]):
    product = get_for_company(Product, request.company, product_id, label="product")
    qs = log_entries(
        company=request.company,
        product_ids=[product.id],
        event_types=filters.event_type,
        warehouse_ids=filters.warehouse_id,
        cart_ids=filters.cart_id,
        reasons=filters.reason,
        since=filters.since,
        until=filters.until,
    )
    rows, next_key = log_page(
        qs,
        limit=filters.limit,
        cursor=decode_cursor(filters.cursor),
        newest_first=filters.order == "desc",
        fields=_PAGE_FIELDS,
    )
    body = {"items": [_page_item(r) for r in rows], "next_cursor": encode_cursor(next_key)}
    return HttpResponse(json.dumps(body), content_type="application/json; charset=utf-8")
