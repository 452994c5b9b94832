"""JSON API for on-hand changes and reading a product's log."""

import base64
import binascii
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any, cast

import orjson
from django.db import connection, connections, models
from django.db import router as db_router
from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils.dateparse import parse_datetime
from ninja import Field, Query, Router, Schema
from pydantic import model_validator

from stockledger.catalog.models import Product
from stockledger.catalog.services import clean_sku, product_by_sku, sku_key
from stockledger.core.errors import InvalidInput
from stockledger.core.limits import QUANTITY_MAX
from stockledger.core.models import Company
from stockledger.core.pagination import Page, PageQuery, keyset_page, page_of
from stockledger.core.requests import CompanyRequest
from stockledger.core.rows import field_count, model_from_row, plain_rows, select_list
from stockledger.core.schemas import Timestamp
from stockledger.core.tenancy import get_for_company
from stockledger.warehouses.models import Warehouse
from stockledger.warehouses.services import warehouse_by_id

from .columns import COLUMNS, FIELD_FOR_COLUMN
from .models import AdjustmentReason, LogEntry
from .prepared import prepared
from .selectors import log_entries, log_page
from .services import stock_adjust, stock_set

router = Router(tags=["inventory log"])


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


def entry_out(entry: LogEntry) -> dict[str, Any]:
    return {c: getattr(entry, FIELD_FOR_COLUMN[c]) for c in COLUMNS}


def entries_out(entries: list[LogEntry]) -> list[dict[str, Any]]:
    return [entry_out(e) for e in entries]


def document_log_page(rows: QuerySet[LogEntry], page: PageQuery) -> Page:
    """A page of the log rows one document caused (`document_log_entries`), in recorded order:
    what each document's `/log` operation answers."""
    return keyset_page(
        rows, order=("id",), limit=page.limit, cursor=page.cursor, transform=entries_out
    )


# The log page is serialized straight from value tuples, in LogEntryOut's field order, with
# orjson: no per-row model instances and no validation of our own output (a 50-row page spent
# most of its time there). Timestamps keep the JSON renderer's format (DjangoJSONEncoder:
# milliseconds, "Z" for UTC), so the JSON means the same as the schema's rendering.
_PAGE_KEYS = tuple(LogEntryOut.model_fields)
_PAGE_FIELDS = tuple(FIELD_FOR_COLUMN[k] for k in _PAGE_KEYS)
_PAGE_TIMESTAMPS = tuple(
    i for i, k in enumerate(_PAGE_KEYS) if k in ("created_at", "imported_at", "recorded_at")
)


def _json_datetime(value: datetime) -> str:
    """DjangoJSONEncoder's format for a datetime (ECMA-262: milliseconds, Z for UTC)."""
    text = value.isoformat()
    if value.microsecond:
        text = text[:23] + text[26:]
    if text.endswith("+00:00"):
        text = text[:-6] + "Z"
    return text


def log_page_json(rows: list[tuple[Any, ...]], next_cursor: str | None) -> bytes:
    """`{"items": [...], "next_cursor": ...}` (LogPageOut) encoded from value tuples."""
    return orjson.dumps({"items": [_page_row(r) for r in rows], "next_cursor": next_cursor})


def _page_row(row: tuple[Any, ...]) -> dict[str, Any]:
    values = list(row)
    for i in _PAGE_TIMESTAMPS:
        if values[i] is not None:
            values[i] = _json_datetime(values[i])
    return dict(zip(_PAGE_KEYS, values, strict=True))


class OnHandIn(Schema):
    sku: str
    warehouse_id: int
    physical_on_hand: int | None = Field(
        None, ge=0, le=QUANTITY_MAX, description="set to this value"
    )
    change: int | None = Field(
        None, ge=-QUANTITY_MAX, le=QUANTITY_MAX, description="or adjust by this signed value"
    )
    note: str | None = Field(None, max_length=2000)
    reason: AdjustmentReason | None = Field(None, description="why: stored on the log row")

    @model_validator(mode="after")
    def one_of(self) -> "OnHandIn":
        if (self.physical_on_hand is None) == (self.change is None):
            raise ValueError("give exactly one of physical_on_hand (set) or change (adjust)")
        return self


