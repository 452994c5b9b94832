"""Reads of sales channels for the settings page and the API."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import QuerySet

from stockledger.catalog.models import Product
from stockledger.core.models import Company
from stockledger.core.tenancy import get_for_company
from stockledger.warehouses.models import Warehouse

from .models import (
    ChannelLocation,
    ChannelSkuState,
    ChannelSync,
    ChannelWarehouse,
    SalesChannel,
    WritebackRule,
)
from .writeback import WritebackLine, writeback_lines


@dataclass(frozen=True)
class LocationRow:
    warehouse_id: int
    warehouse_name: str
    location: str  # "" when the warehouse is not mapped


@dataclass
class ChannelDetail:
    channel: SalesChannel
    writeback_on: bool  # False: the channel receives all warehouses
    writeback_warehouses: list[Warehouse]  # the chosen ones (empty when off)
    warehouses: list[Warehouse]  # all the company's, in creation order (for the form)
    locations: list[LocationRow]  # one per company warehouse
    rules: list[WritebackRule] = field(default_factory=list)
    recent_syncs: list[ChannelSync] = field(default_factory=list)
    skus_written: int = 0


def channels_for(*, company: Company) -> QuerySet[SalesChannel]:
    return SalesChannel.objects.filter(company=company).order_by("name", "id")


def channel_for(*, company: Company, channel_id: object) -> SalesChannel:
    """The channel addressed by a path; another company's or unknown is NotFound."""
    return get_for_company(SalesChannel, company, channel_id, label="sales channel")


def channel_detail(
    *, company: Company, channel: SalesChannel, with_rules: bool = True, syncs: int = 10
) -> ChannelDetail:
    """A channel with its writeback warehouses, location mapping, rules, recent runs."""
    warehouses = list(Warehouse.objects.filter(company=company).order_by("id"))
    chosen_ids = set(
        ChannelWarehouse.objects.filter(channel=channel).values_list("warehouse_id", flat=True)
    )
    mapping = dict(
        ChannelLocation.objects.filter(channel=channel).values_list("warehouse_id", "location")
    )
    return ChannelDetail(
        channel=channel,
        writeback_on=bool(chosen_ids),
        writeback_warehouses=[w for w in warehouses if w.id in chosen_ids],
        warehouses=warehouses,
        locations=[LocationRow(w.id, w.name, mapping.get(w.id, "")) for w in warehouses],
        rules=list(channel_rules(channel=channel)) if with_rules else [],
        recent_syncs=list(channel_syncs(channel=channel)[:syncs]) if syncs else [],
        skus_written=ChannelSkuState.objects.filter(channel=channel).count() if syncs else 0,
    )


def channel_rules(*, channel: SalesChannel) -> QuerySet[WritebackRule]:
    return (
        WritebackRule.objects.filter(channel=channel)
        .select_related("product")
        .order_by("product__sku", "id")
    )


def channel_syncs(*, channel: SalesChannel, kind: str | None = None) -> QuerySet[ChannelSync]:
    """The channel's imports and writeback runs, newest first."""
    qs = ChannelSync.objects.filter(channel=channel)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("-id")


@dataclass(frozen=True)
class WrittenRow:
    product_id: int
    sku: str
    last_written: int
    last_written_at: datetime
    event_id: str  # the run that wrote it ("export-<n>")


def channel_written(
    *,
    channel: SalesChannel,
    after_product_id: int | None = None,
    limit: int = 100,
    skus: Sequence[str] | None = None,
) -> tuple[list[WrittenRow], int | None]:
    """What the channel was last told per SKU, by product id (keyset: pass the returned
    next key as `after_product_id`); the rows and the next key (None at the end)."""
    qs = ChannelSkuState.objects.filter(channel=channel).order_by("product_id")
    if skus:
        qs = qs.filter(product__sku__in=list(skus))
    if after_product_id is not None:
        qs = qs.filter(product_id__gt=after_product_id)
    rows = list(
        qs.values_list("product_id", "product__sku", "last_written", "last_written_at", "sync_id")[
            : limit + 1
        ]
    )
    more = len(rows) > limit
    rows = rows[:limit]
    out = [
        WrittenRow(pid, sku, q, at, f"{ChannelSync.Kind.EXPORT}-{sync_id}" if sync_id else "")
        for pid, sku, q, at, sync_id in rows
    ]
    return out, (rows[-1][0] if more else None)


def channel_writeback_preview(
    *,
    company: Company,
    channel: SalesChannel,
    after_product_id: int | None = None,
    limit: int = 100,
    skus: Sequence[str] | None = None,
) -> tuple[list[WritebackLine], int | None]:
    """What a writeback run would write now, per product (by product id, keyset), with the
    explanation; writes nothing."""
    qs = Product.objects.filter(company=company).order_by("id")
    if skus:
        qs = qs.filter(sku__in=list(skus))
    if after_product_id is not None:
        qs = qs.filter(id__gt=after_product_id)
    ids = list(qs.values_list("id", flat=True)[: limit + 1])
    more = len(ids) > limit
    ids = ids[:limit]
    lines = writeback_lines(company=company, channel=channel, product_ids=ids) if ids else []
    return lines, (ids[-1] if more else None)
