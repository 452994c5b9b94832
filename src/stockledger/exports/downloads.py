"""Serving an export's file: shared by the API and the session-authenticated pages.

Only the owning company's users get the file; any other export id is a 404 (NotFound), so
ids of other companies' exports are indistinguishable from ids that do not exist.
"""

from __future__ import annotations

from django.http import FileResponse

from stockledger.core.errors import Conflict
from stockledger.core.models import Company
from stockledger.core.tenancy import get_for_company

from .models import Export, ExportStatus
from .storage import ExportStorage, export_storage


def export_for_download(
    *, company: Company, export_id: object, format: str | None = None
) -> Export:
    """The company's export `export_id` if its file can be downloaded (in `format`, when
    given). Raises NotFound for an unknown or another company's export, Conflict when it is
    not complete (queued, running, failed, expired) or is in another format."""
    export = get_for_company(Export, company, export_id, label="export")
    if export.status != ExportStatus.COMPLETE:
        if export.status == ExportStatus.EXPIRED:
            raise Conflict(f"export {export.id} expired and its file was removed; run it again")
        raise Conflict(f"export {export.id} is {export.status}; its file is not ready")
    if format is not None and export.format != format:
        raise Conflict(
            f"export {export.id} is an {export.format.upper()} file; download it from "
            f"/exports/{export.id}/file"
        )
    return export


def export_file_response(export: Export, *, storage: ExportStorage | None = None) -> FileResponse:
    """Stream a complete export's file as an attachment named like
    inventory-log-SKU-20261126.csv."""
    storage = storage or export_storage()
    try:
        fh = storage.open(export.file_name)
    except (FileNotFoundError, ValueError):
        raise Conflict(f"the file of export {export.id} is missing; run it again") from None
    response = FileResponse(
        fh, as_attachment=True, filename=export.download_name, content_type=export.content_type
    )
    response["Cache-Control"] = "private, no-store"
    return response


def export_download(*, company: Company, export_id: object, format: str | None = None):
    """The download response for the company's export (see export_for_download)."""
    return export_file_response(
        export_for_download(company=company, export_id=export_id, format=format)
    )
