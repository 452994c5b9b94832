"""Reads of sales channels for the settings page and the API."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db.models import QuerySet

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
    chosen_ids = set(
        ChannelWarehouse.objects.filter(channel=channel).values_list("warehouse_id", flat=True)
    )
    mapping = dict(
        ChannelLocation.objects.filter(channel=channel).values_list("warehouse_id", "location")
    )
    # Archived warehouses only where the channel still names them (so saving the settings
    # keeps them); otherwise they are not offered.
    warehouses = [
        w
        for w in Warehouse.objects.filter(company=company).order_by("id")
        if w.archived_at is None or w.id in chosen_ids or w.id in mapping
    ]
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


def channel_written(
    *, channel: SalesChannel, skus: Sequence[str] | None = None
) -> QuerySet[ChannelSkuState]:
    """What the channel was last told per SKU (with the product), by product id."""
    qs = ChannelSkuState.objects.filter(channel=channel).select_related("product")
    if skus:
        qs = qs.filter(product__sku__in=list(skus))
    return qs.order_by("product_id")


def writeback_preview_lines(
    *, company: Company, channel: SalesChannel, product_ids: Sequence[int]
) -> list[WritebackLine]:
    """What a writeback run would write now for these products, with the explanation;
    writes nothing."""
    if not product_ids:
        return []
    return writeback_lines(company=company, channel=channel, product_ids=product_ids)


@dataclass
class ChannelHealth:
    """How a channel's sync is doing, for its page, the top bar and the API."""

    channel: SalesChannel
    automatic: list[str]  # the kinds the scheduler runs (orders, readback, writeback)
    last_orders: ChannelSync | None
    last_readback: ChannelSync | None
    last_writeback: ChannelSync | None
    pending_since: object  # datetime | None: a stock change not yet written back
    queued: int  # runs waiting for a worker
    drift: int  # SKUs whose last read-back differed from what we last wrote
    failures: int
    last_error: str
    last_error_at: object
    suspended_at: object
    suspended_reason: str
    next_runs: dict[str, object] = field(default_factory=dict)

    @property
    def suspended(self) -> bool:
        return self.suspended_at is not None


def _last(channel: SalesChannel, kind: str) -> ChannelSync | None:
    return (
        ChannelSync.objects.filter(channel=channel, kind=kind, finished_at__isnull=False)
        .order_by("-id")
        .first()
    )


def channel_health(*, channel: SalesChannel) -> ChannelHealth:
    from stockledger.ledger.models import LogEntry

    from .models import ChannelSchedule, ChannelSyncState

    state = ChannelSyncState.objects.filter(channel=channel).first()
    schedules: dict[str, object] = {
        s.kind: s.next_run_at for s in ChannelSchedule.objects.filter(channel=channel)
    }
    readback = _last(channel, ChannelSync.Kind.IMPORT)
    drift = 0
    if readback is not None:
        drift = LogEntry.objects.filter(
            company_id=channel.company_id,
            event_type="import",
            event_id=readback.label,
            cart_id=channel.id,
            channel_differs=True,
        ).count()
    return ChannelHealth(
        channel=channel,
        automatic=sorted(schedules),
        last_orders=_last(channel, ChannelSync.Kind.ORDERS),
        last_readback=readback,
        last_writeback=_last(channel, ChannelSync.Kind.EXPORT),
        pending_since=state.dirty_since if state else None,
        queued=ChannelSync.objects.filter(
            channel=channel, status__in=[ChannelSync.Status.QUEUED, ChannelSync.Status.RUNNING]
        ).count(),
        drift=drift,
        failures=state.failures if state else 0,
        last_error=state.last_error if state else "",
        last_error_at=state.last_error_at if state else None,
        suspended_at=state.suspended_at if state else None,
        suspended_reason=state.suspended_reason if state else "",
        next_runs=schedules,
    )


def suspended_channels(*, company: Company) -> QuerySet[SalesChannel]:
    """The company's channels whose sync is suspended (the top bar's banner)."""
    return SalesChannel.objects.filter(
        company=company, sync_state__suspended_at__isnull=False
    ).order_by("name")
