"""The database side of the CSV writer: the same cells, formatted by the database.

`write_log_csv` hands rows that come straight from log querysets to these functions, which
make the database format every cell exactly as the writer's Python path does (timestamps in
the fixed-width form of the export's timestamp format, `true`/`false`, formula guard on text cells, numbers plain, blanks for
NULL) and stream the result:

- SQLite: one `format()` call per row builds the whole RFC 4180 line (text cells quoted when
  they hold a comma, quote, CR or LF, quotes doubled); Python only joins lines. Timestamps are
  stored as UTC text, so this path serves UTC exports; other zones use the Python path.
- PostgreSQL: `COPY (SELECT <formatted cells>) TO STDOUT (FORMAT csv)` with the session time
  zone set to the export's zone for the statement's transaction; the server quotes, Python
  turns each row's LF into CRLF. Zones PostgreSQL does not know use the Python path.

tests/ledger/test_csv_paths.py holds both paths to byte-identical output.
"""

from __future__ import annotations

import codecs
import functools
from collections.abc import Callable, Sequence
from datetime import UTC, tzinfo
from typing import IO, Any, cast

from django.conf import settings
from django.db import connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import QuerySet, TextField
from django.db.models.expressions import RawSQL

from .columns import BOOLEAN_COLUMNS, COLUMNS, FIELD_FOR_COLUMN, TEXT_COLUMNS, TIMESTAMP_COLUMNS

# Code points of the characters that make a spreadsheet read a cell as a formula
# ("=", "+", "-", "@", TAB, CR): csv_writer.FORMULA_LEADERS.
LEADER_CODES = "61, 43, 45, 64, 9, 13"
FETCH = 2000
MAX_SQLITE_ARMS = 400  # SQLite allows 500 SELECTs in one compound statement


def database_zone(tz: tzinfo, vendor: str, alias: str) -> str | None:
    """The name under which the database formats timestamps in `tz`, or None (Python path)."""
    if tz == UTC or getattr(tz, "key", None) in ("UTC", "Etc/UTC"):
        return "UTC"
    key = getattr(tz, "key", None)
    if vendor == "postgresql" and isinstance(key, str):
        return key if _pg_knows_zone(alias, key) else None
    return None


@functools.lru_cache(maxsize=64)
def _pg_knows_zone(alias: str, name: str) -> bool:
    with connections[alias].cursor() as cur:
        cur.execute("SELECT 1 FROM pg_timezone_names WHERE name = %s", [name])
        return cur.fetchone() is not None


def can_format(querysets: Sequence[QuerySet[Any]], tz: tzinfo) -> bool:
    """Whether the database can write these rows itself (same database, known zone)."""
    if not querysets or not settings.USE_TZ:
        return False
    alias = querysets[0].db
    if any(qs.db != alias for qs in querysets):
        return False
    vendor = connections[alias].vendor
    if vendor not in ("sqlite", "postgresql"):
        return False
    return database_zone(tz, vendor, alias) is not None


def _column(qn: Callable[[str], str], name: str) -> str:
    return f"{qn('ledger_logentry')}.{qn(FIELD_FOR_COLUMN[name])}"


def _sqlite_cell(qn: Callable[[str], str], name: str, timestamp_format: str = "iso") -> str:
    col = _column(qn, name)
    if name in TIMESTAMP_COLUMNS:
        # Stored as naive UTC 'YYYY-MM-DD HH:MM:SS[.ffffff]' (19 characters, without the
        # fraction, when it is zero): padded to fixed width. One CASE on the length and a
        # replace() cost what the old substr() form did (padding the fraction with substr()
        # cost half as much again).
        if timestamp_format == "spreadsheet":
            return (
                f"CASE WHEN length({col}) = 19 THEN {col} || '.000' ELSE substr({col}, 1, 23) END"
            )
        stamp = f"replace({col}, ' ', 'T')"
        return (
            f"CASE WHEN length({col}) = 19 THEN {stamp} || '.000000+00:00' "
            f"ELSE {stamp} || '+00:00' END"
        )
    if name in BOOLEAN_COLUMNS:
        return f"CASE {col} WHEN 1 THEN 'true' WHEN 0 THEN 'false' END"
    if name in TEXT_COLUMNS:
        guarded = f"CASE WHEN unicode({col}) IN ({LEADER_CODES}) THEN '''' || {col} ELSE {col} END"
        # The guard only prepends an apostrophe, so the original decides about quoting.
        return (
            f"CASE WHEN {col} GLOB '*[\",\r\n]*' THEN format('\"%%w\"', {guarded}) "
            f"ELSE {guarded} END"
        )
    return col


