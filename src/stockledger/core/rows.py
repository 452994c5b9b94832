"""Model instances from hand-written SQL rows (hot paths that skip ORM query compilation).

The SQL of such a look-up is built once from the models' metadata; each request only runs it.
`model_from_row` applies the same converters the ORM would (SQLite datetimes, JSON fields).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar, cast

from django.db import connection
from django.db.models import Field, Model

M = TypeVar("M", bound=Model)


def select_list(model: type[Model], alias: str) -> list[str]:
    qn = connection.ops.quote_name
    return [f"{alias}.{qn(cast(str, f.column))}" for f in model._meta.concrete_fields]


def field_count(model: type[Model]) -> int:
    return len(model._meta.concrete_fields)


@dataclass(frozen=True)
class _Plan:
    names: list[str]  # attnames, in select order
    converting: list[tuple[int, Any, tuple[Any, ...]]]  # (index, column, converters), if any


@cache
def _converters(model: type[Model], names: tuple[str, ...] | None) -> _Plan:
    fields = (
        model._meta.concrete_fields
        if names is None
        else [cast(Field[Any, Any], model._meta.get_field(n)) for n in names]
    )
    converting = []
    for i, field in enumerate(fields):
        col = field.get_col(model._meta.db_table)
        funcs = tuple(connection.ops.get_db_converters(col)) + tuple(
            field.get_db_converters(connection)
        )
        if funcs:  # most fields have none: their values are used as they come
            converting.append((i, col, funcs))
    return _Plan([f.attname for f in fields], converting)


def _convert(plan: _Plan, values: Sequence[Any]) -> list[Any]:
    if len(values) != len(plan.names):
        raise ValueError(f"{len(values)} values for {len(plan.names)} fields")
    out = list(values)
    for i, col, funcs in plan.converting:
        value = out[i]
        if value is not None:
            for func in funcs:
                value = func(value, col, connection)
            out[i] = value
    return out


def model_from_row(model: type[M], values: Sequence[Any], *, using: str | None = None) -> M:
    """An instance with every concrete field, from values in `select_list` order (read from
    database `using`, the default one unless named)."""
    return model_from_converted(model, converted_row(model, values), using=using)


def converted_row(model: type[Model], values: Sequence[Any]) -> list[Any]:
    """Values in `select_list` order, converted as the ORM would (to build instances again)."""
    return _convert(_converters(model, None), values)


def model_from_converted(model: type[M], values: Sequence[Any], *, using: str | None = None) -> M:
    """A fresh instance from `converted_row` values."""
    return model.from_db(using or connection.alias, _converters(model, None).names, list(values))


def model_from_row_fields(model: type[M], names: tuple[str, ...], values: Sequence[Any]) -> M:
    """An instance with only `names` loaded (the rest deferred), converted like the ORM."""
    plan = _converters(model, names)
    return model.from_db(connection.alias, plan.names, _convert(plan, values))
