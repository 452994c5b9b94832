"""Monthly partitions of the Inventory Log on PostgreSQL.

On PostgreSQL `ledger_logentry` is partitioned by RANGE on `recorded_at` (the time the row was
written, `auto_now_add`), one partition a month (`ledger_logentry_y2026m12`, bounds at UTC
month starts) and a DEFAULT partition that catches anything outside them, so an insert never
fails for want of a partition. The primary key is `(id, recorded_at)` (PostgreSQL requires the
partition key in every unique key); `id` still comes from one identity sequence, so it stays
unique and keeps its meaning as the log's sequence. Indexes, foreign keys and the append-only
triggers are defined on the parent and PostgreSQL clones them onto every partition, including
the ones created later. Migration 0006 converts an existing table (and back).

The worker calls `log_partitions_now_and_then()` from its housekeeping loop: it creates this
month and `STOCKLEDGER_LOG_PARTITIONS_AHEAD` months ahead (idempotent, serialized by an
advisory lock, so any number of workers may run it). SQLite is unchanged: every function here
is a no-op there.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, date, datetime

from django.conf import settings
from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper

log = logging.getLogger(__name__)

TABLE = "ledger_logentry"
DEFAULT_PARTITION = f"{TABLE}_default"
# pg_advisory_xact_lock key: "SLPT" (two workers creating the same month wait for each other).
LOCK_KEY = 0x534C5054
CHECK_EVERY_SECONDS = 3600
_last = {"at": float("-inf")}
_last_lock = threading.Lock()


def month_start(moment: date | datetime) -> date:
    return date(moment.year, moment.month, 1)


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def partition_name(month: date) -> str:
    return f"{TABLE}_y{month.year:04d}m{month.month:02d}"


def _bound(month: date) -> str:
    # A literal, not a parameter: partition bounds are part of the DDL. The date is ours.
    return f"'{month.isoformat()} 00:00:00+00'"


def is_partitioned(cursor: CursorWrapper) -> bool:
    cursor.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", [TABLE])
    row = cursor.fetchone()
    return row is not None and row[0] == "p"


def partitions(cursor: CursorWrapper) -> list[str]:
    """The log's partitions (names), oldest month first, the default last."""
    cursor.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
        " WHERE i.inhparent = to_regclass(%s) ORDER BY c.relname",
        [TABLE],
    )
    names = [name for (name,) in cursor.fetchall()]
    return sorted(names, key=lambda name: name == DEFAULT_PARTITION)


def create_partitions(cursor: CursorWrapper, *, first: date, last: date) -> list[str]:
    """Create the monthly partitions from `first` to `last` (months, inclusive) that do not
    exist yet, and the default partition. Run inside a transaction; returns what it made.

    A month that already has rows in the default partition is left to the default (creating
    it would fail: PostgreSQL refuses a range the default holds rows of) and logged; that
    only happens when no worker ran for longer than the months created ahead."""
    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
    # Creating a partition locks the parent briefly; never queue writers behind a long read.
    cursor.execute("SET LOCAL lock_timeout = '5s'")
    existing = set(partitions(cursor))
    made = []
    if DEFAULT_PARTITION not in existing:
        cursor.execute(f"CREATE TABLE {DEFAULT_PARTITION} PARTITION OF {TABLE} DEFAULT")
        made.append(DEFAULT_PARTITION)
    month = first
    while month <= last:
        name = partition_name(month)
        following = add_months(month, 1)
        if name not in existing:
            cursor.execute(
                f"SELECT 1 FROM {DEFAULT_PARTITION} WHERE recorded_at >= {_bound(month)}"
                f" AND recorded_at < {_bound(following)} LIMIT 1"
            )
            if cursor.fetchone():
                log.warning(
                    "log partition %s not created: the default partition holds rows of that "
                    "month (they stay there, correct but unpartitioned)",
                    name,
                )
            else:
                cursor.execute(
                    f"CREATE TABLE {name} PARTITION OF {TABLE}"
                    f" FOR VALUES FROM ({_bound(month)}) TO ({_bound(following)})"
                )
                made.append(name)
        month = following
    return made


def ensure_log_partitions(*, now: datetime | None = None, ahead: int | None = None) -> list[str]:
    """This month and `ahead` months after it exist as partitions (and the default).
    No-op on SQLite or when the table is not partitioned. Returns the partitions made."""
    if connection.vendor != "postgresql":
        return []
    now = now or datetime.now(UTC)
    ahead = settings.STOCKLEDGER_LOG_PARTITIONS_AHEAD if ahead is None else ahead
    this_month = month_start(now.astimezone(UTC))
    with transaction.atomic(), connection.cursor() as cursor:
        if not is_partitioned(cursor):
            return []
        made = create_partitions(cursor, first=this_month, last=add_months(this_month, ahead))
    if made:
        log.info("log partitions created: %s", ", ".join(made))
    return made


def log_partitions_now_and_then() -> None:
    """The worker's scheduled call: at most once an hour per process (cheap when nothing is
    missing: one catalogue query under an advisory lock)."""
    with _last_lock:
        if time.monotonic() - _last["at"] < CHECK_EVERY_SECONDS:
            return
        _last["at"] = time.monotonic()
    try:
        ensure_log_partitions()
    except Exception:
        _last["at"] = float("-inf")  # try again on the next tick
        log.exception("creating the log's partitions ahead failed")
