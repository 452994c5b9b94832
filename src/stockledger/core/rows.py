"""Model instances from hand-written SQL rows (hot paths that skip ORM query compilation).

The SQL of such a look-up is built once from the models' metadata; each request only runs it.
`model_from_row` applies the same converters the ORM would (SQLite datetimes, JSON fields).
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from operator import itemgetter
from typing import Any, TypeVar, cast

from django.conf import settings
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
    converting: list[tuple[int, Callable[[Any], Any]]]  # (index, converter), if any


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
            converting.append((i, _converter(field, col, funcs)))
    return _Plan([f.attname for f in fields], converting)


def _converter(field: Field[Any, Any], col: Any, funcs: tuple[Any, ...]) -> Callable[[Any], Any]:
    """One value's conversion, as the ORM's converters do it."""
    if (
        connection.vendor == "sqlite"
        and settings.USE_TZ
        and funcs == (getattr(connection.ops, "convert_datetimefield_value", None),)
    ):
        # What that converter does, without its checks a call: SQLite's timestamps are UTC,
        # as text or (read as declared) a naive datetime. A page of the log holds 150.
        zone = connection.timezone

        def aware(value: Any) -> Any:
            if isinstance(value, str):
                value = datetime.fromisoformat(value)
            return value.replace(tzinfo=zone) if value.tzinfo is None else value

        return aware

    def convert(value: Any) -> Any:
        for func in funcs:
            value = func(value, col, connection)
        return value

    return convert


def _convert(plan: _Plan, values: Sequence[Any]) -> list[Any]:
    if len(values) != len(plan.names):
        raise ValueError(f"{len(values)} values for {len(plan.names)} fields")
    out = list(values)
    for i, convert in plan.converting:
        value = out[i]
        if value is not None:
            out[i] = convert(value)
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


@cache
def plain_row_type(model: type[Model]) -> type[tuple[Any, ...]]:
    """A named tuple of the model's concrete fields (by attname, in `select_list` order) with
    `pk`: what a page that only shows rows reads, without building model instances (Django's
    `Model.__init__` of the log's 45 fields was a fifth of a log page's time; issue 15)."""
    plan = _converters(model, None)
    base = namedtuple(f"{model.__name__}Row", plan.names)  # type: ignore[misc]
    pk_index = plan.names.index(model._meta.pk.attname)
    return type(base.__name__, (base,), {"__slots__": (), "pk": property(itemgetter(pk_index))})


def plain_rows(model: type[Model], rows: Iterable[Sequence[Any]]) -> list[Any]:
    """`plain_row_type(model)` rows from values in `select_list` order, converted as the ORM
    would convert them."""
    plan = _converters(model, None)
    make = plain_row_type(model)._make  # type: ignore[attr-defined]
    return [make(_convert(plan, values)) for values in rows]
