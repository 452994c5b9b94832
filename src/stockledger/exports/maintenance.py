"""A worker's export housekeeping: a thread beside the task loop that reaps stale exports
(tasks.reap_stale_exports) every STOCKLEDGER_EXPORT_MAINTENANCE_SECONDS (10 s) and cleans up
old files hourly (cleanup.cleanup_exports); hourly too, the log's partitions ahead and the
expired sign-in sessions."""

from __future__ import annotations

import logging
import threading

from django.conf import settings
from django.db import close_old_connections, connections

from .cleanup import cleanup_exports_now_and_then
from .tasks import reap_stale_exports

log = logging.getLogger(__name__)


def maintenance_loop(stop: threading.Event) -> None:
    """A worker's housekeeping: reap now and every few seconds, clean up hourly, create the
    log's monthly partitions ahead (hourly; PostgreSQL) and delete expired sessions (hourly)."""
    from stockledger.core.sessions import clear_expired_sessions_now_and_then
    from stockledger.ledger.partitions import log_partitions_now_and_then

    interval = settings.STOCKLEDGER_EXPORT_MAINTENANCE_SECONDS
    try:
        while True:
            try:
                close_old_connections()
                reap_stale_exports()
                cleanup_exports_now_and_then()
                log_partitions_now_and_then()
                clear_expired_sessions_now_and_then()
            except Exception:
                log.exception("export maintenance failed; trying again in %s s", interval)
            if stop.wait(interval):
                return
    finally:
        connections.close_all()


def start_maintenance_thread() -> threading.Event:
    """Start the housekeeping thread beside a worker; set the returned event to stop it."""
    stop = threading.Event()
    threading.Thread(
        target=maintenance_loop, args=(stop,), name="export-maintenance", daemon=True
    ).start()
    return stop
