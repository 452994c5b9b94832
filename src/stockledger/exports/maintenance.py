"""Keeping exports honest: stale-job reaping and retention cleanup.

Reaping. A running export writes a heartbeat every STOCKLEDGER_EXPORT_HEARTBEAT_SECONDS
(5 s). One silent for STOCKLEDGER_EXPORT_STALE_SECONDS (30 s) lost its worker (killed, out of
memory, machine gone): it is queued again as a new attempt, or failed with the reason once
STOCKLEDGER_EXPORT_MAX_ATTEMPTS (3) attempts have started. Reaping runs in every worker's
maintenance thread every STOCKLEDGER_EXPORT_MAINTENANCE_SECONDS (10 s), at the start of every
export task and when exports are listed, so a killed worker's export shows its outcome
within a minute as long as a worker or a user is around.

django-tasks-db never takes back a task row it marked RUNNING (its worker claims a row,
runs it and marks it SUCCESSFUL or FAILED; a killed worker leaves it RUNNING for good). So
the reaper does not reuse that row: it enqueues a new task for the new attempt and marks the
dead one FAILED with the reason, which keeps the task table truthful.

Cleanup. Complete exports older than STOCKLEDGER_EXPORT_RETENTION_DAYS (7; 0 keeps them
forever) lose their file and become expired. Files no export points at (an attempt killed
between publishing and recording) and scratch files of attempts no longer running are
removed too. Runs hourly in each worker, after exports complete (at most hourly per
process), and on demand with `stockledger cleanup-exports`.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from django.conf import settings
from django.db import close_old_connections, transaction
from django.db.models import Q
from django.utils import timezone

from stockledger.core.models import Company

from .models import Export, ExportStatus
from .storage import export_storage

log = logging.getLogger(__name__)

CLEANUP_EVERY_SECONDS = 3600
# A published file with no export pointing at it is removed once this old (the moment
# between publishing a file and recording it must not look like an orphan).
ORPHAN_GRACE_SECONDS = 3600


def _db_task_backend() -> bool:
    from django_tasks_db.backend import DatabaseBackend

    from .tasks import run_export

    return isinstance(run_export.get_backend(), DatabaseBackend)


def reap_stale_exports(*, company: Company | None = None, now: datetime | None = None) -> list[int]:
    """Queue again, or fail, the exports whose worker stopped; return their ids.

    Stale: running with a heartbeat older than the stale limit, or queued while its task was
    taken by a worker that never started it (killed in between) more than that long ago.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.STOCKLEDGER_EXPORT_STALE_SECONDS)
    exports = Export.objects.all() if company is None else Export.objects.filter(company=company)
    reaped = []
    for export in exports.filter(status=ExportStatus.RUNNING, heartbeat_at__lt=cutoff):
        heartbeat_at = cast(datetime, export.heartbeat_at)  # filtered on it above
        silent = int((now - heartbeat_at).total_seconds())
        if give_back_or_fail(
            export,
            reason=f"the worker running this export stopped (no heartbeat for {silent} s)",
            stale_before=cutoff,
        ):
            reaped.append(export.id)
    if _db_task_backend():
        reaped += _reap_lost_tasks(exports, cutoff)
    return reaped


def _reap_lost_tasks(exports, cutoff: datetime) -> list[int]:
    from django_tasks_db.models import DBTaskResult

    queued = list(exports.filter(status=ExportStatus.QUEUED, created_at__lt=cutoff))
    if not queued:
        return []
    tasks = {
        str(t.id): t
        for t in DBTaskResult.objects.filter(id__in=[e.task_id for e in queued if e.task_id])
    }
    reaped = []
    for export in queued:
        task = tasks.get(export.task_id)
        if task is not None and (
            task.status == "READY" or (task.started_at and task.started_at >= cutoff)
        ):
            continue  # waiting for a worker, or just picked up
        if give_back_or_fail(
            export, reason="the worker that picked up this export stopped before starting it"
        ):
            reaped.append(export.id)
    return reaped


