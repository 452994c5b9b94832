"""JSON API for spreadsheet imports: upload (a dry run gives the preview), apply, follow,
download the rejected rows."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Literal

from django.http import StreamingHttpResponse
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from stockledger.core.errors import InvalidInput
from stockledger.core.pagination import page_of
from stockledger.core.schemas import ErrorOut
from stockledger.core.tenancy import get_for_company

from .models import Import, ImportStatus
from .selectors import import_errors, imports_for_company, rejected_rows_csv
from .services import import_confirm, import_upload

router = Router(tags=["imports"])

ERRORS_LISTED = 1000


class RowErrorOut(Schema):
    row: int = Field(description="row number as the spreadsheet shows it (the header is row 1)")
    column: str
    message: str


class ImportOut(Schema):
    id: int
    kind: Literal["products", "counts", "purchase_orders"]
    format: Literal["csv", "xlsx"]
    status: Literal["validating", "ready", "invalid", "queued", "running", "complete", "failed"]
    file_name: str
    sha256: str
    size: int
    rows_read: int
    rows_bad: int
    actions: dict[str, int] = Field(
        description="what the good rows will do: create, exists, set, adjust, po_line"
    )
    rows_applied: int
    error: str
    repeat_of: int | None = Field(description="an earlier applied import of the same file")
    uploaded_by: str | None
    created_at: datetime
    checked_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    errors: list[RowErrorOut] = Field(description=f"the first {ERRORS_LISTED} bad rows' problems")
    rejected_rows_url: str | None


def import_out(job: Import, *, with_errors: bool = True) -> dict:
    errors = import_errors(job, limit=ERRORS_LISTED) if with_errors and job.rows_bad else []
    if with_errors and job.status == ImportStatus.FAILED:
        errors = import_errors(job, limit=ERRORS_LISTED)
    return {
        "id": job.id,
        "kind": job.kind,
        "format": job.format,
        "status": job.status,
        "file_name": job.original_name,
        "sha256": job.sha256,
        "size": job.size,
        "rows_read": job.rows_read,
        "rows_bad": job.rows_bad,
        "actions": job.actions or {},
        "rows_applied": job.rows_applied,
        "error": job.error,
        "repeat_of": job.repeat_of_id,
        "uploaded_by": job.user.get_username() if job.user else None,
        "created_at": job.created_at,
        "checked_at": job.checked_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "errors": [{"row": e.row_number, "column": e.column, "message": e.message} for e in errors],
        "rejected_rows_url": f"/api/v1/imports/{job.id}/rejected.csv" if errors else None,
    }


@router.post(
    "/imports",
    response={201: ImportOut, 202: ImportOut, 409: ErrorOut, 422: ErrorOut},
    summary="Upload a CSV or XLSX file to import (dry run: the preview only)",
    description=(
        "Multipart form: `file` (.csv or .xlsx), `kind` (products | counts | purchase_orders), "
        "`dry_run` (default true). The file is checked before the answer: a dry run answers "
        "201 with the preview (what each row will do, every bad row with row, column and "
        "reason) and changes nothing; apply it later with POST /imports/{id}/apply. Without "
        "dry run a file with bad rows is 422 (nothing applied) and a good one is queued (202) "
        "and applied in the background, all or nothing. A file applied before (same SHA-256 "
        "and kind) is 409 unless `confirm_repeat` is true."
    ),
)
def post_import(
    request,
    file: File[UploadedFile],
    kind: Form[Literal["products", "counts", "purchase_orders"]],
    dry_run: Form[bool] = True,
    confirm_repeat: Form[bool] = False,
):
    job = import_upload(
        company=request.company, user=request.user, kind=kind, upload=file, check_now=True
    )
    if dry_run:
        return Status(201, import_out(job))
    if job.status != ImportStatus.READY:
        body = import_out(job)
        errors = [
            {"field": f"rows[{e['row']}].{e['column']}", "message": e["message"]}
            for e in body["errors"]
        ] or [{"field": "file", "message": job.error}]
        detail = job.error or f"{job.rows_bad} bad rows; nothing was applied"
        return Status(422, {"detail": f"import {job.id}: {detail}", "errors": errors})
    return Status(202, import_out(_confirm(request, job.id, confirm_repeat)))


class ApplyIn(Schema):
    confirm_repeat: bool = Field(False, description="apply a file that was applied before")


def _confirm(request, import_id: int, again: bool) -> Import:
    return import_confirm(
        company=request.company, user=request.user, import_id=import_id, again=again
    )


@router.post(
    "/imports/{import_id}/apply",
    response={202: ImportOut, 409: ErrorOut},
    summary="Apply a checked import (in the background, all or nothing)",
)
def apply_import(request, import_id: int, payload: ApplyIn | None = None):
    return Status(
        202, import_out(_confirm(request, import_id, bool(payload and payload.confirm_repeat)))
    )


ImportPageOut = page_of(ImportOut, name="ImportPageOut")


class ImportFilters(Schema):
    limit: int = Field(50, ge=1, le=200)
    cursor: str | None = None


def _decode(value: str | None) -> int | None:
    if not value:
        return None
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        if not raw.startswith("i"):
            raise ValueError
        return int(raw[1:])
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput("cursor is not one this API returned", field="cursor") from None


@router.get("/imports", response=ImportPageOut, summary="The company's imports, newest first")
def list_imports(request, filters: Query[ImportFilters]):
    qs = imports_for_company(company=request.company)
    before = _decode(filters.cursor)
    if before is not None:
        qs = qs.filter(id__lt=before)
    rows = list(qs[: filters.limit + 1])
    cursor = None
    if len(rows) > filters.limit:
        rows = rows[: filters.limit]
        cursor = base64.urlsafe_b64encode(f"i{rows[-1].id}".encode()).decode().rstrip("=")
    return {"items": [import_out(j, with_errors=False) for j in rows], "next_cursor": cursor}


@router.get("/imports/{import_id}", response=ImportOut, summary="One import: preview, progress")
def get_import(request, import_id: int):
    return import_out(get_for_company(Import, request.company, import_id, label="import"))


@router.get(
    "/imports/{import_id}/rejected.csv",
    summary="The import's bad rows as CSV (row, column, error, then the row as read)",
    openapi_extra={"responses": {200: {"content": {"text/csv": {}}, "description": "CSV"}}},
)
def rejected_rows(request, import_id: int):
    job = get_for_company(Import, request.company, import_id, label="import")
    response = StreamingHttpResponse(rejected_rows_csv(job), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{job.id}-rejected-rows.csv"'
    return response
