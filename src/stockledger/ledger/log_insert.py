"""Building and appending log rows, the ledger's hottest path.

`LogEntry(**kwargs)` and `bulk_create` rebuild, re-quote and re-prepare the 42-column row
value by value through Django's field machinery on every call; for the one or two rows of a
typical stock change that was half its time, and for a 1,000-order import most of it. Here
`new_log_entry` builds the object positionally and `insert_entries` writes the rows through
`core.bulk_sql.insert_objects` (the rows `bulk_create` would write, ids in insertion order).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import signals
from django.db.models.base import ModelState

from stockledger.core.bulk_sql import insert_objects

from .models import LogEntry

_CONCRETE = tuple(LogEntry._meta.concrete_fields)

# --- building ------------------------------------------------------------------------------

_POSITION = {f.attname: i for i, f in enumerate(_CONCRETE)} | {
    f.name: i for i, f in enumerate(_CONCRETE)
}
_RELATIONS: dict[str, tuple[int, Any]] = {
    f.name: (i, f) for i, f in enumerate(_CONCRETE) if f.is_relation
}  # (position, ForeignKey)
_DEFAULTS = tuple(f.get_default() for f in _CONCRETE)
_ATTNAMES = tuple(f.attname for f in _CONCRETE)
_CALLABLE_DEFAULTS = tuple(
    (i, f) for i, f in enumerate(_CONCRETE) if f.has_default() and callable(f.default)
)
_new = object.__new__


def new_log_entry(values: dict[str, Any]) -> LogEntry:
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
        position = _POSITION.get(name)
        if position is None:
            raise TypeError(f"LogEntry() got unexpected keyword arguments: '{name}'")
        args[position] = value
    if signals.pre_init.has_listeners(LogEntry) or signals.post_init.has_listeners(LogEntry):
        entry = LogEntry(*args)  # type: ignore[misc]  # positional: every concrete field
    else:
        # What Model.__init__ does with positional values, without its per-field loop.
        entry = _new(LogEntry)
        entry._state = ModelState()
        entry.__dict__.update(zip(_ATTNAMES, args, strict=True))
    for field, value in related:
        field.set_cached_value(entry, value)
    return entry


# --- writing -------------------------------------------------------------------------------


def insert_entries(entries: Sequence[LogEntry]) -> list[LogEntry]:
    """Insert `entries` (new LogEntry objects) in order; set their ids; return them."""
    return insert_objects(LogEntry, entries)