class OnHandOut(Schema):
    entry: LogEntryOut


@cache
def _product_warehouse_sql() -> str:
    qn = connection.ops.quote_name
    select = select_list(Product, "p") + select_list(Warehouse, "w")
    return (
        f"SELECT {', '.join(select)} FROM {qn(Product._meta.db_table)} p "
        f"JOIN {qn(Warehouse._meta.db_table)} w ON w.{qn('company_id')} = p.{qn('company_id')} "
        f"AND w.{qn('id')} = %s "
        f"WHERE p.{qn('company_id')} = %s AND (p.{qn('sku')} = %s OR p.{qn('sku_key')} = %s) "
        "LIMIT 2"
    )


def product_and_warehouse(
    *, company: Company, sku: object, warehouse_id: object
) -> tuple[Product, Warehouse]:
    """The SKU's product and the warehouse in one query; anything unusual (unknown, archived,
    look-alike SKUs) goes through `product_by_sku` / `warehouse_by_id` for their errors."""
    sku = clean_sku(sku)
    if isinstance(warehouse_id, int) and abs(warehouse_id) < 2**63:
        with connection.cursor() as cursor:
            cursor.execute(_product_warehouse_sql(), [warehouse_id, company.id, sku, sku_key(sku)])
            rows = cursor.fetchall()
        if len(rows) == 1:
            n = field_count(Product)
            product = model_from_row(Product, rows[0][:n])
            warehouse = model_from_row(Warehouse, rows[0][n:])
            if product.archived_at is None and warehouse.archived_at is None:
                return product, warehouse
    product = product_by_sku(company=company, sku=sku)
    return product, warehouse_by_id(company=company, warehouse_id=warehouse_id)


@router.post("/stock/on-hand", response={201: OnHandOut}, summary="Set or adjust physical on hand")
def post_on_hand(request: CompanyRequest, payload: OnHandIn) -> HttpResponse:
    company = request.company
    product, warehouse = product_and_warehouse(
        company=company, sku=payload.sku, warehouse_id=payload.warehouse_id
    )
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
            change=cast(int, payload.change),  # one_of(): set when physical_on_hand is not
            user=request.user,
            note=payload.note,
            reason=payload.reason,
        )
    # Pre-encoded like the log page (same fields and values as OnHandOut documents).
    values = tuple(getattr(entry, name) for name in _PAGE_FIELDS)
    return HttpResponse(
        orjson.dumps({"entry": _page_row(values)}),
        status=201,
        content_type="application/json; charset=utf-8",
    )


LogPageOut = page_of(LogEntryOut, name="LogPageOut")


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
def product_log(
    request: CompanyRequest, product_id: int, filters: Query[LogFilters]
) -> HttpResponse:
    cursor = decode_cursor(filters.cursor)
    newest_first = filters.order == "desc"
    unfiltered = not (
        filters.event_type
        or filters.warehouse_id
        or filters.cart_id
        or filters.reason
        or filters.since
        or filters.until
    )
    if unfiltered and abs(product_id) < 2**63:
        # The page a product screen and most clients ask for: one fixed query, and no
        # product query when the page has rows (rows of this company and product prove it
        # exists here); an empty page still answers 404 for another company's product.
        body = plain_log_page_json(
            company_id=request.company.id,
            product_id=product_id,
            limit=filters.limit,
            cursor=cursor,
            newest_first=newest_first,
        )
        if body is None:  # an empty page
            get_for_company(Product, request.company, product_id, label="product")
            body = orjson.dumps({"items": [], "next_cursor": None})
        return HttpResponse(body, content_type="application/json; charset=utf-8")
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
        cursor=cursor,
        newest_first=newest_first,
        fields=_PAGE_FIELDS,
    )
    # Pre-encoded: the documented response schema (LogPageOut) stays in the OpenAPI.
    return HttpResponse(
        log_page_json(rows, encode_cursor(next_key)),
        content_type="application/json; charset=utf-8",
    )


_TIMESTAMP_FIELDS = ("created_at", "imported_at", "recorded_at")


