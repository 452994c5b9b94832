"""Channel sync: the quantities a channel shows (`import`) and writeback runs (`export`).

A writeback run talks to the channel over the network, so it never holds a database
transaction open while it does:

1. claim: a short transaction records the run as running (one run per channel at a time);
2. compute: read each product's writeback quantity (writeback.py), no transaction;
3. deliver: the channel's adapter pushes the quantities (the webhook POSTs them);
4. log: one transaction appends an `export` row per product with the delivery's outcome,
   keeps the last written quantity per SKU and records the outcome on the channel.

Log rows are append-only, so the outcome must be known before they are written: that is why
delivery comes before logging. If the process dies between 3 and 4 the channel may have
received quantities that no row records; the run stays `running` until it is older than
STALE_RUN, the next run is refused until then and afterwards marks it failed, and writes
every quantity again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from stockledger.catalog.models import Product
from stockledger.catalog.services import clean_sku, sku_key
from stockledger.core.bulk_sql import insert_many
from stockledger.core.errors import Conflict, InvalidInput
from stockledger.core.limits import QUANTITY_MAX
from stockledger.core.models import Company
from stockledger.ledger.facts import ledger_record_facts
from stockledger.ledger.models import DocumentType, EventType
from stockledger.ledger.services import write_transaction
from stockledger.ledger.stockbook import chunks

from .adapters import Delivery, NotSupported, QuantityToWrite, adapter_for
from .models import ChannelLocation, ChannelSkuState, ChannelSync, SalesChannel, WritebackStatus
from .writeback import WritebackLine, writeback_lines

STALE_RUN = timedelta(minutes=15)
DELIVERY_STATUS_MAX = 300


def _product_ids_by_sku(
    company: Company, skus: Sequence[object], field: Callable[[int], str]
) -> list[int]:
    """Resolve `skus` (in order) to the company's product ids; unknown or repeated SKUs are
    InvalidInput naming `field(i)`."""
    # Compared as SKUs are (`b2` finds `B2`); archived products are recorded too. Ids only:
    # a channel may report 100,000 SKUs at once.
    cleaned = [clean_sku(s, field=field(i)) for i, s in enumerate(skus)]
    exact: dict[str, int] = {}
    by_key: dict[str, int] = {}
    unique = sorted(set(cleaned))
    keys = sorted({sku_key(s) for s in unique})
    for start in range(0, max(len(unique), len(keys)), 2000):
        part, key_part = unique[start : start + 2000], keys[start : start + 2000]
        for sku, key, pk in Product.objects.filter(
            Q(sku__in=part) | Q(sku_key__in=key_part), company=company
        ).values_list("sku", "sku_key", "id"):
            exact[sku] = pk
            by_key.setdefault(key, pk)
    seen: set[int] = set()
    ids = []
    for i, sku in enumerate(cleaned):
        found = exact.get(sku) or by_key.get(sku_key(sku))
        if found is None:
            raise InvalidInput(f"unknown SKU {sku!r}", field=field(i))
        pk = found
        if pk in seen:
            raise InvalidInput(f"{sku} is listed twice", field=field(i))
        seen.add(pk)
        ids.append(pk)
    return ids


def last_written(channel: SalesChannel, product_ids: Sequence[int] | None) -> dict[int, int]:
    """What the channel was last told, per product id (absent: never)."""
    qs = ChannelSkuState.objects.filter(channel=channel)
    if product_ids is None:
        return dict(qs.values_list("product_id", "last_written"))
    result: dict[int, int] = {}
    for chunk in chunks(sorted(product_ids)):
        result.update(qs.filter(product_id__in=chunk).values_list("product_id", "last_written"))
    return result


# --- import ---------------------------------------------------------------------------------


def channel_quantities_import(
    *,
    company: Company,
    channel: SalesChannel,
    quantities: Sequence[dict],
    read_at: datetime | None = None,
) -> ChannelSync:
    """Record the quantities the channel reports it shows. Never changes stock.

    Logs one `import` row per SKU: quantity = what the channel shows, channel_last_written =
    what we last wrote back to this channel for the SKU (blank if never), channel_differs =
    whether they differ (blank if we never wrote), created_at = `read_at` (when the channel
    read them; now by default), imported_at = now, event_id = "import-<n>", the cart columns,
    and the product's own quantities. An empty list, an unknown or repeated SKU, a quantity
    that is not a whole number is InvalidInput (field `quantities[i].…`) and logs nothing.
    """
    if not isinstance(quantities, (list, tuple)) or not quantities:
        raise InvalidInput("give at least one {sku, quantity}", field="quantities")
    for i, item in enumerate(quantities):
        if not isinstance(item, dict):
            raise InvalidInput("must be {sku, quantity}", field=f"quantities[{i}]")
        qty = item.get("quantity")
        if (
            isinstance(qty, bool)
            or not isinstance(qty, int)
            or not -QUANTITY_MAX <= qty <= QUANTITY_MAX
        ):
            raise InvalidInput(
                f"quantity must be a whole number between {-QUANTITY_MAX} and {QUANTITY_MAX}",
                field=f"quantities[{i}].quantity",
            )
    product_ids = _product_ids_by_sku(
        company, [item.get("sku") for item in quantities], lambda i: f"quantities[{i}].sku"
    )
    items = [(pid, item["quantity"]) for pid, item in zip(product_ids, quantities, strict=True)]
    return _import_in_transaction(company, channel, items, read_at)


@write_transaction
def _import_in_transaction(
    company: Company,
    channel: SalesChannel,
    items: list[tuple[int, int]],
    read_at: datetime | None,
    sync: ChannelSync | None = None,
) -> ChannelSync:
    now = timezone.now()
    if sync is None:
        sync = ChannelSync.objects.create(
            company=company,
            channel=channel,
            kind=ChannelSync.Kind.IMPORT,
            status=ChannelSync.Status.RECORDED,
            started_at=now,
            finished_at=now,
            products=len(items),
        )
    else:
        sync.status = ChannelSync.Status.RECORDED
        sync.finished_at = now
        sync.products = len(items)
        sync.save(update_fields=["status", "finished_at", "products"])
    written = last_written(channel, [pid for pid, _q in items])
    rows = {}
    for product_id, shows in items:
        last = written.get(product_id)
        rows[product_id] = {
            "quantity": shows,
            "channel_last_written": last,
            "channel_differs": None if last is None else shows != last,
        }
    ledger_record_facts(
        company=company,
        event_type=EventType.IMPORT,
        rows=rows,
        channel=channel,
        created_at=read_at or now,
        imported_at=now,
        common={
            "event_id": sync.label,
            "document_type": DocumentType.SALES_CHANNEL,
            "document_id": channel.id,
        },
    )
    return sync


def channel_quantities_pull(
    *,
    company: Company,
    channel: SalesChannel,
    sync: ChannelSync | None = None,
    deadline: float | None = None,
) -> ChannelSync | None:
    """Ask the channel's adapter which quantities it shows and record them as `import` rows
    (as `channel_quantities_import`). SKUs the channel lists that we do not know are skipped;
    None when it lists none we know. NotSupported (409) when the adapter cannot be read
    (manual and webhook channels report through POST /sales-channels/{id}/quantities).
    `sync`: a queued run to record it in (the worker's); `deadline`: the adapter's budget."""
    read_at = timezone.now()
    try:
        adapter = adapter_for(channel)
        adapter.deadline = deadline
        shown = adapter.read_quantities()
    except NotSupported as exc:
        raise Conflict(str(exc), field="adapter") from None
    known: dict[str, int] = {}
    skus = sorted({q.sku for q in shown})
    for start in range(0, len(skus), 2000):
        known.update(
            Product.objects.filter(company=company, sku__in=skus[start : start + 2000]).values_list(
                "sku", "id"
            )
        )
    items = {}
    for q in shown:
        if q.sku in known:
            items[known[q.sku]] = q.quantity  # a SKU listed twice: the last one counts
    if not items:
        if sync is not None:
            _finish_empty(sync, "the channel lists none of our SKUs")
        return None
    return _import_in_transaction(company, channel, sorted(items.items()), read_at, sync)


def _finish_empty(sync: ChannelSync, note: str) -> None:
    ChannelSync.objects.filter(pk=sync.pk).update(
        status=ChannelSync.Status.RECORDED, finished_at=timezone.now(), products=0, error=note
    )


# --- writeback run --------------------------------------------------------------------------


def channel_writeback_run(
    *,
    company: Company,
    channel: SalesChannel,
    skus: Sequence[str] | None = None,
    only_changed: bool = False,
    sync: ChannelSync | None = None,
    deadline: float | None = None,
) -> ChannelSync:
    """Compute each product's writeback quantity for the channel and write it back.

    The network part runs in the worker: pages and the API enqueue (jobs.py) and the worker
    calls this with the queued run as `sync` and the run's time budget as `deadline`
    (time.monotonic(); the adapter stops starting requests after it).

    Products: all of the company's (kits included), or those of `skus`; with
    `only_changed`, only those whose quantity differs from the last written one.
    Logs one `export` row per product written: quantity = available_on_hand = the quantity
    written (physical_on_hand stays the product's own), explanation = the computation
    (writeback.py), delivery_status = what the adapter reported, event_id = "export-<n>",
    the cart columns. Keeps the quantity as the SKU's last written one when it was recorded
    or delivered (not when delivery failed), and records the run's outcome on the channel
    (last_writeback_status / _error / _at). A failed delivery is not an error of the call:
    the returned run says it. Unknown or repeated SKUs are InvalidInput; a run of the same
    channel still in progress, or a channel whose adapter is not installed, is Conflict.
    Either changes nothing.
    """
    product_ids = None
    if skus is not None:
        if not isinstance(skus, (list, tuple)) or not skus:
            raise InvalidInput("give at least one SKU, or leave skus out for all", field="skus")
        product_ids = _product_ids_by_sku(company, skus, lambda i: f"skus[{i}]")
    try:
        adapter = adapter_for(channel)
    except NotSupported as exc:
        raise Conflict(str(exc), field="adapter") from None
    adapter.deadline = deadline
    sync = _claim_run(company, channel, sync)
    try:
        lines = writeback_lines(company=company, channel=channel, product_ids=product_ids)
        per_location: dict[int, tuple[tuple[str, int], ...]] = {}
        if adapter.per_location:
            lines, per_location = _per_location(company, channel, lines)
        if only_changed:
            last = last_written(channel, None if product_ids is None else product_ids)
            lines = [line for line in lines if last.get(line.product_id) != line.quantity]
        deliveries = (
            adapter.write_quantities(
                [
                    QuantityToWrite(line.sku, line.quantity, per_location.get(line.product_id, ()))
                    for line in lines
                ],
                event_id=sync.label,
            )
            if lines
            else []
        )
        if len(deliveries) != len(lines):
            raise RuntimeError(
                f"adapter {adapter.name} reported {len(deliveries)} deliveries for {len(lines)}"
            )
    except BaseException as exc:
        _abandon_run(channel, sync, f"{exc.__class__.__name__}: {exc}")
        raise
    try:
        return _finish_run(company, channel, sync, lines, deliveries)
    except BaseException as exc:
        # Recording failed (its transaction rolled back: no export row, no last written
        # quantity): the run is failed now, not left running to block the next for 15 min.
        _abandon_run(channel, sync, f"recording the run failed: {exc.__class__.__name__}: {exc}")
        raise


def _per_location(
    company: Company, channel: SalesChannel, lines: list[WritebackLine]
) -> tuple[list[WritebackLine], dict[int, tuple[tuple[str, int], ...]]]:
    """Each mapped location is told its own warehouse's quantity (the channel's rule applied
    per location); a product's line becomes their sum, its explanation lists them."""
    mapping = list(
        ChannelLocation.objects.filter(channel=channel)
        .select_related("warehouse")
        .order_by("warehouse_id")
    )
    if not mapping:
        return lines, {}
    ids = [line.product_id for line in lines]
    by_location = [
        (
            m.location,
            {
                w.product_id: w
                for w in writeback_lines(
                    company=company, channel=channel, product_ids=ids, warehouse=m.warehouse
                )
            },
        )
        for m in mapping
    ]
    out, locations = [], {}
    for line in lines:
        parts = [(loc, found[line.product_id]) for loc, found in by_location]
        locations[line.product_id] = tuple((loc, part.quantity) for loc, part in parts)
        explanation = "; ".join(f"location {loc}: {part.explanation}" for loc, part in parts)
        out.append(
            replace(
                line,
                quantity=sum(part.quantity for _loc, part in parts),
                explanation=explanation[:2000],
            )
        )
    return out, locations


@write_transaction
def _claim_run(
    company: Company, channel: SalesChannel, queued: ChannelSync | None = None
) -> ChannelSync:
    # (FOR NO KEY UPDATE: see services._locked.)
    SalesChannel.objects.select_for_update(no_key=True).filter(pk=channel.pk).first()
    now = timezone.now()
    running = ChannelSync.objects.filter(
        channel=channel, kind=ChannelSync.Kind.EXPORT, status=ChannelSync.Status.RUNNING
    )
    current = running.filter(started_at__gt=now - STALE_RUN).order_by("-id").first()
    if current is not None:
        raise Conflict(
            f"a writeback run of {channel.name} is already running ({current.label}, "
            f"started {current.started_at.isoformat()})"
        )
    running.update(
        status=ChannelSync.Status.FAILED,
        finished_at=now,
        error=f"abandoned: did not finish within {int(STALE_RUN.total_seconds() // 60)} minutes",
    )
    if queued is not None:
        started = ChannelSync.objects.filter(pk=queued.pk, status=ChannelSync.Status.QUEUED).update(
            status=ChannelSync.Status.RUNNING, started_at=now
        )
        if not started:
            raise Conflict(f"writeback run {queued.label} is no longer queued")
        queued.status, queued.started_at = ChannelSync.Status.RUNNING, now
        return queued
    return ChannelSync.objects.create(
        company=company,
        channel=channel,
        kind=ChannelSync.Kind.EXPORT,
        status=ChannelSync.Status.RUNNING,
        started_at=now,
    )


@write_transaction
def _abandon_run(channel: SalesChannel, sync: ChannelSync, error: str) -> None:
    now = timezone.now()
    ChannelSync.objects.filter(pk=sync.pk).update(
        status=ChannelSync.Status.FAILED, finished_at=now, error=error[:2000]
    )
    SalesChannel.objects.filter(pk=channel.pk).update(
        last_writeback_status=WritebackStatus.FAILED,
        last_writeback_error=error[:2000],
        last_writeback_at=now,
    )


def _outcome(deliveries: list[Delivery]) -> tuple[str, str, int, int]:
    """(status, error, delivered, failed) of a run from its deliveries."""
    delivered = sum(1 for d in deliveries if d.status == "delivered")
    failures = [d for d in deliveries if d.status == "failed"]
    if failures:
        status = (
            WritebackStatus.FAILED if len(failures) == len(deliveries) else WritebackStatus.PARTIAL
        )
        error = f"{len(failures)} of {len(deliveries)} quantities not delivered: "
        error += failures[0].error or failures[0].detail
    else:
        status = WritebackStatus.DELIVERED if delivered else WritebackStatus.RECORDED
        error = ""
    return str(status), error, delivered, len(failures)


@write_transaction
def _finish_run(
    company: Company,
    channel: SalesChannel,
    sync: ChannelSync,
    lines: list[WritebackLine],
    deliveries: list[Delivery],
) -> ChannelSync:
    # The channel row first, then the products (the facts): the order settings changes lock
    # in. Updating the channel after the products deadlocked with a settings change holding
    # the channel and waiting for the products. (FOR NO KEY UPDATE: see services._locked.)
    SalesChannel.objects.select_for_update(no_key=True).filter(pk=channel.pk).first()
    now = timezone.now()
    if lines:
        ledger_record_facts(
            company=company,
            event_type=EventType.EXPORT,
            rows={
                line.product_id: {
                    "quantity": line.quantity,
                    "available_on_hand": line.quantity,
                    "explanation": line.explanation,
                    "delivery_status": delivery.detail[:DELIVERY_STATUS_MAX],
                }
                for line, delivery in zip(lines, deliveries, strict=True)
            },
            channel=channel,
            created_at=now,
            common={
                "event_id": sync.label,
                "document_type": DocumentType.SALES_CHANNEL,
                "document_id": channel.id,
            },
        )
    _keep_last_written(
        company,
        channel,
        sync,
        now,
        [
            (line.product_id, line.quantity)
            for line, delivery in zip(lines, deliveries, strict=True)
            if delivery.status in ("recorded", "delivered")
        ],
    )
    status, error, delivered, failed = _outcome(deliveries)
    sync.status = status
    sync.finished_at = now
    sync.products = len(lines)
    sync.delivered = delivered
    sync.failed = failed
    sync.error = error
    sync.save(update_fields=["status", "finished_at", "products", "delivered", "failed", "error"])
    SalesChannel.objects.filter(pk=channel.pk).update(
        last_writeback_status=status, last_writeback_error=error, last_writeback_at=now
    )
    channel.last_writeback_status = status
    channel.last_writeback_error = error
    channel.last_writeback_at = now
    return sync


def _keep_last_written(
    company: Company,
    channel: SalesChannel,
    sync: ChannelSync,
    at: datetime,
    written: list[tuple[int, int]],
) -> None:
    """Upsert the last written quantity per SKU. Plain SQL: 100,000 rows as Django models
    took longer than the writeback run's log rows themselves."""
    if not written:
        return
    qn = connection.ops.quote_name
    at_db = ChannelSkuState._meta.get_field("last_written_at").get_db_prep_save(at, connection)
    with connection.cursor() as cursor:
        insert_many(
            cursor,
            table=qn(ChannelSkuState._meta.db_table),
            columns=[
                "company_id",
                "channel_id",
                "product_id",
                "last_written",
                "last_written_at",
                "sync_id",
            ],
            rows=[
                (company.id, channel.id, product_id, quantity, at_db, sync.id)
                for product_id, quantity in written
            ],
            suffix=(
                " ON CONFLICT (company_id, channel_id, product_id) DO UPDATE SET "
                "last_written = excluded.last_written, "
                "last_written_at = excluded.last_written_at, sync_id = excluded.sync_id"
            ),
            pg_types=["bigint", "bigint", "bigint", "bigint", "timestamptz", "bigint"],
        )
