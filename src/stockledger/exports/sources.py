"""The rows of an export, streamed from database cursors in (created_at, sequence) order.

One product's log is one cursor. A kit with its components, and a short list of products,
is one cursor per product merged while streaming (`heapq.merge`): each cursor already comes
sorted by the product's (created_at, id) index, so nothing is sorted in memory and memory
holds one chunk per cursor. Many products are one cursor over the company's log index.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter

from django.db.models import QuerySet

from stockledger.catalog.models import KitComponent, Product
from stockledger.catalog.selectors import products_search
from stockledger.core.models import Company
from stockledger.ledger.columns import COLUMNS
from stockledger.ledger.csv_writer import CHUNK_SIZE, iter_log_rows, merge_log_rows
from stockledger.ledger.models import LogEntry
from stockledger.ledger.selectors import log_entries

# Up to this many products are merged from one cursor each (each walks the product index);
# more go through one cursor over the company's (created_at, id) index instead.
MERGE_LIMIT = 64
# The smallest chunk a merged cursor fetches at a time (chunks shrink as cursors multiply).
MIN_MERGED_CHUNK = 200

_merge_key = itemgetter(COLUMNS.index("created_at"), COLUMNS.index("sequence"))


@dataclass(frozen=True)
class LogFilters:
    """The filters every kind of export shares; `since` inclusive, `until` exclusive."""

    since: datetime | None = None
    until: datetime | None = None
    event_types: tuple[str, ...] = ()
    warehouse_ids: tuple[int, ...] = ()

    def queryset(self, company: Company, product_ids: Sequence[int] | None) -> QuerySet[LogEntry]:
        return log_entries(
            company=company,
            product_ids=product_ids,
            event_types=self.event_types or None,
            warehouse_ids=self.warehouse_ids or None,
            since=self.since,
            until=self.until,
        )


def merge_log_streams(streams: Sequence[Iterable[tuple]]) -> Iterator[tuple]:
    """Merge row streams each sorted by (created_at, sequence) into one stream in that order.

    Sequences are unique across the log, so the merged order equals one query's
    ORDER BY created_at, id.
    """
    if len(streams) == 1:
        return iter(streams[0])
    return heapq.merge(*streams, key=_merge_key)


class LogStreams:
    """The cursors behind one export, closed together (a PostgreSQL server-side cursor must
    be closed before its transaction ends, also when the export stops half-way)."""

    def __init__(self) -> None:
        self._open: list[Iterator[tuple]] = []

    def __enter__(self) -> LogStreams:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        while self._open:
            stream = self._open.pop()
            close = getattr(stream, "close", None)
            if close is not None:
                close()

    def cursor(self, qs: QuerySet[LogEntry], *, chunk_size: int = CHUNK_SIZE) -> Iterator[tuple]:
        stream = iter_log_rows(qs, chunk_size=chunk_size)
        self._open.append(stream)
        return stream

    def products(
        self, *, company: Company, product_ids: Sequence[int], filters: LogFilters = LogFilters()
    ) -> Iterator[tuple]:
        """The rows of these products, one cursor each, merged while streaming."""
        if not product_ids:
            return iter(())
        chunk = max(MIN_MERGED_CHUNK, CHUNK_SIZE // len(product_ids))
        # merge_log_rows iterates as merge_log_streams does (one cursor per product,
        # heapq.merge), and lets write_log_csv have the database merge and format the rows.
        stream = merge_log_rows(
            [filters.queryset(company, [pid]) for pid in product_ids], chunk_size=chunk
        )
        self._open.append(stream)
        return stream

    def kit_with_components(
        self, *, company: Company, kit: Product, filters: LogFilters = LogFilters()
    ) -> Iterator[tuple]:
        """The kit's own rows and all its components' rows, by created_at then sequence."""
        return self.products(company=company, product_ids=kit_product_ids(kit), filters=filters)

    def many_products(
        self,
        *,
        company: Company,
        skus: Sequence[str] = (),
        search: str = "",
        filters: LogFilters = LogFilters(),
    ) -> Iterator[tuple]:
        """All the company's products, or those with these SKUs and/or matching `search`."""
        if not skus and not search:
            return self.cursor(filters.queryset(company, None))
        products = products_search(company=company, search=search or None)
        if skus:
            products = products.filter(sku__in=list(skus))
        ids = list(products.order_by("id").values_list("id", flat=True)[: MERGE_LIMIT + 1])
        if len(ids) <= MERGE_LIMIT:
            return self.products(company=company, product_ids=ids, filters=filters)
        qs = filters.queryset(company, None).filter(product_id__in=products.order_by().values("id"))
        return self.cursor(qs)


def kit_product_ids(kit: Product) -> list[int]:
    """The kit first, then its components by id."""
    components = KitComponent.objects.filter(kit=kit).order_by("component_id")
    return [kit.id, *components.values_list("component_id", flat=True)]
