"""JSON API for exports: ask for one, follow it, download its file."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Literal

from ninja import Field, Query, Router, Schema, Status

from stockledger.core.errors import InvalidInput
from stockledger.core.pagination import page_of
from stockledger.core.schemas import Timestamp
from stockledger.core.tenancy import get_for_company

from .downloads import export_download
from .models import Export, ExportFormat
from .selectors import exports_for_company, exports_page
from .services import MAX_SKUS, export_create
from .tasks import looks_stale, reap_stale_exports

router = Router(tags=["exports"])


class ExportIn(Schema):
    kind: Literal["product", "kit_with_components", "products"] | None = Field(
        None,
        description="default: product with product_id (kit_with_components with "
        "include_components), else products",
    )
    format: Literal["csv", "xlsx"] = "csv"
    product_id: int | None = None
    include_components: bool = Field(
        False, description="a kit's rows and its components' rows in one file"
    )
    since: Timestamp | None = Field(None, description="inclusive, ISO 8601 with offset")
    until: Timestamp | None = Field(None, description="exclusive, ISO 8601 with offset")
    interval: Literal["hour", "day", "week", "month"] | None = Field(
        None, description="the last hour/day/week/month up to now (instead of since/until)"
    )
    event_types: list[str] | None = Field(None, max_length=50)
    warehouse_ids: list[int] | None = Field(None, max_length=1000)
    skus: list[str] | None = Field(None, max_length=MAX_SKUS, description="products kind")
    search: str | None = Field(None, max_length=200, description="products kind: SKU or name")
    timezone: str = Field("UTC", max_length=64, description="IANA name for the timestamps")
    timestamp_format: Literal["iso", "spreadsheet"] = Field(
        "iso",
        description=(
            "CSV timestamps: iso = ISO 8601 with offset, 6 fractional digits; spreadsheet = "
            "local time in `timezone` as YYYY-MM-DD HH:MM:SS.fff (a date-time to Excel and "
            "LibreOffice), the zone in a last column `time_zone` and in the file name. "
            "Both are fixed width: sorting the text sorts by time."
        ),
    )


class ExportOut(Schema):
    id: int
    kind: str
    format: str
    status: Literal["queued", "running", "complete", "failed", "expired"]
    rows: int = Field(description="rows written so far; the total once complete")
    file_size: int | None
    error: str
    attempts: int
    product_id: int | None
    parameters: dict
    requested_by: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    heartbeat_at: datetime | None
    expired_at: datetime | None
    download_name: str
    download_url: str | None = Field(description="set once complete")


def parameters_out(parameters: dict) -> dict:
    """The stored parameters, their bounds as datetimes: they leave the API in UTC with `Z`
    like every other timestamp (they are stored with their offset, `+00:00`)."""
    out = dict(parameters)
    for bound in ("since", "until"):
        if isinstance(out.get(bound), str):
            out[bound] = datetime.fromisoformat(out[bound])
    return out


def export_out(export: Export) -> dict:
    return {
        "id": export.id,
        "kind": export.kind,
        "format": export.format,
        "status": export.status,
        "rows": export.rows,
        "file_size": export.file_size,
        "error": export.error,
        "attempts": export.attempts,
        "product_id": export.product_id,
        "parameters": parameters_out(export.parameters),
        "requested_by": export.user.get_username() if export.user else None,
        "created_at": export.created_at,
        "started_at": export.started_at,
        "finished_at": export.finished_at,
        "heartbeat_at": export.heartbeat_at,
        "expired_at": export.expired_at,
        "download_name": export.download_name,
        "download_url": f"/api/v1/exports/{export.id}/file"
        if export.status == "complete"
        else None,
    }


ExportPageOut = page_of(ExportOut, name="ExportPageOut")


class ExportFilters(Schema):
    limit: int = Field(50, ge=1, le=200)
    cursor: str | None = None
    status: Literal["queued", "running", "complete", "failed", "expired"] | None = None


def _encode_cursor(before_id: int | None) -> str | None:
    if before_id is None:
        return None
    return base64.urlsafe_b64encode(f"e{before_id}".encode()).decode().rstrip("=")


def _decode_cursor(value: str | None) -> int | None:
    if not value:
        return None
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        if not raw.startswith("e"):
            raise ValueError
        return int(raw[1:])
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput("cursor is not one this API returned", field="cursor") from None


@router.post(
    "/exports", response={201: ExportOut}, summary="Ask for an export (runs in the background)"
)
def post_export(request, payload: ExportIn):
    export = export_create(
        company=request.company,
        user=request.user,
        kind=payload.kind,
        format=payload.format,
        product_id=payload.product_id,
        include_components=payload.include_components,
        since=payload.since,
        until=payload.until,
        interval=payload.interval,
        event_types=payload.event_types,
        warehouse_ids=payload.warehouse_ids,
        skus=payload.skus,
        search=payload.search,
        timezone=payload.timezone,
        timestamp_format=payload.timestamp_format,
    )
    return Status(201, export_out(export))


@router.get("/exports", response=ExportPageOut, summary="The company's exports, newest first")
def list_exports(request, filters: Query[ExportFilters]):
    # Opportunistic: a user looking at exports sees a dead worker's job for what it is.
    reap_stale_exports(company=request.company)
    rows, before = exports_page(
        exports_for_company(company=request.company, status=filters.status),
        limit=filters.limit,
        before_id=_decode_cursor(filters.cursor),
    )
    return {"items": [export_out(e) for e in rows], "next_cursor": _encode_cursor(before)}


@router.get("/exports/{export_id}", response=ExportOut, summary="One export and its progress")
def get_export(request, export_id: int):
    export = get_for_company(Export, request.company, export_id, label="export", related=("user",))
    # A client polling a live export costs no reaping; one whose worker looks gone is settled
    # (with the company's other stale exports) before it is shown.
    if looks_stale(export) and reap_stale_exports(company=request.company):
        export.refresh_from_db()
    return export_out(export)


_FILE_RESPONSES = {
    200: {"description": "the file (attachment)"},
    404: {"description": "no such export for this company"},
    409: {"description": "not complete (or expired, or another format)"},
}


@router.get(
    "/exports/{export_id}/csv",
    summary="Download a complete CSV export",
    openapi_extra={
        "responses": {**_FILE_RESPONSES, 200: {"content": {"text/csv": {}}, "description": "CSV"}}
    },
)
def download_csv(request, export_id: int):
    return export_download(company=request.company, export_id=export_id, format=ExportFormat.CSV)


@router.get(
    "/exports/{export_id}/file",
    summary="Download a complete export's file (CSV or XLSX)",
    openapi_extra={
        "responses": {
            **_FILE_RESPONSES,
            200: {
                "description": "CSV or XLSX (attachment)",
                "content": {
                    "text/csv": {},
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {},
                },
            },
        }
    },
)
def download_file(request, export_id: int):
    return export_download(company=request.company, export_id=export_id)
