"""Streaming CSV of log rows: the 20 seed columns, then the extensions.

Used by `stockledger export-log` and the export jobs. Rows come from a database cursor in
chunks and are written as they come, so memory does not grow with the log.
"""

import csv
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, tzinfo
from typing import IO

from django.db.models import QuerySet

from .columns import BOOLEAN_COLUMNS, COLUMNS, FIELDS, TEXT_COLUMNS, TIMESTAMP_COLUMNS

FORMULA_LEADERS = ("=", "+", "-", "@", "\t", "\r")
CHUNK_SIZE = 5000


def guard_text(value: str) -> str:
    """Keep a spreadsheet from reading a text cell as a formula (OWASP CSV injection)."""
    if value and value.startswith(FORMULA_LEADERS):
        return "'" + value
    return value


def _timestamp(tz: tzinfo):
    def convert(value: datetime | None) -> str:
        return "" if value is None else value.astimezone(tz).isoformat()

    return convert


def _boolean(value: bool | None) -> str:
    return "" if value is None else ("true" if value else "false")


def _text(value: str | None) -> str:
    return guard_text(value) if value else ""


def _plain(value):
    return "" if value is None else value


def row_converter(tz: tzinfo = UTC, columns: tuple[str, ...] = COLUMNS):
    """A function turning a values_list tuple (in `columns` order) into CSV cells."""
    stamp = _timestamp(tz)
    converters = []
    for name in columns:
        if name in TIMESTAMP_COLUMNS:
            converters.append(stamp)
        elif name in BOOLEAN_COLUMNS:
            converters.append(_boolean)
        elif name in TEXT_COLUMNS:
            converters.append(_text)
        else:
            converters.append(_plain)
    pairs = tuple(enumerate(converters))

    def convert(row: tuple) -> list:
        return [fn(row[i]) for i, fn in pairs]

    return convert


def iter_log_rows(qs: QuerySet, chunk_size: int = CHUNK_SIZE) -> Iterator[tuple]:
    """The queryset's rows as tuples in COLUMNS order, streamed from the cursor."""
    return qs.values_list(*FIELDS).iterator(chunk_size=chunk_size)


def write_log_csv(
    out: IO[str],
    rows: Iterable[tuple],
    *,
    tz: tzinfo = UTC,
    bom: bool = False,
    on_progress=None,
    progress_every: int = 10000,
) -> int:
    """Write the header and `rows` (tuples in COLUMNS order) as RFC 4180 CSV; return the row
    count. `on_progress(count)` is called every `progress_every` rows."""
    if bom:
        out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    convert = row_converter(tz)
    count = 0
    batch: list[list] = []
    for row in rows:
        batch.append(convert(row))
        if len(batch) >= 1000:
            writer.writerows(batch)
            count += len(batch)
            batch.clear()
            if on_progress is not None and count % progress_every == 0:
                on_progress(count)
    if batch:
        writer.writerows(batch)
        count += len(batch)
    return count
