"""Log pages on PostgreSQL as server-side prepared statements: planned once per connection.

Django sends every query with its values written in (client-side binding), so PostgreSQL
plans each one afresh. For a log page that planning is most of the cost: the page orders by
`created_at`, the log is partitioned by `recorded_at`, so nothing prunes and the planner
weighs every index of every monthly partition on every request (docs/scale.md: ~1 ms at 10
partitions, 7-13 ms at 41, against 0.1-0.9 ms of execution). Inside `prepared(db)` the
queries Django runs on `db` go through `PreparedCursor` instead: server-side binding with
`prepare=True`, so psycopg prepares the statement on the connection the first time and
executes it by name after that (psycopg keeps up to `prepared_max` statements per connection,
keyed by SQL text and parameter types). Connections are kept (`conn_max_age`), so a worker's
statement outlives the request. PostgreSQL then plans the first 5 executions with the values
(custom plans) and from the 6th reuses one generic plan for the statement (see
`pg_prepared_statements.generic_plans`); the generic plan is cached until the log's
definition or statistics change (a new partition, an ANALYZE), which re-plans it once.

Everything else about the query stays Django's: the SQL is the one the ORM compiles, rows go
through the ORM's converters and model building, queries are logged and errors wrapped as
usual. SQLite: nothing changes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from django.db.backends.base.base import BaseDatabaseWrapper
from psycopg.types.numeric import Int8

NEVER_BY_COUNT = 2**31  # psycopg prepares a query after this many runs: only `prepare=True`


class PreparedCursor(psycopg.Cursor[Any]):
    """A server-side binding cursor whose every `execute` is prepared.

    Integers are sent as int8 (every id column and the limit are bigint-compatible): psycopg
    would otherwise type each value by its size (int2, int4, int8), and the same page with a
    small and a large id would be two statements, each planned on its own."""

    def execute(
        self, query: Any, params: Any = None, *, prepare: bool | None = None, binary: Any = None
    ) -> PreparedCursor:
        if params is not None:
            params = [Int8(p) if type(p) is int else p for p in params]
        super().execute(query, params, prepare=True, binary=binary)
        return self

    def _send_query_prepared(self, name: bytes, pgq: Any, *, binary: bool | None = None) -> None:
        # psycopg leaves `_query` unset when it executes a prepared statement; Django's query
        # log (`connection.queries`, CaptureQueriesContext) reads the SQL from it.
        self._query = pgq
        super()._send_query_prepared(name, pgq, binary=binary)


@contextmanager
def prepared(db: BaseDatabaseWrapper) -> Iterator[None]:
    """Run the queries made on `db` inside the block as prepared statements (PostgreSQL; on
    other engines this does nothing). Only for queries whose SQL text repeats (a page's
    shape): each distinct text becomes a statement on the connection."""
    if db.vendor != "postgresql":
        yield
        return
    db.ensure_connection()
    raw = db.connection
    factory, threshold = raw.cursor_factory, raw.prepare_threshold
    raw.cursor_factory = PreparedCursor
    # Django connects with `prepare_threshold=None`, which turns psycopg's statement cache
    # off, `prepare=True` included; a threshold no query reaches keeps it to what is asked.
    raw.prepare_threshold = NEVER_BY_COUNT
    try:
        yield
    finally:
        raw.cursor_factory, raw.prepare_threshold = factory, threshold
