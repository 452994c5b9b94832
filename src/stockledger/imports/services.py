"""Writes of imports: upload (and check), confirm, and the background runs.

Nothing of the company's data changes until an import is confirmed: uploading stores the file
and checks it (staging its rows for the preview); confirming queues the apply, which runs in
a worker as one transaction through the ledger, catalog and purchasing services.
"""

from __future__ import annotations

import logging
from pathlib import PurePath

from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from stockledger.core.errors import Conflict, DomainError, InvalidInput
from stockledger.core.models import Company, User
from stockledger.core.permissions import permission_require
from stockledger.core.tenancy import get_for_company
from stockledger.ledger.services import write_transaction

from .apply import RowRefused, import_apply
from .checks import CHUNK, map_header
from .kinds import CHECKS
from .models import (
    Import,
    ImportFormat,
    ImportKind,
    ImportRow,
    ImportRowError,
    ImportStatus,
)
from .reading import open_sheet
from .storage import clear_progress, file_path, save_upload, write_progress
from .table_stats import LOOKED_UP, refresh_if_large

log = logging.getLogger(__name__)

EXTENSIONS = {".csv": ImportFormat.CSV, ".txt": ImportFormat.CSV, ".xlsx": ImportFormat.XLSX}
ERROR_MAX = 2000


def import_upload(
    *, company: Company, user: User | None, kind: str, upload, check_now: bool | None = None
) -> Import:
    """Store an uploaded CSV or XLSX file and check it (the preview).

    Small files (under STOCKLEDGER_IMPORT_INLINE_BYTES) are checked before this returns,
    larger ones by a worker (`check_now` forces either). Refuses (InvalidInput, field `kind`
    or `file`) an unknown kind, a file that is not .csv / .xlsx, empty or above the size cap.
    Changes nothing but the import's own records.
    """
    if kind not in ImportKind.values:
        raise InvalidInput(f"kind must be one of {', '.join(ImportKind.values)}", field="kind")
    _permission_for(user, kind)
    original = PurePath(getattr(upload, "name", "") or "upload").name[:255]
    fmt = EXTENSIONS.get(PurePath(original).suffix.lower())
    if fmt is None:
        raise InvalidInput("the file must be a .csv or .xlsx spreadsheet", field="file")
    name, sha256, size = save_upload(upload, extension=fmt)
    if check_now is None:
        check_now = size <= settings.STOCKLEDGER_IMPORT_INLINE_BYTES
    job = _import_create_in_transaction(
        company=company,
        user=user,
        kind=kind,
        fmt=fmt,
        original=original,
        name=name,
        sha256=sha256,
        size=size,
        enqueue=not check_now,
    )
    if check_now:
        import_check(job)
    return job


@write_transaction
def _import_create_in_transaction(
    *, company, user, kind, fmt, original, name, sha256, size, enqueue
) -> Import:
    from .tasks import check_import

    job = Import.objects.create(
        company=company,
        user=user,
        kind=kind,
        format=fmt,
        original_name=original,
        file_name=name,
        sha256=sha256,
        size=size,
        status=ImportStatus.VALIDATING,
        repeat_of=earlier_import(company=company, sha256=sha256, kind=kind),
    )
    if enqueue:
        # Same transaction as the import (database task backend): both or neither.
        result = check_import.enqueue(job.id)
        job.task_id = str(result.id)
        job.save(update_fields=["task_id"])
    return job


def earlier_import(*, company: Company, sha256: str, kind: str, exclude: int | None = None):
    """The latest applied import of the same file (same SHA-256 and kind), if any."""
    qs = Import.objects.filter(
        company=company, sha256=sha256, kind=kind, status=ImportStatus.COMPLETE
    )
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    return qs.order_by("-id").first()


def drop_staged(import_id: int) -> None:
    """An import that ended (complete, failed, invalid) never reads its staged rows again:
    delete them, or a busy company's staging table grows by every file it ever imported.
    Its bad rows (`ImportRowError`) stay: they are the rejected-rows file."""
    ImportRow.objects.filter(job_id=import_id).delete()


