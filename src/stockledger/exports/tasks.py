"""Background tasks of exports (django-tasks; the database backend runs them in
`stockledger worker` / the worker beside `stockledger serve`), and the one place that queues
an attempt of an export.

An attempt is queued when an export is asked for (services.export_create: attempt 1) and when
the reaper gives a lost attempt's export back (the next attempt). The task reaps before it
runs, so the task, the queueing and the reaper live together: no module imports another that
imports it back.

Reaping. A running export writes a heartbeat every STOCKLEDGER_EXPORT_HEARTBEAT_SECONDS
(5 s). One silent for STOCKLEDGER_EXPORT_STALE_SECONDS (30 s) lost its worker (killed, out of
memory, machine gone): it is queued again as a new attempt, or failed with the reason once
STOCKLEDGER_EXPORT_MAX_ATTEMPTS (3) attempts have started. Reaping runs in every worker's
maintenance thread every STOCKLEDGER_EXPORT_MAINTENANCE_SECONDS (10 s), at the start of an
export task when the process has not reaped for that long (a worker without the maintenance
thread), when exports are listed and when a stale-looking export is read, so a killed
worker's export shows its outcome within a minute as long as a worker or a user is around.

django-tasks-db never takes back a task row it marked RUNNING (its worker claims a row,
runs it and marks it SUCCESSFUL or FAILED; a killed worker leaves it RUNNING for good). So
the reaper does not reuse that row: it enqueues a new task for the new attempt and marks the
dead one FAILED with the reason, which keeps the task table truthful.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta
from typing import cast

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import task
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from stockledger.core.models import Company

from .cleanup import cleanup_exports_now_and_then
from .models import Export, ExportStatus
from .runner import export_run
from .storage import export_storage

log = logging.getLogger(__name__)


class WorkerLost(Exception):
    """The worker running an attempt stopped (killed, out of memory, machine gone): the name
    the reaper writes on the task row it fails."""


@task()
def run_export(export_id: int, attempt: int) -> str:
    """Run attempt `attempt` of export `export_id` (see runner.export_run): reap stale
    exports first, and clean up now and then after a complete one."""
    reap_now_and_then()
    outcome = export_run(export_id=export_id, attempt=attempt, on_stopped=_worker_stopped)
    if outcome == "complete":
        cleanup_exports_now_and_then()
    return outcome


def attempt_enqueue(export: Export, attempt: int) -> str:
    """Queue the task that runs attempt `attempt` of `export`, record its id on the export's
    row and return it (the `export` object is left as it was read).

    Call it inside the transaction that queued the export: the database task backend writes
    its task row on the same connection, so a rollback takes both away and a commit makes
    both visible to workers at once."""
    task_id = str(run_export.enqueue(export.pk, attempt).id)
    Export.objects.filter(pk=export.pk).update(task_id=task_id)
    return task_id


def _worker_stopped(export: Export) -> None:
    give_back_or_fail(export, reason="the worker was stopped during the export")


def _db_task_backend() -> bool:
    return isinstance(run_export.get_backend(), DatabaseBackend)


_last_reap = {"at": float("-inf")}
_reap_lock = threading.Lock()


def reap_now_and_then() -> None:
    """Reap unless this process did within STOCKLEDGER_EXPORT_MAINTENANCE_SECONDS: a worker's
    maintenance thread reaps that often already, and two queries before every export were a
    tenth of a small export's pick-up (issue 15)."""
    with _reap_lock:
        if time.monotonic() - _last_reap["at"] < settings.STOCKLEDGER_EXPORT_MAINTENANCE_SECONDS:
            return
        _last_reap["at"] = time.monotonic()
    reap_stale_exports()


def looks_stale(export: Export, *, now: datetime | None = None) -> bool:
    """Whether `export` is one reap_stale_exports would look at: running with a heartbeat
    older than the stale limit, or queued for longer than it. Read from the row alone."""
    cutoff = (now or timezone.now()) - timedelta(seconds=settings.STOCKLEDGER_EXPORT_STALE_SECONDS)
    if export.status == ExportStatus.RUNNING:
        return export.heartbeat_at is not None and export.heartbeat_at < cutoff
    return export.status == ExportStatus.QUEUED and export.created_at < cutoff


def reap_stale_exports(*, company: Company | None = None, now: datetime | None = None) -> list[int]:
    """Queue again, or fail, the exports whose worker stopped; return their ids.

    Stale: running with a heartbeat older than the stale limit, or queued while its task was
    taken by a worker that never started it (killed in between) more than that long ago.
    """
    now = now or timezone.now()
    if company is None:  # every company's: the task-start reap can wait (reap_now_and_then)
        with _reap_lock:
            _last_reap["at"] = time.monotonic()
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
                attempt_enqueue(export, started + 1)
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
    DBTaskResult.objects.filter(id=task_id, status="RUNNING").update(
        status="FAILED",
        finished_at=now,
        exception_class_path=f"{WorkerLost.__module__}.{WorkerLost.__qualname__}",
        traceback=reason,
    )
