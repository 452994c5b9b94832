"""Streaming CSV of log rows: the 20 seed columns, then the extensions.

Used by `stockledger export-log` and the export jobs. Rows come from a database cursor in
chunks and are written as they come, so memory does not grow with the log.

Two paths write the same bytes:
- rows from `iter_log_rows` / `merge_log_rows` that nobody has started reading are written by
  the database itself (see csv_sql.py): it formats every cell and Python only moves lines,
  which is what keeps a 1M-row export within reach of the database's own CSV dump;
- any other iterable of tuples in COLUMNS order (a hand-made merge, a list in a test) goes
  through `row_converter` and csv.writer.
"""

from __future__ import annotations

import csv
import heapq
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, tzinfo
from itertools import islice
from typing import IO, Any, cast

from django.db.models import QuerySet

from . import csv_sql
from .columns import (
    BOOLEAN_COLUMNS,
    COLUMNS,
    FIELDS,
    TEXT_COLUMNS,
    TIMESTAMP_COLUMNS,
    TIMESTAMP_FORMATS,
    columns_for,
)

FORMULA_LEADERS = ("=", "+", "-", "@", "\t", "\r")
CHUNK_SIZE = 5000
_BATCH = 1000


def guard_text(value: str) -> str:
    """Keep a spreadsheet from reading a text cell as a formula (OWASP CSV injection)."""
    if value and value.startswith(FORMULA_LEADERS):
        return "'" + value
    return value


def row_converter(
    tz: tzinfo = UTC, columns: tuple[str, ...] = COLUMNS, timestamp_format: str = "iso"
) -> Callable[[tuple[Any, ...]], list[Any]]:
    """A function turning a values_list tuple (in `columns` order) into CSV cells.

    Timestamps become ISO 8601 with the offset of `tz` and always six fractional digits (or,
    with `timestamp_format="spreadsheet"`, local time in `tz` as YYYY-MM-DD HH:MM:SS.fff and
    the zone's name as an extra last cell), booleans `true` / `false`, text cells are guarded
    against formulas, numbers stay as they are, NULL becomes blank.
    """
    if timestamp_format not in TIMESTAMP_FORMATS:
        raise ValueError(f"unknown timestamp format {timestamp_format!r}")
    if timestamp_format == "spreadsheet":
        stamp = 'v.astimezone(tz).isoformat(" ", "milliseconds")[:23]'
    else:
        stamp = 'v.astimezone(tz).isoformat("T", "microseconds")'
    # One generated expression per column instead of a call per cell: the converter runs
    # once per row of exports with millions of rows.
    parts = []
    for i, name in enumerate(columns):
        if name in TIMESTAMP_COLUMNS:
            parts.append(f'"" if (v := row[{i}]) is None else {stamp}')
        elif name in BOOLEAN_COLUMNS:
            parts.append(f'"" if (v := row[{i}]) is None else ("true" if v else "false")')
        elif name in TEXT_COLUMNS:
            parts.append(f'("\'" + v if v[0] in leaders else v) if (v := row[{i}]) else ""')
        else:
            parts.append(f'"" if (v := row[{i}]) is None else v')
    if timestamp_format == "spreadsheet":
        parts.append("zone")
    source = "def convert(row):\n    return [\n" + "".join(f"        {p},\n" for p in parts)
    source += "    ]\n"
    namespace: dict[str, Any] = {
        "tz": tz,
        "leaders": frozenset(FORMULA_LEADERS),
        "zone": zone_name(tz),
    }
    exec(compile(source, "<row_converter>", "exec"), namespace)  # noqa: S102 - our own code
    convert: Callable[[tuple[Any, ...]], list[Any]] = namespace["convert"]
    return convert


def zone_name(tz: tzinfo) -> str:
    """The IANA name of `tz` (UTC for the standard library's UTC)."""
    return getattr(tz, "key", None) or str(tz)


class LogRows:
    """Log rows in COLUMNS order, streamed from the database: an iterator of value tuples
    (aware datetimes, bools, ints, strings), created_at then sequence.

    Nothing is read until the first row is asked for. `write_log_csv` writes a LogRows that
    has not been started with the database formatting the cells.
    """

    def __init__(self, querysets: Sequence[QuerySet[Any]], chunk_size: int = CHUNK_SIZE) -> None:
        self.querysets = list(querysets)
        self.chunk_size = chunk_size
        self._rows: Iterator[tuple[Any, ...]] | None = None
        self._streams: list[Any] = []  # the querysets' cursor generators

    @property
    def started(self) -> bool:
        return self._rows is not None

    def __iter__(self) -> LogRows:
        return self

    def __next__(self) -> tuple[Any, ...]:
        if self._rows is None:
            self._rows = self._open()
        return next(self._rows)

    def close(self) -> None:
        """Close the cursors (a PostgreSQL server-side cursor must close before its
        transaction ends, also when an export stops half-way)."""
        close = getattr(self._rows, "close", None)
        if close is not None:
            close()
        for stream in self._streams:
            stream.close()
        self._streams = []

    def _open(self) -> Iterator[tuple[Any, ...]]:
        streams = self._streams = [
            qs.values_list(*FIELDS).iterator(chunk_size=self.chunk_size) for qs in self.querysets
        ]
        if len(streams) == 1:
            return cast(Iterator[tuple[Any, ...]], streams[0])
        at, sequence = COLUMNS.index("created_at"), COLUMNS.index("sequence")
        # Each queryset is ordered by (created_at, id): merged while streaming.
        return heapq.merge(*streams, key=lambda row: (row[at], row[sequence]))


def iter_log_rows(qs: QuerySet[Any], chunk_size: int = CHUNK_SIZE) -> LogRows:
    """The queryset's rows as tuples in COLUMNS order, streamed from the cursor."""
    return LogRows([qs], chunk_size)


def merge_log_rows(querysets: Sequence[QuerySet[Any]], chunk_size: int = CHUNK_SIZE) -> LogRows:
    """The rows of several log querysets (each ordered by created_at, then id) as one stream
    in that order, e.g. a kit's rows and its components' rows."""
    return LogRows(querysets, chunk_size)


def write_log_csv(
    out: IO[str],
    rows: Iterable[tuple[Any, ...]],
    *,
    tz: tzinfo = UTC,
    bom: bool = False,
    on_progress: Callable[[int], None] | None = None,
    progress_every: int = 10000,
    timestamp_format: str = "iso",
) -> int:
    """Write the header and `rows` (tuples in COLUMNS order) as RFC 4180 CSV; return the row
    count. `on_progress(count)` is called every `progress_every` rows. `timestamp_format`:
    see `row_converter` (both are fixed width, so text order is time order)."""
    if timestamp_format not in TIMESTAMP_FORMATS:
        raise ValueError(f"unknown timestamp format {timestamp_format!r}")
    if bom:
        out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns_for(timestamp_format))
    if isinstance(rows, LogRows) and not rows.started and csv_sql.can_format(rows.querysets, tz):
        return csv_sql.write_rows(
            out,
            rows.querysets,
            tz=tz,
            on_progress=on_progress,
            progress_every=progress_every,
            timestamp_format=timestamp_format,
        )
    convert = row_converter(tz, timestamp_format=timestamp_format)
    count = 0
    next_progress = progress_every
    rows = iter(rows)
    while batch := list(islice(rows, _BATCH)):
        writer.writerows(map(convert, batch))
        count += len(batch)
        if on_progress is not None and count >= next_progress:
            on_progress(count)
            next_progress += progress_every
    return count