def give_back_or_fail(export: Export, *, reason: str, stale_before: datetime | None = None) -> bool:
    """Queue `export` again as its next attempt, or fail it when its attempts are used up.

    Only if it is still in the state it was read in (same status and attempt; for a running
    one, still silent since `stale_before`): a concurrent reaper or a revived worker wins
    otherwise. Returns whether this call changed it.
    """
    max_attempts = settings.STOCKLEDGER_EXPORT_MAX_ATTEMPTS
    # A queued export whose task was lost had that attempt started on its behalf.
    started = export.attempts + (1 if export.status == ExportStatus.QUEUED else 0)
    match = Q(pk=export.pk, status=export.status, attempts=export.attempts)
    if stale_before is not None:
        match &= Q(heartbeat_at__lt=stale_before)
    now = timezone.now()
    with transaction.atomic():
        if started < max_attempts:
            changed = Export.objects.filter(match).update(
                status=ExportStatus.QUEUED,
                attempts=started,
                heartbeat_at=None,
                error=f"{reason}; running it again (attempt {started + 1} of {max_attempts})",
            )
            if changed:
                from .tasks import run_export

                result = run_export.enqueue(export.pk, started + 1)
                Export.objects.filter(pk=export.pk).update(task_id=str(result.id))
        else:
            changed = Export.objects.filter(match).update(
                status=ExportStatus.FAILED,
                attempts=started,
                finished_at=now,
                heartbeat_at=None,
                file_name="",
                error=f"{reason}; gave up after {started} attempt{'s' if started != 1 else ''}",
            )
        if changed:
            _mark_task_failed(export.task_id, reason, now)
    if not changed:
        return False
    log.warning("export %s: %s", export.pk, reason)
    if export.file_name:
        storage = export_storage()
        storage.discard_scratch(export.file_name)  # when the dead worker ran on this machine
        storage.delete(export.file_name)  # published just before the worker died
    return True


def _mark_task_failed(task_id: str, reason: str, now: datetime) -> None:
    if not task_id or not _db_task_backend():
        return
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.filter(id=task_id, status="RUNNING").update(
        status="FAILED",
        finished_at=now,
        exception_class_path="stockledger.exports.maintenance.WorkerLost",
        traceback=reason,
    )


@dataclass
class CleanupResult:
    expired: int = 0
    orphan_files: int = 0
    scratch_files: int = 0


def cleanup_exports(*, now: datetime | None = None, retention_days: int | None = None):
    """Expire complete exports past retention (file removed, status expired, record kept)
    and remove files no live export needs. Returns what was removed."""
    now = now or timezone.now()
    days = settings.STOCKLEDGER_EXPORT_RETENTION_DAYS if retention_days is None else retention_days
    storage = export_storage()
    result = CleanupResult()
    if days > 0:
        old = Export.objects.filter(
            status=ExportStatus.COMPLETE, finished_at__lt=now - timedelta(days=days)
        )
        for export in old.only("id", "file_name").iterator():
            # Record first: a download that races this sees expired, never a missing file.
            if Export.objects.filter(pk=export.pk, status=ExportStatus.COMPLETE).update(
                status=ExportStatus.EXPIRED, expired_at=now
            ):
                if export.file_name:
                    storage.delete(export.file_name)
                result.expired += 1
    live = set(
        Export.objects.filter(status__in=[ExportStatus.COMPLETE, ExportStatus.RUNNING])
        .exclude(file_name="")
        .values_list("file_name", flat=True)
    )
    for name, age in list(storage.files()):
        if name not in live and age > ORPHAN_GRACE_SECONDS:
            storage.delete(name)
            result.orphan_files += 1
    stale = settings.STOCKLEDGER_EXPORT_STALE_SECONDS
    for name, age in list(storage.scratch_files()):
        if name not in live and age > stale:
            storage.discard_scratch(name)
            result.scratch_files += 1
    if result.expired or result.orphan_files or result.scratch_files:
        log.info("export cleanup: %s", result)
    return result


_last_cleanup = {"at": float("-inf")}
_cleanup_lock = threading.Lock()


def cleanup_exports_now_and_then() -> None:
    """Run the cleanup if this process has not run it in the last hour (opportunistic)."""
    with _cleanup_lock:
        if time.monotonic() - _last_cleanup["at"] < CLEANUP_EVERY_SECONDS:
            return
        _last_cleanup["at"] = time.monotonic()
    try:
        cleanup_exports()
    except Exception:
        log.exception("export cleanup failed")


def maintenance_loop(stop: threading.Event) -> None:
    """A worker's housekeeping: reap now and every few seconds, clean up hourly, and create
    the log's monthly partitions ahead (hourly; PostgreSQL)."""
    from stockledger.ledger.partitions import log_partitions_now_and_then

    interval = settings.STOCKLEDGER_EXPORT_MAINTENANCE_SECONDS
    try:
        while True:
            try:
                close_old_connections()
                reap_stale_exports()
                cleanup_exports_now_and_then()
                log_partitions_now_and_then()
            except Exception:
                log.exception("export maintenance failed; trying again in %s s", interval)
            if stop.wait(interval):
                return
    finally:
        from django.db import connections

        connections.close_all()


def start_maintenance_thread() -> threading.Event:
    """Start the housekeeping thread beside a worker; set the returned event to stop it."""
    stop = threading.Event()
    threading.Thread(
        target=maintenance_loop, args=(stop,), name="export-maintenance", daemon=True
    ).start()
    return stop