def import_check(job: Import) -> Import:
    """Check every row of the import's file and stage the good ones (idempotent: a rerun
    starts over). Ends `ready` (no bad row) or `invalid` (bad rows listed, or the file
    itself refused, in `error`)."""
    ImportRow.objects.filter(job=job).delete()
    ImportRowError.objects.filter(job=job).delete()
    read = bad = 0
    error = ""
    try:
        with open_sheet(file_path(job.file_name), job.format) as sheet:
            Import.objects.filter(pk=job.pk).update(header=sheet.header[:200])
            checks = CHECKS[job.kind](job, map_header(job.kind, sheet.header))
            chunk: list = []
            for numbered in sheet.rows:
                chunk.append(numbered)
                if len(chunk) >= CHUNK:
                    bad += checks.check_chunk(chunk)
                    read += len(chunk)
                    chunk = []
                    Import.objects.filter(pk=job.pk).update(rows_read=read)
            if chunk:
                bad += checks.check_chunk(chunk)
                read += len(chunk)
            if read == 0:
                raise InvalidInput("the file has no rows below its header", field="file")
            checks.finish()
            refresh_if_large(read, ImportRow)
    except DomainError as exc:
        error = exc.message
    actions = {
        action: n
        for action, n in ImportRow.objects.filter(job=job)
        .values_list("action")
        .annotate(n=Count("id"))
        .order_by()
    }
    bad_rows = ImportRowError.objects.filter(job=job).values("row_number").distinct().count()
    status = ImportStatus.INVALID if (error or bad_rows) else ImportStatus.READY
    Import.objects.filter(pk=job.pk).update(
        status=status,
        rows_read=read,
        rows_bad=bad_rows,
        actions=actions,
        error=error[:ERROR_MAX],
        checked_at=timezone.now(),
    )
    if status == ImportStatus.INVALID:
        drop_staged(job.pk)
    job.refresh_from_db()
    return job


def _permission_for(user: User | None, kind: str) -> None:
    """Counts are a clerk's work; products and purchase orders are setup (manager and up)."""
    if user is not None:
        permission_require(user, "imports.counts")
        if kind != ImportKind.COUNTS:
            permission_require(user, "imports.setup")


def import_confirm(
    *, company: Company, user: User | None, import_id: int, again: bool = False
) -> Import:
    """Apply a checked import in the background (`tasks.apply_import`).

    Refuses (Conflict) an import that is not ready (still being checked, has bad rows, or
    was confirmed already) and, unless `again`, a file applied before (same SHA-256 and
    kind): the message names the earlier import.
    """
    job = get_for_company(Import, company, import_id, label="import")
    _permission_for(user, job.kind)
    if job.status != ImportStatus.READY:
        reasons: dict[str, str] = {
            ImportStatus.VALIDATING: "it is still being checked",
            ImportStatus.INVALID: "it has bad rows: fix them and upload the file again",
        }
        raise Conflict(
            f"import {job.id} cannot be applied: "
            + reasons.get(job.status, f"it is {job.get_status_display().lower()}"),
            field="status",
        )
    earlier = earlier_import(company=company, sha256=job.sha256, kind=job.kind, exclude=job.id)
    if earlier is not None and not again:
        when = earlier.finished_at or earlier.created_at
        raise Conflict(
            f"this file was imported already (import {earlier.id}, {when:%Y-%m-%d %H:%M} UTC); "
            "confirm to apply it again",
            field="again",
        )
    return _import_enqueue_in_transaction(job=job, earlier=earlier)


@write_transaction
def _import_enqueue_in_transaction(*, job: Import, earlier: Import | None) -> Import:
    from .tasks import apply_import

    claimed = Import.objects.filter(pk=job.pk, status=ImportStatus.READY).update(
        status=ImportStatus.QUEUED, repeat_of=earlier
    )
    if not claimed:
        raise Conflict(f"import {job.id} was confirmed already", field="status")
    result = apply_import.enqueue(job.id)
    Import.objects.filter(pk=job.pk).update(task_id=str(result.id))
    job.refresh_from_db()
    return job


