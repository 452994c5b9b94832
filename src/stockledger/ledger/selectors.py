"""Reads of the Inventory Log: the one place its filters live (pages, API, exports)."""

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.db import connections
from django.db.models import Q, QuerySet

from stockledger.core.errors import InvalidInput
from stockledger.core.models import Company

from .models import AdjustmentReason, EventType, LogEntry
from .prepared import prepared


def log_entries(
    *,
    company: Company,
    product_ids: Sequence[int] | None = None,
    event_types: Iterable[str] | None = None,
    warehouse_ids: Iterable[int] | None = None,
    cart_ids: Iterable[int] | None = None,
    reasons: Iterable[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[LogEntry]:
    """The company's log rows matching the filters, oldest first (created_at, then sequence).

    `since` is inclusive, `until` exclusive. Unknown event types and reasons are refused.
    """
    qs = LogEntry.objects.filter(company=company)
    if product_ids is not None:
        product_ids = list(product_ids)
        qs = (
            qs.filter(product_id=product_ids[0])
            if len(product_ids) == 1
            else qs.filter(product_id__in=product_ids)
        )
    if event_types:
        event_types = list(event_types)
        unknown = [e for e in event_types if e not in EventType.values]
        if unknown:
            raise InvalidInput(f"unknown event type {unknown[0]!r}", field="event_type")
        qs = qs.filter(event_type__in=event_types)
    if warehouse_ids:
        qs = qs.filter(warehouse_id__in=list(warehouse_ids))
    if cart_ids:
        qs = qs.filter(cart_id__in=list(cart_ids))
    if reasons:
        reasons = list(reasons)
        unknown = [r for r in reasons if r not in AdjustmentReason.values]
        if unknown:
            raise InvalidInput(f"unknown reason {unknown[0]!r}", field="reason")
        qs = qs.filter(reason__in=reasons)
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    if until is not None:
        qs = qs.filter(created_at__lt=until)
    if since is not None and until is not None and until <= since:
        raise InvalidInput("until must be after since", field="until")
    return qs.order_by("created_at", "id")


def log_page(
    qs: QuerySet[LogEntry],
    *,
    limit: int,
    cursor: tuple[datetime, int] | None,
    newest_first: bool,
    fields: Sequence[str] | None = None,
) -> tuple[list[Any], tuple[datetime, int] | None]:
    """One page of a log queryset by keyset (created_at, id); returns rows and the next key.

    Rows are LogEntry objects, or with `fields` tuples of those fields (which must include
    `created_at` and `id`): no model instances for a page that only serializes values.
    """
    if newest_first:
        qs = qs.order_by("-created_at", "-id")
        if cursor:
            at, pk = cursor
            # (created_at, id) < (at, pk), written so the database bounds its index range
            # on created_at instead of filtering every newer row.
            qs = qs.filter(Q(created_at__lte=at), Q(created_at__lt=at) | Q(id__lt=pk))
    else:
        qs = qs.order_by("created_at", "id")
        if cursor:
            at, pk = cursor
            qs = qs.filter(Q(created_at__gte=at), Q(created_at__gt=at) | Q(id__gt=pk))
    # On PostgreSQL the page runs as a prepared statement (planned once per connection, not
    # per request: ledger/prepared.py); the rows are the ORM's either way.
    with prepared(connections[qs.db]):
        if fields is not None:
            at_index, id_index = list(fields).index("created_at"), list(fields).index("id")
            rows = list(qs.values_list(*fields)[: limit + 1])
        else:
            rows = list(qs[: limit + 1])
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        if fields is not None:
            return rows, (last[at_index], last[id_index])
        return rows, (last.created_at, last.pk)
    return rows, None


def document_log_entries(
    *, company: Company, document_type: str, document_id: int
) -> QuerySet[LogEntry]:
    """The log rows one document (order, PO, transfer, RMA, MO, channel) caused, in the order
    recorded."""
    return LogEntry.objects.filter(
        company=company, document_type=document_type, document_id=document_id
    ).order_by("id")
