"""Building and appending log rows, the ledger's hottest path.

`LogEntry(**kwargs)` and `bulk_create` rebuild, re-quote and re-prepare the 42-column row
value by value through Django's field machinery on every call; for the one or two rows of a
typical stock change that was half its time, and for a 1,000-order import most of it. Here:

- `new_log_entry` builds the object positionally;
- `insert_entries` passes a value holding the Python type its field stores (int, str, bool,
  NULL) to the driver as it is, and prepares anything else, and every timestamp, as the
  field prepares it; it writes a batch with one statement whose SQL is kept per shape:
  multi-row VALUES on SQLite, `INSERT ... SELECT FROM unnest(arrays)` on PostgreSQL (one
  parameter per column, so psycopg keeps the statement parsed).

The rows written are the ones `bulk_create` would write; ids come back in insertion order.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Sequence
from datetime import datetime

from django.db import connections, router
from django.db.models import signals
from django.db.models.base import ModelState

from .models import DocumentType, EventType, LogEntry, OrderStep

_CONCRETE = tuple(LogEntry._meta.concrete_fields)
_FIELDS = tuple(f for f in _CONCRETE if not f.primary_key)
_NONE = type(None)
# The Python type each field's values take on the way to the driver when they are plain.
_STORED_TYPE = {
    "BigIntegerField": int,
    "IntegerField": int,
    "PositiveIntegerField": int,
    "ForeignKey": int,
    "CharField": str,
    "TextField": str,
    "BooleanField": bool,
}
_COLUMN_TYPES = tuple(
    frozenset({_STORED_TYPE[f.get_internal_type()], _NONE})
    if f.get_internal_type() in _STORED_TYPE
    else None  # prepared by the field (timestamps)
    for f in _FIELDS
)
_SELF_SETTING = frozenset(
    f for f in _FIELDS if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
)
# Values that go to the driver as they are, and the fields that prepare theirs.
_ORDINARY = tuple(
    i for i, f in enumerate(_FIELDS) if _COLUMN_TYPES[i] is not None and f not in _SELF_SETTING
)
_SPECIAL = tuple((i, f) for i, f in enumerate(_FIELDS) if i not in _ORDINARY)
# The ledger's own choices are str enums: drivers take them as the strings they are.
_STR_ENUMS = (EventType, OrderStep, DocumentType)
_ALLOWED = frozenset((i, t) for i in _ORDINARY for t in _COLUMN_TYPES[i]) | frozenset(
    (i, enum) for i in _ORDINARY if str in _COLUMN_TYPES[i] for enum in _STR_ENUMS
)
_GET_ALL = operator.attrgetter(*(f.attname for f in _FIELDS))
_GET_ORDINARY = operator.itemgetter(*_ORDINARY)

# --- building ------------------------------------------------------------------------------

_POSITION = {f.attname: i for i, f in enumerate(_CONCRETE)} | {
    f.name: i for i, f in enumerate(_CONCRETE)
}
_RELATIONS = {f.name: (i, f) for i, f in enumerate(_CONCRETE) if f.is_relation}
_DEFAULTS = tuple(f.get_default() for f in _CONCRETE)
_ATTNAMES = tuple(f.attname for f in _CONCRETE)
_CALLABLE_DEFAULTS = tuple(
    (i, f) for i, f in enumerate(_CONCRETE) if f.has_default() and callable(f.default)
)
_new = object.__new__


def new_log_entry(values: dict) -> LogEntry:
    """LogEntry(**values), built positionally (Django's keyword path costs several times
    more); related objects given by instance are cached on the entry as Django does."""
    args = list(_DEFAULTS)
    for index, field in _CALLABLE_DEFAULTS:
        args[index] = field.get_default()
    related = []
    for name, value in values.items():
        relation = _RELATIONS.get(name)
        if relation is not None:
            index, field = relation
            args[index] = None if value is None else value.pk
            if value is not None:
                related.append((field, value))
            continue
        index = _POSITION.get(name)
        if index is None:
            raise TypeError(f"LogEntry() got unexpected keyword arguments: '{name}'")
        args[index] = value
    if signals.pre_init.has_listeners(LogEntry) or signals.post_init.has_listeners(LogEntry):
        entry = LogEntry(*args)
    else:
        # What Model.__init__ does with positional values, without its per-field loop.
        entry = _new(LogEntry)
        entry._state = ModelState()
        entry.__dict__.update(zip(_ATTNAMES, args, strict=True))
    for field, value in related:
        field.set_cached_value(entry, value)
    return entry


# --- writing -------------------------------------------------------------------------------


def _prepared_row(entry: LogEntry, connection, sqlite: bool) -> list:
    """The entry's values in _FIELDS order, ready for the driver."""
    values = list(_GET_ALL(entry))
    pairs = set(zip(_ORDINARY, map(type, _GET_ORDINARY(values)), strict=True))
    if not pairs <= _ALLOWED:
        for i in _ORDINARY:
            if type(values[i]) not in _COLUMN_TYPES[i]:
                values[i] = _FIELDS[i].get_db_prep_save(values[i], connection)
    for i, field in _SPECIAL:
        value = field.pre_save(entry, True)
        if field.get_internal_type() == "DateTimeField":
            values[i] = _datetime_param(value, field, connection, sqlite)
        else:
            values[i] = field.get_db_prep_save(value, connection)
    return values


