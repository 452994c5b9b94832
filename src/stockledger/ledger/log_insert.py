"""Building and appending log rows: one INSERT ... RETURNING id per batch, its SQL built once.

`bulk_create` rebuilds and re-quotes the 42-column INSERT and prepares each value through
its field on every call; for the one or two rows of a typical stock change that was a
quarter of the change's time. This writes the same values: fields that set themselves on
insert (`auto_now_add`) and timestamps go through their field's own preparation, and so does
any value that is not a plain int, string, boolean or NULL.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Sequence

from django.db import connections, router

from .models import LogEntry

_FIELDS = tuple(f for f in LogEntry._meta.concrete_fields if not f.primary_key)
_GET = operator.attrgetter(*(f.attname for f in _FIELDS))
_PLAIN_TYPES = frozenset({int, str, bool, type(None)})
_PLAIN_FIELDS = frozenset(
    {"BigIntegerField", "IntegerField", "CharField", "TextField", "BooleanField", "ForeignKey"}
)
# Fields whose value the field itself sets or converts on the way to the database.
_SPECIAL = tuple(
    (i, f)
    for i, f in enumerate(_FIELDS)
    if f.get_internal_type() not in _PLAIN_FIELDS
    or getattr(f, "auto_now", False)
    or getattr(f, "auto_now_add", False)
)
_SPECIAL_INDEXES = frozenset(i for i, _ in _SPECIAL)
_GET_ORDINARY = operator.itemgetter(*(i for i in range(len(_FIELDS)) if i not in _SPECIAL_INDEXES))


_CONCRETE = tuple(LogEntry._meta.concrete_fields)
_POSITION = {f.attname: i for i, f in enumerate(_CONCRETE)} | {
    f.name: i for i, f in enumerate(_CONCRETE)
}
_RELATIONS = {f.name: (i, f) for i, f in enumerate(_CONCRETE) if f.is_relation}
_DEFAULTS = tuple(f.get_default() for f in _CONCRETE)
_CALLABLE_DEFAULTS = tuple(
    (i, f) for i, f in enumerate(_CONCRETE) if f.has_default() and callable(f.default)
)


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
    entry = LogEntry(*args)
    for field, value in related:
        field.set_cached_value(entry, value)
    return entry


@functools.lru_cache(maxsize=8)
def _statement(vendor: str, alias: str) -> tuple[str, str, int]:
    """(INSERT head, one row's placeholders, rows per statement) for a database."""
    connection = connections[alias]
    qn = connection.ops.quote_name
    table = qn(LogEntry._meta.db_table)
    columns = ", ".join(qn(f.column) for f in _FIELDS)
    per_statement = connection.ops.bulk_batch_size(list(_FIELDS), [None] * 10_000)
    head = f"INSERT INTO {table} ({columns}) VALUES "
    tail = f" RETURNING {table}.{qn(LogEntry._meta.pk.column)}"
    return head, tail, max(1, per_statement)


def _prepare(entry: LogEntry, connection) -> list:
    values = list(_GET(entry))
    if not all(map(_PLAIN_TYPES.__contains__, map(type, _GET_ORDINARY(values)))):
        for i, value in enumerate(values):
            if type(value) not in _PLAIN_TYPES and i not in _SPECIAL_INDEXES:
                values[i] = _FIELDS[i].get_db_prep_save(value, connection)
    for i, field in _SPECIAL:
        values[i] = field.get_db_prep_save(field.pre_save(entry, True), connection)
    return values


def insert_entries(entries: Sequence[LogEntry]) -> list[LogEntry]:
    """Insert `entries` (new LogEntry objects) in order; set their ids; return them."""
    entries = list(entries)
    if not entries:
        return entries
    alias = router.db_for_write(LogEntry)
    connection = connections[alias]
    if not connection.features.can_return_rows_from_bulk_insert:
        return LogEntry.objects.bulk_create(entries, batch_size=2000)
    head, tail, per_statement = _statement(connection.vendor, alias)
    row = "(" + ", ".join(["%s"] * len(_FIELDS)) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(entries), per_statement):
            batch = entries[start : start + per_statement]
            params = []
            for entry in batch:
                params += _prepare(entry, connection)
            cursor.execute(head + ", ".join([row] * len(batch)) + tail, params)
            for entry, (pk,) in zip(batch, cursor.fetchall(), strict=True):
                entry.pk = pk
                entry._state.adding = False
                entry._state.db = alias
    return entries
