"""Appending many rows with plain SQL, for the few writes that outgrow Django's bulk_create.

`bulk_create` builds a model instance and prepares every value through its field for each
row: for 100,000 log rows that was most of a setting change's time. The callers here hold
rows as tuples of database values already.
"""

import operator
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from datetime import datetime
from enum import Enum
from typing import Any, TypeVar, cast

from django.db import connections, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorWrapper
from django.db.models import Model


@contextmanager
def _arrays_in_binary(connection: BaseDatabaseWrapper) -> Iterator[None]:
    """PostgreSQL: cursors opened in the block bind on the server, so `%b` sends an `unnest`
    array as binary. Django binds on the client, where psycopg quotes every element of every
    array in Python: for 10,000 rows of 36 columns, 270 ms of CPU against 44 ms (issue 15).
    Queries stay Django's otherwise (logged, errors wrapped), as in ledger/prepared.py."""
    import psycopg

    connection.ensure_connection()
    raw = connection.connection
    factory = raw.cursor_factory
    raw.cursor_factory = psycopg.Cursor
    try:
        yield
    finally:
        raw.cursor_factory = factory


# PostgreSQL takes at most 65,535 parameters per statement.
PG_PARAMS = 60_000
PG_ROWS = 1_000
PG_ARRAY_ROWS = 10_000
# Up to this many rows (a stock change writes one to a few log rows), a plain VALUES insert:
# on PostgreSQL `unnest` of some 40 one-element arrays costs two to three times as much per
# statement for one row (measured: 2.8 ms against 1.0 ms, issue 15).
PG_VALUES_ROWS = 8


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
    which made 100,000 one-row INSERTs take about 20 s; with `pg_types` (the columns' types,
    e.g. from `pg_array_types`) the rows go as one binary array per column, `INSERT ...
    SELECT * FROM unnest(...)`, 10,000 rows a statement; without, as multi-row VALUES of up to
    1,000 rows, whose thousands of placeholders psycopg splits in Python on every statement.
    """
    if not rows:
        return
    one_row = f"({', '.join(['%s'] * len(columns))})"
    head = f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
    if cursor.db.vendor != "postgresql":
        cursor.executemany(head + one_row + suffix, rows)
        return
    if pg_types is not None:
        arrays = ", ".join(f"%b::{t}[]" for t in pg_types)
        sql = f"INSERT INTO {table} ({', '.join(columns)}) SELECT * FROM unnest({arrays})"
        with _arrays_in_binary(cursor.db), cursor.db.cursor() as binary:
            for start in range(0, len(rows), PG_ARRAY_ROWS):
                batch = rows[start : start + PG_ARRAY_ROWS]
                binary.execute(sql + suffix, [list(column) for column in zip(*batch, strict=True)])
        return
    per_statement = max(1, min(PG_ROWS, PG_PARAMS // len(columns)))
    for start in range(0, len(rows), per_statement):
        batch = rows[start : start + per_statement]
        cursor.execute(
            head + ", ".join([one_row] * len(batch)) + suffix,
            [value for row in batch for value in row],
        )


def pg_array_types(model: type[Model], names: Sequence[str]) -> list[str]:
    """The PostgreSQL types of `model`'s fields `names` (or their attnames), for `pg_types`."""
    connection = connections[router.db_for_write(model)]
    return [
        cast(str, cast(Any, model._meta.get_field(name)).cast_db_type(connection)) for name in names
    ]


# --- new model objects, ids returned ---------------------------------------------------------

_STORED_TYPE = {
    "BigIntegerField": int,
    "IntegerField": int,
    "PositiveIntegerField": int,
    "PositiveBigIntegerField": int,
    "SmallIntegerField": int,
    "ForeignKey": int,
    "CharField": str,
    "TextField": str,
    "BooleanField": bool,
}
_NONE = type(None)

M = TypeVar("M", bound=Model)


