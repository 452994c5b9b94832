"""Appending many rows with plain SQL, for the few writes that outgrow Django's bulk_create.

`bulk_create` builds a model instance and prepares every value through its field for each
row: for 100,000 log rows that was most of a setting change's time. The callers here hold
rows as tuples of database values already.
"""

from collections.abc import Sequence
from typing import Any

from django.db.backends.utils import CursorWrapper

# PostgreSQL takes at most 65,535 parameters per statement.
PG_PARAMS = 60_000
PG_ROWS = 1_000
PG_ARRAY_ROWS = 10_000


def insert_many(
    cursor: CursorWrapper,
    *,
    table: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    suffix: str = "",
    pg_types: Sequence[str] | None = None,
) -> None:
    """INSERT `rows` (values in `columns` order; names already quoted) into `table`, with
    `suffix` (e.g. an ON CONFLICT clause) after the VALUES.

    SQLite: one prepared statement run per row (executemany is a C loop there). PostgreSQL:
    each statement is parsed and planned on its own (Django binds parameters on the client),
    which made 100,000 one-row INSERTs take about 20 s; with `pg_types` (the columns' types)
    the rows go as one array per column, `INSERT ... SELECT * FROM unnest(...)`, 10,000 rows
    a statement; without, as multi-row VALUES of up to 1,000 rows.
    """
    if not rows:
        return
    one_row = f"({', '.join(['%s'] * len(columns))})"
    head = f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
    if cursor.db.vendor != "postgresql":
        cursor.executemany(head + one_row + suffix, rows)
        return
    if pg_types is not None:
        arrays = ", ".join(f"%s::{t}[]" for t in pg_types)
        for start in range(0, len(rows), PG_ARRAY_ROWS):
            batch = rows[start : start + PG_ARRAY_ROWS]
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(columns)}) SELECT * FROM unnest({arrays})"
                + suffix,
                [list(column) for column in zip(*batch, strict=True)],
            )
        return
    per_statement = max(1, min(PG_ROWS, PG_PARAMS // len(columns)))
    for start in range(0, len(rows), per_statement):
        batch = rows[start : start + per_statement]
        cursor.execute(
            head + ", ".join([one_row] * len(batch)) + suffix,
            [value for row in batch for value in row],
        )