def import_run(*, import_id: int) -> str:
    """The body of the `apply_import` task: claim a queued import, apply it, record the
    outcome. A refused row fails the whole import (nothing written) and is listed among its
    rejected rows. Returns "complete", "failed" or "skipped" (not queued)."""
    now = timezone.now()
    claimed = Import.objects.filter(pk=import_id, status=ImportStatus.QUEUED).update(
        status=ImportStatus.RUNNING, started_at=now, rows_applied=0
    )
    if not claimed:
        return "skipped"
    job = Import.objects.select_related("company", "user").get(pk=import_id)
    write_progress(job.id, 0)
    refresh_if_large(job.rows_read, *LOOKED_UP.get(job.kind, ()))
    try:
        applied = import_apply(
            job=job, user=job.user, progress=lambda n: write_progress(import_id, n)
        )
    except Exception as exc:
        message = exc.message if isinstance(exc, DomainError) else f"{type(exc).__name__}: {exc}"
        if isinstance(exc, RowRefused):
            cells = list(
                ImportRow.objects.filter(job=job, row_number=exc.row_number).values_list(
                    "cells", flat=True
                )[:1]
            )
            ImportRowError.objects.create(
                job=job,
                row_number=exc.row_number,
                column=exc.column,
                message=exc.reason,
                cells=cells[0] if cells else [],
            )
        else:
            log.exception("import %s failed", import_id)
        Import.objects.filter(pk=import_id).update(
            status=ImportStatus.FAILED,
            error=("nothing was applied: " + message)[:ERROR_MAX],
            finished_at=timezone.now(),
            rows_applied=0,
        )
        clear_progress(import_id)
        drop_staged(import_id)
        return "failed"
    Import.objects.filter(pk=import_id).update(
        status=ImportStatus.COMPLETE, rows_applied=applied, finished_at=timezone.now()
    )
    clear_progress(import_id)
    drop_staged(import_id)
    log.info("import %s complete: %s rows", import_id, applied)
    return "complete"


def import_take_over(*, import_id: int, lost, checking: bool) -> str:
    """Its worker was lost while checking or applying this import (core/workers.py). Applying
    is one transaction, so a lost run applied nothing: run it again, or (attempts used up)
    end it failed with the reason (invalid, for a check). Runs inside the reaper's
    transaction; does nothing to an import no longer in the lost run's state."""
    from stockledger.core.workers import again_or_failed

    from .tasks import apply_import, check_import

    text = again_or_failed(lost)
    if checking:
        job = Import.objects.filter(pk=import_id, status=ImportStatus.VALIDATING)
        if lost.give_up:
            done = job.update(status=ImportStatus.INVALID, error=text[:ERROR_MAX])
            if done:
                drop_staged(import_id)
            return "failed" if done else "already checked"
        if not job.update(error=text[:ERROR_MAX]):
            return "already checked"
        result = check_import.enqueue(import_id)
    else:
        job = Import.objects.filter(
            pk=import_id, status__in=[ImportStatus.QUEUED, ImportStatus.RUNNING]
        )
        if lost.give_up:
            done = job.update(
                status=ImportStatus.FAILED,
                error=("nothing was applied: " + text)[:ERROR_MAX],
                finished_at=timezone.now(),
                rows_applied=0,
            )
            if done:
                drop_staged(import_id)
            return "failed" if done else "already finished"
        if not job.update(status=ImportStatus.QUEUED, error=text[:ERROR_MAX], rows_applied=0):
            return "already finished"
        result = apply_import.enqueue(import_id)
    Import.objects.filter(pk=import_id).update(task_id=str(result.id))
    return "queued again"


def check_run(*, import_id: int) -> str:
    """The body of the `check_import` task."""
    job = Import.objects.select_related("company").filter(pk=import_id).first()
    if job is None or job.status != ImportStatus.VALIDATING:
        return "skipped"
    import_check(job)
    return job.status
