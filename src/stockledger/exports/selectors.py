"""Reads of export jobs for the API and the pages."""

from __future__ import annotations

from django.db.models import QuerySet

from stockledger.core.models import Company

from .models import Export


def exports_for_company(*, company: Company, status: str | None = None) -> QuerySet[Export]:
    """The company's exports, newest first."""
    qs = Export.objects.filter(company=company).select_related("user", "product")
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-id")


def exports_page(
    qs: QuerySet[Export], *, limit: int, before_id: int | None
) -> tuple[list[Export], int | None]:
    """One page of a newest-first export queryset by keyset (id); returns rows and the id to
    continue before."""
    if before_id is not None:
        qs = qs.filter(id__lt=before_id)
    rows = list(qs[: limit + 1])
    if len(rows) > limit:
        rows = rows[:limit]
        return rows, rows[-1].id
    return rows, None
