"""Waking the job worker when work is enqueued, instead of leaving it to its next poll.

- PostgreSQL: every task enqueued through the database backend sends `NOTIFY` on the
  connection that inserted it, inside the enqueuing transaction (the server delivers it at
  commit, never for a rolled-back job). Each worker LISTENs on its own connection and waits
  on it between polls, so any number of workers on any machine hear it.
- SQLite: `stockledger serve` starts the worker with the read end of a pipe
  (`STOCKLEDGER_WAKE_FD`) and keeps the write end; the web process writes a byte once the
  enqueuing transaction has committed. A worker started on its own has no pipe.
- Either way the worker still polls at its interval: a lost wake-up (a listener connection
  that dropped, a full pipe) delays a job by at most one interval.
"""

from __future__ import annotations

import logging
import os
import select
import time
from typing import Any

from django.db import connections, router, transaction

logger = logging.getLogger("stockledger.worker")

CHANNEL = "stockledger_tasks"
WAKE_FD_ENV = "STOCKLEDGER_WAKE_FD"

_writer_fd: int | None = None


def set_wake_writer(fd: int | None) -> None:
    """This process wakes the worker it started by writing to `fd` (None: stop)."""
    global _writer_fd
    if fd is not None:
        os.set_blocking(fd, False)
    _writer_fd = fd


def wake_pipe() -> tuple[int, int]:
    """A pipe for a worker this process starts: (read end for the worker, write end kept)."""
    read_fd, write_fd = os.pipe()
    set_wake_writer(write_fd)
    return read_fd, write_fd


def _poke() -> None:
    fd = _writer_fd
    if fd is None:
        return
    try:
        os.write(fd, b"\0")
    except OSError:  # full (a wake-up is already pending) or the worker is gone
        pass


def on_task_enqueued(sender: type, task_result: object, **kwargs: Any) -> None:
    """django-tasks' `task_enqueued` signal: tell the workers (see the module's docstring)."""
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    if not issubclass(sender, DatabaseBackend):
        return
    alias = router.db_for_write(DBTaskResult)
    connection = connections[alias]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"NOTIFY {CHANNEL}")
    elif _writer_fd is not None:
        transaction.on_commit(_poke, using=alias)


class Waiter:
    """What the worker does between polls: wait up to `timeout` seconds, less when woken."""

    def __init__(self, alias: str = "default"):
        self.alias = alias
        self._listener: Any = None
        self._fd: int | None = None
        self.kind = "poll"
        vendor = connections[alias].vendor
        if vendor == "postgresql":
            self.kind = "listen"
        elif os.environ.get(WAKE_FD_ENV, "").isdigit():
            self._fd = int(os.environ[WAKE_FD_ENV])
            os.set_blocking(self._fd, False)
            self.kind = "pipe"

    def describe(self) -> str:
        return {
            "listen": f"LISTEN {CHANNEL}",
            "pipe": "a wake-up pipe from the web process",
            "poll": "polling only",
        }[self.kind]

    def _listen(self) -> Any:
        if self._listener is None:
            wrapper = connections.create_connection(self.alias)
            wrapper.ensure_connection()
            wrapper.set_autocommit(True)
            wrapper.connection.execute(f"LISTEN {CHANNEL}")
            self._listener = wrapper
        return self._listener.connection

    def wait(self, timeout: float) -> bool:
        """Wait until woken or `timeout` passes; True when woken."""
        if self.kind == "listen":
            return self._wait_notify(timeout)
        if self.kind == "pipe":
            return self._wait_pipe(timeout)
        time.sleep(timeout)
        return False

    def _wait_notify(self, timeout: float) -> bool:
        try:
            raw = self._listen()
            woken = False
            for _ in raw.notifies(timeout=timeout, stop_after=1):
                woken = True
            if woken:  # drain what else arrived meanwhile: one poll serves them all
                for _ in raw.notifies(timeout=0):
                    pass
            return woken
        except Exception:  # noqa: BLE001 - the server went away: poll, reconnect next time
            logger.warning("worker: LISTEN connection lost; polling until it is back")
            self.close()
            time.sleep(timeout)
            return False

    def _wait_pipe(self, timeout: float) -> bool:
        fd = self._fd
        if fd is None:
            time.sleep(timeout)
            return False
        readable, _, _ = select.select([fd], [], [], timeout)
        if not readable:
            return False
        try:
            data = os.read(fd, 4096)
        except BlockingIOError:
            return False
        if not data:  # the web process is gone: poll from now on
            os.close(fd)
            self._fd, self.kind = None, "poll"
            return False
        return True

    def close(self) -> None:
        if self._listener is not None:
            try:
                self._listener.close()
            except Exception:  # noqa: BLE001
                pass
            self._listener = None