def _postgresql_cell(
    qn: Callable[[str], str], name: str, zone: str, timestamp_format: str = "iso"
) -> str:
    col = _column(qn, name)
    if name in TIMESTAMP_COLUMNS:
        # The session's time zone is the export's. to_char's MS truncates, as Python's
        # isoformat(timespec="milliseconds") does. In UTC the offset is a constant
        # (to_char's TZH:TZM costs a third more).
        if timestamp_format == "spreadsheet":
            return f"to_char({col}, 'YYYY-MM-DD HH24:MI:SS.MS')"
        if zone == "UTC":
            return f"to_char({col}, 'YYYY-MM-DD\"T\"HH24:MI:SS.US') || '+00:00'"
        return f"to_char({col}, 'YYYY-MM-DD\"T\"HH24:MI:SS.USTZH:TZM')"
    if name in BOOLEAN_COLUMNS:
        return f"CASE WHEN {col} THEN 'true' WHEN NOT {col} THEN 'false' END"
    if name in TEXT_COLUMNS:
        # NULL for '': COPY quotes an empty string ("") to tell it from NULL; the writer
        # leaves both blank. Every formula leader sorts before 'A' in byte order, so most
        # cells are settled by one cheap comparison.
        return (
            f"CASE WHEN {col} = '' THEN NULL "
            f"WHEN {col} COLLATE \"C\" >= 'A' THEN {col} "
            f"WHEN ascii({col}) IN ({LEADER_CODES}) THEN '''' || {col} "
            f"ELSE {col} END"
        )
    return col


def _literal(text: str) -> str:
    """A zone name as an SQL string literal (IANA names hold letters, digits, _ + - /)."""
    return "'" + text.replace("'", "''").replace("%", "%%") + "'"


def _select(qs: QuerySet[Any], expressions: dict[str, str]) -> tuple[str, tuple[Any, ...]]:
    """The queryset's SQL (filters, order) selecting `expressions` instead of its columns."""
    annotated = qs.annotate(
        **{name: RawSQL(sql, (), output_field=TextField()) for name, sql in expressions.items()}
    ).values_list(*expressions)
    sql, params = annotated.query.get_compiler(using=qs.db).as_sql()
    return sql, tuple(params)


def _combined(querysets: Sequence[QuerySet[Any]]) -> QuerySet[Any]:
    """One queryset for several (rows of any of them), ordered by created_at, then sequence.

    The database streams it from its (created_at, id) order, as it does its own dump."""
    combined = querysets[0]
    for qs in querysets[1:]:
        combined = combined | qs
    return combined.order_by("created_at", "id") if len(querysets) > 1 else combined


def write_rows(
    out: IO[str],
    querysets: Sequence[QuerySet[Any]],
    *,
    tz: tzinfo,
    on_progress: Callable[[int], None] | None,
    progress_every: int,
    timestamp_format: str = "iso",
) -> int:
    """Write the rows of `querysets` (header already written); return the row count."""
    qs = _combined(querysets)
    connection = connections[qs.db]
    qn = connection.ops.quote_name
    zone = database_zone(tz, connection.vendor, qs.db)
    assert zone is not None  # callers asked can_format() first
    spreadsheet = timestamp_format == "spreadsheet"
    if connection.vendor == "sqlite":
        cells = [_sqlite_cell(qn, name, timestamp_format) for name in COLUMNS]
        if spreadsheet:
            cells.append(_literal(zone))
        line = "format('" + ",".join(["%%s"] * len(cells)) + "', " + ", ".join(cells) + ")"
        if len(querysets) == 1 or len(querysets) > MAX_SQLITE_ARMS:
            sql, params = _select(qs, {"csv_line": line})
        else:
            # One arm per queryset, each read in its index order; SQLite merges them while
            # streaming (a MERGE of the compound SELECT, no sort).
            arms = [
                _select(
                    each.order_by(),
                    {
                        "merge_at": _column(qn, "created_at"),
                        "merge_id": _column(qn, "sequence"),
                        "csv_line": line,
                    },
                )
                for each in querysets
            ]
            sql = " UNION ALL ".join(arm for arm, _ in arms) + " ORDER BY 1, 2"
            params = tuple(p for _, arm_params in arms for p in arm_params)
        return _write_sqlite(out, connection, sql, params, on_progress, progress_every)
    columns = {
        f"c{i}": _postgresql_cell(qn, name, zone, timestamp_format)
        for i, name in enumerate(COLUMNS)
    }
    if spreadsheet:
        columns["zone"] = _literal(zone)
    sql, params = _select(qs, columns)
    return _copy_postgresql(out, connection, sql, params, zone, on_progress, progress_every)