def _datetime_param(value, field, connection, sqlite: bool):
    # An aware datetime (what the ledger writes) as DateTimeField prepares it: unchanged for
    # PostgreSQL, naive text in the connection's zone for SQLite. Anything else: the field.
    if type(value) is datetime and value.tzinfo is not None:
        if sqlite:
            return str(value.astimezone(connection.timezone).replace(tzinfo=None))
        if connection.vendor == "postgresql":
            return value
    return field.get_db_prep_save(value, connection)


@functools.lru_cache(maxsize=8)
def _shape(vendor: str, alias: str) -> tuple[str, str, str, int]:
    """(INSERT head, one row's VALUES or the unnest source, RETURNING tail, rows a statement)."""
    connection = connections[alias]
    qn = connection.ops.quote_name
    table = qn(LogEntry._meta.db_table)
    head = f"INSERT INTO {table} ({', '.join(qn(f.column) for f in _FIELDS)}) "
    tail = f" RETURNING {table}.{qn(LogEntry._meta.pk.column)}"
    if vendor == "postgresql":
        arrays = ", ".join(f"%s::{f.cast_db_type(connection)}[]" for f in _FIELDS)
        return head, f"SELECT * FROM unnest({arrays})", tail, 10_000
    rows = max(1, connection.ops.bulk_batch_size(list(_FIELDS), [None] * 10_000))
    return head, "(" + ", ".join(["%s"] * len(_FIELDS)) + ")", tail, rows


def insert_entries(entries: Sequence[LogEntry]) -> list[LogEntry]:
    """Insert `entries` (new LogEntry objects) in order; set their ids; return them."""
    entries = list(entries)
    if not entries:
        return entries
    alias = router.db_for_write(LogEntry)
    connection = connections[alias]
    if connection.vendor not in ("sqlite", "postgresql"):
        return LogEntry.objects.bulk_create(entries, batch_size=2000)
    head, source, tail, per_statement = _shape(connection.vendor, alias)
    sqlite = connection.vendor == "sqlite"
    with connection.cursor() as cursor:
        for start in range(0, len(entries), per_statement):
            batch = entries[start : start + per_statement]
            rows = [_prepared_row(entry, connection, sqlite) for entry in batch]
            if sqlite:
                params = [value for row in rows for value in row]
                cursor.execute(head + "VALUES " + ", ".join([source] * len(batch)) + tail, params)
            else:
                columns = [list(column) for column in zip(*rows, strict=True)]
                cursor.execute(head + source + tail, columns)
            ids = cursor.fetchall()
            if len(ids) != len(batch):
                raise RuntimeError(f"inserted {len(batch)} log rows, {len(ids)} ids came back")
            for entry, (pk,) in zip(batch, ids, strict=True):
                entry.pk = pk
                entry._state.adding = False
                entry._state.db = alias
    return entries
