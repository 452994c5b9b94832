"""Keyset paging of document lists by id, newest first (never OFFSET)."""

from django.db.models import QuerySet

from .errors import InvalidInput


def id_page(qs: QuerySet, *, limit: int, cursor: str | None) -> tuple[list, str | None]:
    """One page of `qs` (ordered by -id); `cursor` is the `next_cursor` of the previous page."""
    if cursor:
        try:
            before = int(cursor)
        except ValueError:
            raise InvalidInput("cursor is not one this API returned", field="cursor") from None
        qs = qs.filter(id__lt=before)
    rows = list(qs.order_by("-id")[: limit + 1])
    if len(rows) > limit:
        rows = rows[:limit]
        return rows, str(rows[-1].id)
    return rows, None