def _sqlite_json_value(name: str, column: str) -> str:
    """SQL for one LogEntryOut value as SQLite's json_object writes it: what orjson writes
    for the value `plain_log_page` gives (booleans as true/false, timestamps in the JSON
    renderer's format from their stored text; see `_sqlite_json_datetime`)."""
    if name in _TIMESTAMP_FIELDS:
        return (
            f"CASE length({column}) "
            f"WHEN 26 THEN substr({column}, 1, 10) || 'T' || substr({column}, 12, 12) || 'Z' "
            f"WHEN 19 THEN substr({column}, 1, 10) || 'T' || substr({column}, 12) || 'Z' END"
        )
    if name in ("went_negative", "channel_differs"):
        return (
            f"CASE WHEN {column} THEN json('true') WHEN {column} IS NOT NULL THEN json('false') END"
        )
    return column


def _sqlite_plain_form(column: str) -> str:
    """True when a stored timestamp is in one of the two forms `_sqlite_json_value` reads
    (what Django writes: `YYYY-MM-DD HH:MM:SS[.ffffff]`)."""
    return f"(substr({column}, 11, 1) = ' ' AND length({column}) IN (19, 26))"


@cache
def _plain_page_json_sql(newest_first: bool, keyed: bool) -> str:
    """SQLite: the unfiltered page with each row written as its JSON object by SQLite
    (`json_object`, no per-row Python), plus the row's key and whether its timestamps are
    in the forms the SQL reads (any other row sends the page through `plain_log_page`)."""
    qn = connection.ops.quote_name
    pairs = []
    for key, name in zip(_PAGE_KEYS, _PAGE_FIELDS, strict=True):
        column = qn(cast(str, cast(Any, LogEntry._meta.get_field(name)).column))
        pairs.append(f"'{key}', {_sqlite_json_value(name, column)}")
    checks = []
    for name in _TIMESTAMP_FIELDS:
        column = qn(cast(str, cast(Any, LogEntry._meta.get_field(name)).column))
        form = _sqlite_plain_form(column)
        checks.append(form if name != "imported_at" else f"({column} IS NULL OR {form})")
    ok = " AND ".join(checks)
    where, order = _plain_page_where(newest_first, keyed)
    return (
        f"SELECT json_object({', '.join(pairs)}), CAST({qn('created_at')} AS TEXT), {qn('id')}, "
        f"{ok} FROM {qn(LogEntry._meta.db_table)} WHERE {where} ORDER BY {order} LIMIT %s"
    )


def plain_log_page_json(
    *,
    company_id: int,
    product_id: int,
    limit: int,
    cursor: tuple[datetime, int] | None,
    newest_first: bool,
    using: str | None = None,
) -> bytes | None:
    """The unfiltered page's response body (LogPageOut), or None for an empty page: the
    bytes orjson writes for `plain_log_page`'s items and next cursor. On SQLite the rows
    come as JSON from the database (a 50-row page's per-row Python was a fifth of the
    request; issue 15); elsewhere, and for any row stored in an unusual form, from
    `plain_log_page`."""
    db = connections[using or db_router.db_for_read(LogEntry)]
    if db.vendor == "sqlite":
        params = [*_plain_page_params(db, company_id, product_id, cursor), limit + 1]
        with db.cursor() as c:
            c.execute(_plain_page_json_sql(newest_first, cursor is not None), params)
            rows = c.fetchall()
        if all(row[3] for row in rows):
            if not rows:
                return None
            next_cursor = None
            if len(rows) > limit:
                rows = rows[:limit]
                next_cursor = encode_cursor((_sqlite_key_time(rows[-1][1]), rows[-1][2]))
            return b"".join(
                (
                    b'{"items":[',
                    ",".join([row[0] for row in rows]).encode(),
                    b'],"next_cursor":',
                    orjson.dumps(next_cursor),
                    b"}",
                )
            )
    items, next_key = plain_log_page(
        company_id=company_id,
        product_id=product_id,
        limit=limit,
        cursor=cursor,
        newest_first=newest_first,
        using=db.alias,
    )
    if not items:
        return None
    return orjson.dumps({"items": items, "next_cursor": encode_cursor(next_key)})


