"""Model instances from hand-written SQL rows (hot paths that skip ORM query compilation).

The SQL of such a look-up is built once from the models' metadata; each request only runs it.
`model_from_row` applies the same converters the ORM would (SQLite datetimes, JSON fields).
"""

from __future__ import annotations

from collections.abc import Sequence
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


@cache
def _converters(
    model: type[Model], names: tuple[str, ...] | None
) -> tuple[list[str], list[tuple[Any, list[Any]]]]:
    fields = (
        model._meta.concrete_fields
        if names is None
        else [cast(Field[Any, Any], model._meta.get_field(n)) for n in names]
    )
    plan: list[tuple[Any, list[Any]]] = []
    for field in fields:
        col = field.get_col(model._meta.db_table)
        funcs = list(connection.ops.get_db_converters(col)) + list(
            field.get_db_converters(connection)
        )
        plan.append((col, funcs))
    return [f.attname for f in fields], plan


def _convert(plan: list[tuple[Any, list[Any]]], values: Sequence[Any]) -> list[Any]:
    out = []
    for (col, funcs), value in zip(plan, values, strict=True):
        if value is not None:
            for func in funcs:
                value = func(value, col, connection)
        out.append(value)
    return out


def model_from_row(model: type[M], values: Sequence[Any]) -> M:
    """An instance with every concrete field, from values in `select_list` order."""
    return model_from_converted(model, converted_row(model, values))


def converted_row(model: type[Model], values: Sequence[Any]) -> list[Any]:
    """Values in `select_list` order, converted as the ORM would (to build instances again)."""
    _, plan = _converters(model, None)
    return _convert(plan, values)


def model_from_converted(model: type[M], values: Sequence[Any]) -> M:
    """A fresh instance from `converted_row` values."""
    names, _ = _converters(model, None)
    return model.from_db(connection.alias, names, list(values))


def model_from_row_fields(model: type[M], names: tuple[str, ...], values: Sequence[Any]) -> M:
    """An instance with only `names` loaded (the rest deferred), converted like the ORM."""
    attnames, plan = _converters(model, names)
    return model.from_db(connection.alias, attnames, _convert(plan, values))
