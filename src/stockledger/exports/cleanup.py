"""Retention cleanup of exports. Complete exports older than STOCKLEDGER_EXPORT_RETENTION_DAYS
(7; 0 keeps them forever) lose their file and become expired. Files no export points at (an attempt killed
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

from django.conf import settings
from django.utils import timezone

from .models import Export, ExportStatus
from .storage import export_storage

log = logging.getLogger(__name__)

CLEANUP_EVERY_SECONDS = 3600
# A published file with no export pointing at it is removed once this old (the moment
# between publishing a file and recording it must not look like an orphan).
ORPHAN_GRACE_SECONDS = 3600


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