def _plain_page_where(newest_first: bool, keyed: bool) -> tuple[str, str]:
    qn = connection.ops.quote_name
    sign, direction = ("<", "DESC") if newest_first else (">", "ASC")
    where = f"{qn('company_id')} = %s AND {qn('product_id')} = %s"
    if keyed:  # (created_at, id) beyond the cursor, bounding the index range on created_at
        where += (
            f" AND {qn('created_at')} {sign}= %s"
            f" AND ({qn('created_at')} {sign} %s OR {qn('id')} {sign} %s)"
        )
    return where, f"{qn('created_at')} {direction}, {qn('id')} {direction}"


def _plain_page_params(
    db: Any, company_id: int, product_id: int, cursor: tuple[datetime, int] | None
) -> list[Any]:
    params: list[Any] = [company_id, product_id]
    if cursor is not None:
        at: Any = cursor[0]
        if db.vendor == "sqlite":
            at = db.ops.adapt_datetimefield_value(at)
        params += [at, at, cursor[1]]
    return params


def _sqlite_key_time(text: str) -> datetime:
    parsed = parse_datetime(text)
    if parsed is None:
        raise ValueError(f"not a timestamp: {text!r}")
    return parsed.replace(tzinfo=UTC)


@cache
def _plain_page_sql(vendor: str, newest_first: bool, keyed: bool) -> str:
    """The unfiltered page as fixed SQL (compiled once, not per request). On SQLite the
    timestamps are read as their stored text (no converter call per cell; see
    `_sqlite_json_datetime`). It ends with `LIMIT `: the caller writes the limit in."""
    qn = connection.ops.quote_name
    columns = []
    for name in _PAGE_FIELDS:
        column = qn(cast(str, cast(Any, LogEntry._meta.get_field(name)).column))
        if vendor == "sqlite" and name in _TIMESTAMP_FIELDS:
            column = f"CAST({column} AS TEXT)"
        elif vendor == "postgresql" and name in _TIMESTAMP_FIELDS:
            column = _postgresql_json_datetime(column)
        columns.append(column)
    if vendor == "postgresql":  # the row's key: microseconds since the epoch, exact
        columns.append(f"(extract(epoch FROM {qn('created_at')}) * 1000000)::bigint")
    where, order = _plain_page_where(newest_first, keyed)
    return (
        f"SELECT {', '.join(columns)} FROM {qn(LogEntry._meta.db_table)} WHERE {where} "
        f"ORDER BY {order} LIMIT "
    )


def _postgresql_json_datetime(column: str) -> str:
    """SQL for a timestamptz as text in the JSON renderer's format (`_json_datetime`: UTC,
    milliseconds truncated, none when the microseconds are 0, `Z`). Read as text, the page's
    150 timestamps skip Django's timestamptz loader, which parses each one in Python: a
    fifth of a PostgreSQL log page (issue 15)."""
    utc = f"({column} AT TIME ZONE 'UTC')"
    return (
        f"CASE WHEN mod(extract(microseconds FROM {column})::bigint, 1000000) = 0 "
        f"""THEN to_char({utc}, 'YYYY-MM-DD"T"HH24:MI:SS"Z"') """
        f"""ELSE to_char({utc}, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') END"""
    )


def _sqlite_json_datetime(text: str) -> str:
    """A timestamp as SQLite holds it (UTC, `YYYY-MM-DD HH:MM:SS[.ffffff]`) in the JSON
    renderer's format (`_json_datetime` of the same value): milliseconds, `Z`."""
    if len(text) == 26 and text[10] == " ":
        return f"{text[:10]}T{text[11:23]}Z"
    if len(text) == 19 and text[10] == " ":
        return f"{text[:10]}T{text[11:]}Z"
    parsed = parse_datetime(text)
    if parsed is None:
        raise ValueError(f"not a timestamp: {text!r}")
    return _json_datetime(parsed.replace(tzinfo=UTC))