class _Shape:
    """What inserting one model's objects needs, worked out once per model and database."""

    def __init__(self, model: type[Model], connection: BaseDatabaseWrapper) -> None:
        qn = connection.ops.quote_name
        self.fields = tuple(f for f in model._meta.concrete_fields if not f.primary_key)
        self.getter = operator.attrgetter(*(f.attname for f in self.fields))
        self_setting = {
            f
            for f in self.fields
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
        }
        self.stored: tuple[frozenset[type] | None, ...] = tuple(
            frozenset({_STORED_TYPE[f.get_internal_type()], _NONE})
            if f.get_internal_type() in _STORED_TYPE and f not in self_setting
            else None
            for f in self.fields
        )
        self.ordinary = tuple(i for i, t in enumerate(self.stored) if t is not None)
        self.get_ordinary = operator.itemgetter(*self.ordinary)
        self.special = tuple((i, f) for i, f in enumerate(self.fields) if self.stored[i] is None)
        # (column, type) pairs a value may have and go to the driver as it is; str and int
        # enums (TextChoices, IntegerChoices) join on first sight.
        self.allowed = {(i, t) for i in self.ordinary for t in self.stored[i] or ()}
        table = qn(model._meta.db_table)
        self.head = (
            f"INSERT INTO {table} ({', '.join(qn(cast(str, f.column)) for f in self.fields)}) "
        )
        self.tail = f" RETURNING {table}.{qn(cast(str, model._meta.pk.column))}"
        self.row = "(" + ", ".join(["%s"] * len(self.fields)) + ")"
        if connection.vendor == "postgresql":
            arrays = ", ".join(f"%b::{f.cast_db_type(connection)}[]" for f in self.fields)
            self.unnest: str | None = f"SELECT * FROM unnest({arrays})"
            self.per_statement = PG_ARRAY_ROWS
        else:
            self.unnest = None
            self.per_statement = max(
                1, connection.ops.bulk_batch_size(list(self.fields), [None] * 10_000)
            )

    def prepare(self, obj: Model, connection: BaseDatabaseWrapper, sqlite: bool) -> list[Any]:
        values = list(self.getter(obj))
        types = zip(self.ordinary, map(type, self.get_ordinary(values)), strict=True)
        if not self.allowed.issuperset(types):
            for i in self.ordinary:
                value = values[i]
                if (i, type(value)) in self.allowed:
                    continue
                plain = next(iter((self.stored[i] or frozenset()) - {_NONE}))
                if isinstance(value, Enum) and isinstance(value, plain) and plain is not bool:
                    self.allowed.add((i, type(value)))  # drivers take it as the str / int it is
                else:
                    values[i] = self.fields[i].get_db_prep_save(value, connection)
        for i, field in self.special:
            value = field.pre_save(obj, True)
            if (
                type(value) is datetime
                and value.tzinfo is not None
                and field.get_internal_type() == "DateTimeField"
            ):
                # As DateTimeField prepares an aware datetime: as it is for PostgreSQL,
                # naive text in the connection's zone for SQLite.
                if sqlite:
                    values[i] = str(value.astimezone(connection.timezone).replace(tzinfo=None))
                    continue
                if connection.vendor == "postgresql":
                    values[i] = value
                    continue
            values[i] = field.get_db_prep_save(value, connection)
        return values


_shapes: dict[tuple[type[Model], str, str], _Shape] = {}


def insert_objects(model: type[M], objs: Sequence[M]) -> list[M]:
    """Insert new `model` objects in order, as `bulk_create` does (each field's pre_save and
    database preparation, skipped for values already of the type the field stores), set
    their ids and return them. One statement per batch, its SQL kept: multi-row VALUES on
    SQLite, INSERT ... SELECT FROM unnest on PostgreSQL (psycopg re-parses a multi-row VALUES
    statement on every call) except for a few rows (PG_VALUES_ROWS), where VALUES is cheaper. Other databases: `bulk_create`."""
    objs = list(objs)
    if not objs:
        return objs
    alias = router.db_for_write(model)
    connection = connections[alias]
    if connection.vendor not in ("sqlite", "postgresql"):
        return model._default_manager.bulk_create(objs)
    key = (model, connection.vendor, alias)
    shape = _shapes.get(key)
    if shape is None:
        shape = _shapes[key] = _Shape(model, connection)
    sqlite = connection.vendor == "sqlite"
    arrays = not sqlite and len(objs) > PG_VALUES_ROWS
    with _arrays_in_binary(connection) if arrays else nullcontext(), connection.cursor() as cursor:
        for start in range(0, len(objs), shape.per_statement):
            batch = objs[start : start + shape.per_statement]
            rows = [shape.prepare(obj, connection, sqlite) for obj in batch]
            if sqlite or len(batch) <= PG_VALUES_ROWS:
                sql = shape.head + "VALUES " + ", ".join([shape.row] * len(batch)) + shape.tail
                cursor.execute(sql, [value for row in rows for value in row])
            else:
                columns = [list(column) for column in zip(*rows, strict=True)]
                unnest = cast(str, shape.unnest)  # set on PostgreSQL, the only engine here
                cursor.execute(shape.head + unnest + shape.tail, columns)
            ids = cursor.fetchall()
            if len(ids) != len(batch):
                raise RuntimeError(f"inserted {len(batch)} rows, {len(ids)} ids came back")
            for obj, (pk,) in zip(batch, ids, strict=True):
                obj.pk = pk
                obj._state.adding = False
                obj._state.db = alias
    return objs
