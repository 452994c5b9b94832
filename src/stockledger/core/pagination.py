"""Cursor pagination for every API list and page: `?limit=&cursor=` in, `{items, next_cursor}` out.

Keyset, never OFFSET: a page starts strictly after the sort key of the previous page's last
row, so rows inserted or deleted meanwhile never shift a page (no row is skipped or repeated;
rows inserted before the cursor position are simply not seen by this walk).

Use it in a list endpoint:

    WarehouseListOut = page_of(WarehouseOut, name="WarehouseListOut")

    @router.get("/warehouses", response=WarehouseListOut)
    def list_warehouses(request, page: Query[PageQuery]):
        qs = Warehouse.objects.filter(company=request.company)
        return keyset_page(qs, order=("name", "id"), limit=page.limit, cursor=page.cursor)

`order` names non-null model fields (a leading `-` for descending); the last one must be
unique (normally `id`). The cursor is opaque to clients: base64 of the last row's key and the
order it belongs to, so a cursor from another list is refused (422) rather than misread.
Document lists (newest first) use `id_page`, the same walk by `-id`.
"""

from __future__ import annotations

import base64
import binascii
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q, QuerySet
from ninja import Field, Schema
from pydantic import create_model

from .errors import InvalidInput

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


class PageQuery(Schema):
    """Query parameters of every list; filter schemas subclass it."""

    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="items per page")
    cursor: str | None = Field(
        None, max_length=1000, description="`next_cursor` of the previous page; omit for the first"
    )


def page_of(item: type[Schema], *, name: str) -> type[Schema]:
    """The answer schema of a list of `item`: `{items: [item], next_cursor}`.

    `name` is its published OpenAPI component name (e.g. `ProductListOut`): generated clients
    depend on it, so each list keeps its own name rather than a generic `Page[...]`.
    """
    return create_model(
        name,
        __base__=Schema,
        __module__=sys._getframe(1).f_globals["__name__"],
        items=(list[item], ...),  # type: ignore[valid-type]  # the item schema is an argument
        next_cursor=(str | None, ...),
    )


@dataclass
class Page:
    items: list[Any]
    next_cursor: str | None


def _bad_cursor() -> InvalidInput:
    return InvalidInput("cursor is not one this list returned", field="cursor")


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"t": value.isoformat()}
    return value


def _decode_value(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"t"} and isinstance(value["t"], str):
        parsed = datetime.fromisoformat(value["t"])
        if parsed.tzinfo is None:
            raise ValueError("naive datetime in cursor")
        return parsed
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int) and -(2**63) <= value < 2**63:
        return value
    if isinstance(value, str) and "\x00" not in value:
        return value
    raise ValueError("unexpected value in cursor")


def _value_of(row: Any, field: str) -> Any:
    for part in field.split("__"):
        row = getattr(row, part)
    return row


def encode_cursor(order: Sequence[str], values: Sequence[Any]) -> str:
    payload = {"o": ",".join(order), "v": [_encode_value(v) for v in values]}
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(order: Sequence[str], cursor: str) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload = json.loads(raw)
        if not isinstance(payload, dict) or payload.get("o") != ",".join(order):
            raise ValueError("cursor of another list")
        values = payload.get("v")
        if not isinstance(values, list) or len(values) != len(order):
            raise ValueError("cursor of another shape")
        return [_decode_value(v) for v in values]
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise _bad_cursor() from None


def _after(order: Sequence[str], values: Sequence[Any]) -> Q:
    """Rows strictly after `values` in `order`: (a > x) or (a = x and b > y) or ..."""
    condition = Q()
    for i, spec in enumerate(order):
        name = spec.lstrip("-")
        op = "lt" if spec.startswith("-") else "gt"
        term = Q(**{f"{name}__{op}": values[i]})
        for prev_spec, prev_value in zip(order[:i], values[:i], strict=True):
            term &= Q(**{prev_spec.lstrip("-"): prev_value})
        condition |= term
    return condition


def keyset_page(
    qs: QuerySet[Any],
    *,
    order: Sequence[str],
    limit: int,
    cursor: str | None,
    transform: Callable[[list[Any]], list[Any]] | None = None,
) -> Page:
    """One page of `qs` sorted by `order`, starting after `cursor`.

    `transform` maps the page's model rows to what the API returns (e.g. with quantities);
    it runs after the next cursor has been taken from the rows.
    """
    order = tuple(order)
    qs = qs.order_by(*order)
    if cursor:
        try:
            qs = qs.filter(_after(order, decode_cursor(order, cursor)))
        except (ValueError, TypeError, DjangoValidationError):
            raise _bad_cursor() from None
    rows = list(qs[: limit + 1])
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(order, [_value_of(rows[-1], f.lstrip("-")) for f in order])
    return Page(items=transform(rows) if transform else rows, next_cursor=next_cursor)


def id_page(
    qs: QuerySet[Any],
    *,
    limit: int,
    cursor: str | None,
    transform: Callable[[list[Any]], list[Any]] | None = None,
) -> Page:
    """One page of a document list, newest first (by id): `keyset_page(order=("-id",))`."""
    return keyset_page(qs, order=("-id",), limit=limit, cursor=cursor, transform=transform)