@cache
def _plain_entries_sql(vendor: str, newest_first: bool, keyed: bool) -> str:
    """`_plain_page_sql`'s page with every column of the log, for LogEntry objects."""
    where, order = _plain_page_where(newest_first, keyed)
    table = connection.ops.quote_name(LogEntry._meta.db_table)
    columns = select_list(LogEntry, table)
    if vendor == "sqlite":
        # Timestamps as their text: the driver would parse each into a naive datetime by a
        # Python call and Django's converter then make it aware; reading the text, the
        # converter parses it once (C's fromisoformat). A third of the rows' reading time.
        columns = [
            f"CAST({column} AS TEXT)" if isinstance(field, models.DateTimeField) else column
            for column, field in zip(columns, LogEntry._meta.concrete_fields, strict=True)
        ]
    return f"SELECT {', '.join(columns)} FROM {table} WHERE {where} ORDER BY {order} LIMIT "


def plain_log_entries(
    *,
    company_id: int,
    product_id: int,
    limit: int,
    cursor: tuple[datetime, int] | None,
    newest_first: bool = True,
    using: str | None = None,
) -> tuple[list[Any], tuple[datetime, int] | None]:
    """One unfiltered page of a product's log, and the next key: the rows and order of
    `log_page` over `log_entries`, read by one fixed query (compiled once; on PostgreSQL
    prepared) instead of an ORM query built per request, as named tuples with LogEntry's
    field names and values (`core.rows.plain_rows`), not model instances. The product page's
    log table reads its pages here (issue 15)."""
    db = connections[using or db_router.db_for_read(LogEntry)]
    sql = _plain_entries_sql(db.vendor, newest_first, cursor is not None) + str(int(limit) + 1)
    params = _plain_page_params(db, company_id, product_id, cursor)
    with prepared(db), db.cursor() as c:
        c.execute(sql, params)
        rows = c.fetchall()
    entries = plain_rows(LogEntry, rows[:limit])
    if len(rows) > limit:
        return entries, (entries[-1].created_at, entries[-1].pk)
    return entries, None


_BOOLEANS = tuple(i for i, k in enumerate(_PAGE_KEYS) if k in ("went_negative", "channel_differs"))
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_AT, _ID = _PAGE_KEYS.index("created_at"), _PAGE_KEYS.index("sequence")


def plain_log_page(
    *,
    company_id: int,
    product_id: int,
    limit: int,
    cursor: tuple[datetime, int] | None,
    newest_first: bool,
    using: str | None = None,
) -> tuple[list[dict[str, Any]], tuple[datetime, int] | None]:
    """One unfiltered page of a product's log as LogEntryOut dicts, and the next key: the
    same rows, order and values as `log_page` over `log_entries` with `_page_row`. On
    PostgreSQL a prepared statement (ledger/prepared.py). `using`: the database alias
    (default: the router's choice for a read)."""
    db = connections[using or db_router.db_for_read(LogEntry)]
    sql = _plain_page_sql(db.vendor, newest_first, cursor is not None)
    params = _plain_page_params(db, company_id, product_id, cursor)
    # The limit is written in, not a parameter: a prepared statement's generic plan would
    # otherwise plan for an unknown row count (10% of the rows) instead of this page's.
    sql += str(int(limit) + 1)
    with prepared(db), db.cursor() as c:
        c.execute(sql, params)
        rows = c.fetchall()
    more = len(rows) > limit
    if more:
        rows = rows[:limit]
    if db.vendor == "postgresql":  # timestamps come as their JSON text, the key last
        items = [dict(zip(_PAGE_KEYS, row[:-1], strict=True)) for row in rows]
        if not more:
            return items, None
        at = EPOCH + timedelta(microseconds=rows[-1][-1])
        return items, (at, rows[-1][_ID])
    sqlite = db.vendor == "sqlite"
    convert = _sqlite_json_datetime if sqlite else _json_datetime
    items = []
    for row in rows:
        values = list(row)
        for i in _PAGE_TIMESTAMPS:
            if values[i] is not None:
                values[i] = convert(values[i])
        if sqlite:  # SQLite answers 0/1
            for i in _BOOLEANS:
                if values[i] is not None:
                    values[i] = bool(values[i])
        items.append(dict(zip(_PAGE_KEYS, values, strict=True)))
    next_key = None
    if more:
        last = rows[-1]
        at = last[_AT]
        next_key = (_sqlite_key_time(at) if sqlite else at, last[_ID])
    return items, next_key