def _write_sqlite(
    out: IO[str],
    connection: BaseDatabaseWrapper,
    sql: str,
    params: Sequence[Any],
    on_progress: Callable[[int], None] | None,
    progress_every: int,
) -> int:
    count = 0
    next_progress = progress_every
    write = out.write
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(FETCH):
            write("\r\n".join([row[-1] for row in rows]))
            write("\r\n")
            count += len(rows)
            if on_progress is not None and count >= next_progress:
                on_progress(count)
                next_progress += progress_every
    return count


# Set for the COPY's transaction: the export's time zone, no parallel workers (an export
# runs in the background; gathering 40 formatted columns from workers costs more than it saves),
# and no JIT: the query's estimated cost grows with the partitions it merges, and past
# `jit_optimize_above_cost` PostgreSQL compiles and optimizes the 40 cell expressions once
# per partition before the first row (measured at 41 monthly partitions: 50 s of JIT for a
# 1M-row export that then runs in 8.5 s; docs/scale.md). The rows, their order and the plan
# are the same either way.
_SESSION = {"max_parallel_workers_per_gather": "0", "jit": "off"}


def _copy_postgresql(
    out: IO[str],
    connection: BaseDatabaseWrapper,
    sql: str,
    params: Sequence[Any],
    zone: str,
    on_progress: Callable[[int], None] | None,
    progress_every: int,
) -> int:
    count = 0
    next_progress = progress_every
    byte_target, encoding = _byte_target(out)
    target: Callable[[Any], object]  # takes bytes, or the text decoded from them
    crlf = b"\r\n"
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        raw = cursor.cursor
        previous = {}
        for name, value in (_SESSION | {"TimeZone": zone}).items():
            raw.execute("SELECT current_setting(%s), set_config(%s, %s, true)", [name, name, value])
            previous[name] = raw.fetchone()[0]
        source = connection.connection.info.encoding
        if byte_target is None or codecs.lookup(source).name != encoding:
            decode = codecs.getincrementaldecoder(source)().decode
            target = cast(Callable[[Any], object], out.write)
        else:
            decode = None
            target = byte_target
        parts: list[bytes] = []
        # On an error the savepoint's rollback undoes the settings (the COPY may have left
        # the transaction aborted, so no statement could restore them).
        with raw.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv)", params or None) as copy:
            # COPY sends one row per message, ending in LF: RFC 4180 wants CRLF.
            for row in copy:
                parts.append(row[:-1])
                parts.append(crlf)
                count += 1
                if count % _COPY_BATCH == 0:
                    data = b"".join(parts)
                    target(decode(data) if decode else data)
                    parts.clear()
                if on_progress is not None and count >= next_progress:
                    on_progress(count)
                    next_progress += progress_every
        data = b"".join(parts)
        target(decode(data) if decode else data)
        for name, value in previous.items():
            raw.execute("SELECT set_config(%s, %s, true)", [name, value])
    return count


_COPY_BATCH = 1000


def _byte_target(out: IO[str]) -> tuple[Callable[[bytes], object] | None, str | None]:
    """Write bytes under a text file (after flushing it) when it has a byte buffer."""
    buffer = getattr(out, "buffer", None)
    encoding = getattr(out, "encoding", None)
    if buffer is None or not encoding:
        return None, None
    name = codecs.lookup(encoding).name
    if name not in ("utf-8",):
        return None, None
    out.flush()
    return buffer.write, name
