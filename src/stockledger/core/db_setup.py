"""Connection hooks.

SQLite: registers `stockledger_log_purge_allowed()`, which the append-only triggers on the
log consult. It answers 0 except inside `allow_log_purge()` (used only by the test suite's
database flush), so an UPDATE or DELETE of a log row through the application is refused, and
through any other SQLite client it fails too (the function does not exist there).
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created

_purge = threading.local()


def _purge_allowed() -> int:
    return 1 if getattr(_purge, "on", False) else 0


def _on_connect(sender: object, connection: BaseDatabaseWrapper, **kwargs: object) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            "stockledger_log_purge_allowed", 0, _purge_allowed, deterministic=False
        )


connection_created.connect(_on_connect)


@contextmanager
def allow_log_purge() -> Iterator[None]:
    """For the test suite's flush between transactional tests only."""
    _purge.on = True
    try:
        yield
    finally:
        _purge.on = False
