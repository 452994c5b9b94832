"""Keyset paging of document lists by id, newest first (never OFFSET).

A shorthand for `pagination.keyset_page(order=("-id",))`, the helper every list shares.
"""

from typing import Any

from django.db.models import QuerySet

from .pagination import keyset_page


def id_page(qs: QuerySet[Any], *, limit: int, cursor: str | None) -> tuple[list[Any], str | None]:
    """One page of `qs` (ordered by -id); `cursor` is the `next_cursor` of the previous page."""
    page = keyset_page(qs, order=("-id",), limit=limit, cursor=cursor)
    return page.items, page.next_cursor
