"""Running one attempt of an export: claim it, stream its rows to a scratch file while a
heartbeat thread reports progress, publish the file, mark it complete.

Ownership: an attempt owns the export while the row says (status running, attempts = its
number). Every write of the attempt is conditional on that, so when the reaper has given
the export to a new attempt (the heartbeat went silent) a late old attempt changes nothing
and throws its file away.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

from django.conf import settings
from django.db import DatabaseError, connections, transaction
from django.utils import timezone

from stockledger.catalog.models import Product
from stockledger.core.db_routing import (
    PRIMARY,
    REPLICA,
    pinned_reads,
    replica_alias_for_lsn,
)
from stockledger.core.db_routing import (
    state as replica_state,
)
from stockledger.core.errors import DomainError
from stockledger.ledger.csv_writer import write_log_csv

from .models import Export, ExportFormat, ExportKind, ExportStatus
from .parameters import ExportParameters
from .sources import LogStreams
from .storage import ExportStorage, export_storage
from .xlsx_writer import write_log_xlsx

log = logging.getLogger(__name__)

PROGRESS_EVERY = 1000  # rows between progress callbacks (cheap: no database write)
ERROR_MAX = 2000


class AttemptSuperseded(Exception):
    """This attempt no longer owns its export (the reaper gave it to a new attempt)."""


class Heartbeat(threading.Thread):
    """Writes heartbeat_at and the rows written so far every few seconds, on its own database
    connection (the export's reads run in a long read transaction that must not hold it).

    If the export is no longer this attempt's, it stops and `lost` is set."""

    def __init__(self, export_id: int, attempt: int, interval: float) -> None:
        super().__init__(name=f"export-{export_id}-heartbeat", daemon=True)
        self.export_id = export_id
        self.attempt = attempt
        self.interval = interval
        self.rows = 0
        self.lost = threading.Event()
        self._stopping = threading.Event()

    def run(self) -> None:
        try:
            while not self._stopping.wait(self.interval):
                self.beat()
        finally:
            connections.close_all()  # this thread's connections only

    def beat(self) -> None:
        try:
            owned = Export.objects.filter(
                pk=self.export_id, status=ExportStatus.RUNNING, attempts=self.attempt
            ).update(heartbeat_at=timezone.now(), rows=self.rows)
        except DatabaseError as exc:  # a busy database: try again on the next beat
            log.warning("export %s: heartbeat not written: %s", self.export_id, exc)
            return
        if not owned:
            self.lost.set()
            self._stopping.set()

    def stop(self) -> None:
        self._stopping.set()
        if self.is_alive():
            self.join(timeout=30)


@contextmanager
def read_snapshot(alias: str = PRIMARY) -> Iterator[None]:
    """One read transaction for all the export's cursors: they see the same log, and on
    PostgreSQL the server-side cursors need no WITH HOLD copy of the result. On SQLite the
    transaction is DEFERRED, a reader that takes no write lock. `alias`: the database read
    (the primary, or a replica that has replayed past the export's request)."""
    connection = connections[alias]
    if connection.in_atomic_block:  # a caller's transaction (tests): read inside it
        yield
        return
    if connection.vendor == "postgresql":
        with transaction.atomic(using=alias):
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield
    elif connection.vendor == "sqlite":
        connection.ensure_connection()
        sqlite = cast(Any, connection)  # SQLite's wrapper has the transaction mode
        mode = sqlite.transaction_mode
        sqlite.transaction_mode = "DEFERRED"
        try:
            with transaction.atomic(using=alias):
                yield
        finally:
            sqlite.transaction_mode = mode
    else:
        with transaction.atomic(using=alias):
            yield


def write_export_file(
    export: Export,
    path: Path,
    *,
    workdir: Path | None = None,
    on_progress=None,
    progress_every: int = PROGRESS_EVERY,
    alias: str = PRIMARY,
) -> int:
    """Write `export`'s rows to `path` in its format; return the number of rows. `alias`:
    the database every read goes to."""
    params = ExportParameters.from_json(export.parameters)
    company = export.company
    with pinned_reads(alias), read_snapshot(alias), LogStreams() as streams:
        if export.kind == ExportKind.PRODUCT:
            rows = streams.products(
                company=company,
                product_ids=[cast(int, params.product_id)],  # a product export has one
                filters=params.filters,
            )
        elif export.kind == ExportKind.KIT_WITH_COMPONENTS:
            rows = streams.kit_with_components(
                company=company, kit=cast(Product, export.product), filters=params.filters
            )
        else:
            rows = streams.many_products(
                company=company, skus=params.skus, search=params.search, filters=params.filters
            )
        if export.format == ExportFormat.XLSX:
            return write_log_xlsx(
                path,
                rows,
                tz=params.tz,
                on_progress=on_progress,
                progress_every=progress_every,
                tmpdir=workdir,
            )
        with open(path, "w", encoding="utf-8", newline="", buffering=1 << 20) as out:
            return write_log_csv(
                out,
                rows,
                tz=params.tz,
                timestamp_format=params.timestamp_format,
                bom=True,
                on_progress=on_progress,
                progress_every=progress_every,
            )


def export_run(
    *, export_id: int, attempt: int, on_stopped: Callable[[Export], None] | None = None
) -> str:
    """Run attempt number `attempt` of an export (the body of the `run_export` task).

    Claims the export if it is queued for this attempt (otherwise does nothing: a duplicate
    or superseded task), writes the file to scratch space, publishes it atomically and marks
    the export complete with its row count and size. On an error the export is failed with
    the message and the error is raised again (the task row shows it too); if the worker is
    stopped mid-way `on_stopped` gets the export while this attempt still owns it (the task
    queues it again, or fails it once its attempts are used up).
    No downloadable file exists until the export is complete. Returns "complete", "skipped"
    (not queued for this attempt) or "superseded" (the reaper gave the export to a new
    attempt while this one ran; its file is discarded).
    """
    export = _claim(export_id, attempt)
    if export is None:
        return "skipped"
    name = export.file_name
    storage = export_storage()
    heartbeat = Heartbeat(export_id, attempt, settings.STOCKLEDGER_EXPORT_HEARTBEAT_SECONDS)
    throttle = settings.STOCKLEDGER_EXPORT_THROTTLE_SECONDS

    def progress(count: int) -> None:
        heartbeat.rows = count
        if heartbeat.lost.is_set():
            raise AttemptSuperseded
        if throttle:
            time.sleep(throttle)

    heartbeat.start()
    try:
        rows = _write_scratch(export, storage, name, progress)
        heartbeat.stop()
        if heartbeat.lost.is_set():
            raise AttemptSuperseded
        size = storage.publish(name)
    except AttemptSuperseded:
        storage.discard_scratch(name)
        log.warning("export %s: attempt %s was superseded; file discarded", export_id, attempt)
        return "superseded"
    except Exception as exc:
        heartbeat.stop()
        storage.discard_scratch(name)
        if not _fail(export_id, attempt, name, storage, exc):
            # Not ours any more: the reaper took the export (and maybe our scratch file).
            log.warning("export %s: attempt %s was superseded (%s)", export_id, attempt, exc)
            return "superseded"
        raise
    except BaseException:
        # The worker is being stopped (second Ctrl+C / SIGTERM): hand the export back.
        heartbeat.stop()
        storage.discard_scratch(name)
        current = Export.objects.get(pk=export_id)
        if (
            on_stopped is not None
            and current.status == ExportStatus.RUNNING
            and current.attempts == attempt
        ):
            on_stopped(current)
        raise
    finally:
        heartbeat.stop()
        storage.discard_scratch(name)

    return _complete(export_id, attempt, name, storage, rows=rows, size=size)


def _claim(export_id: int, attempt: int) -> Export | None:
    """Take the export for this attempt if it is queued for it: running, with a new scratch
    file name (`file_name` of the export returned, read with its company and product). None
    (nothing changed) for a duplicate or superseded task."""
    export = Export.objects.select_related("company", "product").filter(pk=export_id).first()
    if export is None:
        log.warning("export %s: no such export; task ignored", export_id)
        return None
    now = timezone.now()
    name = f"export-{export_id}-{attempt}-{secrets.token_hex(8)}.{export.format}"
    claimed = Export.objects.filter(
        pk=export_id, status=ExportStatus.QUEUED, attempts=attempt - 1
    ).update(
        status=ExportStatus.RUNNING,
        attempts=attempt,
        started_at=now,
        heartbeat_at=now,
        rows=0,
        file_name=name,
    )
    if not claimed:
        log.info("export %s: attempt %s is not queued; task ignored", export_id, attempt)
        return None
    export.status, export.attempts, export.rows, export.file_name = (
        ExportStatus.RUNNING,
        attempt,
        0,
        name,
    )
    export.started_at = export.heartbeat_at = now
    return export


def _write_scratch(export: Export, storage: ExportStorage, name: str, progress) -> int:
    """Write the file to scratch space; return its rows. A replica serves the export once it
    has replayed past the moment it was asked for; if it fails, it is marked down and the
    primary writes the file again from the start."""
    alias = replica_alias_for_lsn(export.source_lsn)
    # Only the XLSX writer needs a folder of its own (its sheet parts); a CSV does without
    # the folder's creation and removal (issue 15: an export's fixed steps).
    xlsx = export.format == ExportFormat.XLSX
    try:
        return write_export_file(
            export,
            storage.scratch_path(name),
            workdir=storage.scratch_workdir(name) if xlsx else None,
            on_progress=progress,
            alias=alias,
        )
    except DatabaseError as exc:
        if alias != REPLICA:
            raise
        connections[REPLICA].close()
        replica_state.mark_down(f"export {export.pk} failed on it ({exc})")
        storage.discard_scratch(name)
        return write_export_file(
            export,
            storage.scratch_path(name),
            workdir=storage.scratch_workdir(name) if xlsx else None,
            on_progress=progress,
        )


def _complete(
    export_id: int, attempt: int, name: str, storage: ExportStorage, *, rows: int, size: int
) -> str:
    """Mark the export complete if this attempt still owns it ("complete"); otherwise delete
    the published file ("superseded")."""
    finished = timezone.now()
    completed = Export.objects.filter(
        pk=export_id, status=ExportStatus.RUNNING, attempts=attempt
    ).update(
        status=ExportStatus.COMPLETE,
        rows=rows,
        file_size=size,
        finished_at=finished,
        heartbeat_at=finished,
        error="",
    )
    if not completed:
        storage.delete(name)
        log.warning("export %s: attempt %s was superseded; file discarded", export_id, attempt)
        return "superseded"
    log.info("export %s complete: %s rows, %s bytes", export_id, rows, size)
    return "complete"


def _fail(export_id: int, attempt: int, name: str, storage: ExportStorage, exc: Exception) -> bool:
    """Mark the attempt's export failed with the error; False if the attempt no longer owns
    the export (nothing changed then)."""
    message = exc.message if isinstance(exc, DomainError) else f"{type(exc).__name__}: {exc}"
    finished = timezone.now()
    failed = Export.objects.filter(
        pk=export_id, status=ExportStatus.RUNNING, attempts=attempt
    ).update(
        status=ExportStatus.FAILED,
        finished_at=finished,
        heartbeat_at=finished,
        error=message[:ERROR_MAX],
        file_name="",
    )
    if failed:
        log.exception("export %s attempt %s failed", export_id, attempt)
        storage.delete(name)
    return bool(failed)
