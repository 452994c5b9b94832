"""Writes for export jobs: asking for an export (record and task in one transaction)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from django.utils import timezone as django_timezone

from stockledger.catalog.models import Product, ProductKind
from stockledger.catalog.services import products_by_skus
from stockledger.core.db_routing import primary_wal_lsn
from stockledger.core.errors import InvalidInput
from stockledger.core.models import Company, User
from stockledger.ledger.columns import TIMESTAMP_FORMATS
from stockledger.ledger.models import EventType
from stockledger.ledger.services import write_transaction
from stockledger.warehouses.services import warehouse_by_id

from .models import Export, ExportFormat, ExportKind, ExportStatus
from .parameters import INTERVALS, ExportParameters, interval_bounds, zone
from .tasks import attempt_enqueue

MAX_SKUS = 5000
MAX_SEARCH = 200


def export_create(
    *,
    company: Company,
    user: User | None,
    kind: str | None = None,
    format: str = ExportFormat.CSV,
    product_id: int | None = None,
    include_components: bool = False,
    since: datetime | None = None,
    until: datetime | None = None,
    interval: str | None = None,
    event_types: Sequence[str] | None = None,
    warehouse_ids: Sequence[int] | None = None,
    skus: Sequence[str] | None = None,
    search: str | None = None,
    timezone: str = "UTC",
    timestamp_format: str = "iso",
) -> Export:
    """Ask for an export; it runs in the background (`tasks.run_export`).

    `kind` defaults from the request: `product` with a `product_id`, `kit_with_components`
    with `include_components`, else `products` (all products, or those with `skus` and/or
    matching `search`). Filters: `since` (inclusive) / `until` (exclusive), or `interval`
    (the last hour/day/week/month up to now), `event_types`, `warehouse_ids`. Timestamps in
    the file are written in `timezone` (IANA name), in a CSV as `timestamp_format`: `iso`
    (ISO 8601 with offset, 6 fractional digits) or `spreadsheet` (local YYYY-MM-DD
    HH:MM:SS.fff, the zone named in a last column and in the file name).

    Writes the export (status queued) and its task in one transaction: either both exist or
    neither. Nothing is logged to the Inventory Log. Raises InvalidInput naming the field for
    an unknown product, SKU, warehouse, event type, timezone, interval or format, a kit
    export of a product that is not a kit, or since/until out of order.
    """
    if format not in ExportFormat.values:
        raise InvalidInput("format must be csv or xlsx", field="format")
    tz = zone(timezone)
    if timestamp_format not in TIMESTAMP_FORMATS:
        raise InvalidInput(
            f"timestamp_format must be one of {', '.join(TIMESTAMP_FORMATS)}",
            field="timestamp_format",
        )
    kind = _kind(kind, product_id=product_id, include_components=include_components)
    product, skus, search = _subject(company, kind, product_id=product_id, skus=skus, search=search)
    now = django_timezone.now()
    since, until = _period(since, until, interval=interval, now=now, tz=tz)
    parameters = ExportParameters(
        timezone=timezone,
        timestamp_format=timestamp_format,
        product_id=product.id if product else None,
        sku=product.sku if product else "",
        skus=tuple(skus),
        search=search or "",
        since=since,
        until=until,
        interval=interval or "",
        event_types=_clean_event_types(event_types or ()),
        warehouse_ids=_clean_warehouse_ids(company, warehouse_ids or ()),
    )
    return _export_enqueue_in_transaction(
        company=company,
        user=user,
        kind=kind,
        format=format,
        product=product,
        parameters=parameters,
        download_name=download_name(
            kind,
            format,
            product,
            now.astimezone(tz),
            zone_name=timezone if timestamp_format == "spreadsheet" else "",
        ),
    )


def _subject(
    company: Company,
    kind: str,
    *,
    product_id: int | None,
    skus: Sequence[str] | None,
    search: str | None,
) -> tuple[Product | None, Sequence[str], str]:
    """(product, skus, search) of the export: the product of a one-product or kit export,
    the SKUs and search of a many-products one."""
    product = None
    if kind == ExportKind.PRODUCTS:
        if product_id is not None:
            raise InvalidInput(
                "a many-products export takes skus or search, not product_id", field="product_id"
            )
        skus = _clean_skus(company, skus or ())
        search = (search or "").strip()
        if len(search) > MAX_SEARCH:
            raise InvalidInput(f"search is longer than {MAX_SEARCH} characters", field="search")
    else:
        if skus or search:
            raise InvalidInput(
                "skus and search apply to a many-products export",
                field="skus" if skus else "search",
            )
        product = (
            Product.objects.filter(company=company, pk=product_id).first()
            if product_id is not None
            else None
        )
        if product is None:
            raise InvalidInput(f"unknown product {product_id!r}", field="product_id")
        if kind == ExportKind.KIT_WITH_COMPONENTS and product.kind != ProductKind.KIT:
            raise InvalidInput(
                f"{product.sku} is not a kit: it has no components to include",
                field="include_components",
            )
        skus, search = (), ""
    return product, skus, search


def _period(
    since: datetime | None,
    until: datetime | None,
    *,
    interval: str | None,
    now: datetime,
    tz,
) -> tuple[datetime | None, datetime | None]:
    """(since, until) from either `interval` (ending now, in `tz`) or since/until, each with
    an offset and in order."""
    if interval:
        if since is not None or until is not None:
            raise InvalidInput("give either interval or since/until, not both", field="interval")
        if interval not in INTERVALS:
            raise InvalidInput(f"interval must be one of {', '.join(INTERVALS)}", field="interval")
        since, until = interval_bounds(interval, now=now, tz=tz)
    for name, value in (("since", since), ("until", until)):
        if value is not None and value.tzinfo is None:
            raise InvalidInput(f"{name} needs a timezone offset", field=name)
    if since is not None and until is not None and until <= since:
        raise InvalidInput("until must be after since", field="until")
    return since, until


def _clean_warehouse_ids(company: Company, warehouse_ids: Sequence[int]) -> tuple[int, ...]:
    return tuple(
        warehouse_by_id(
            company=company,
            warehouse_id=wid,
            field=f"warehouse_ids[{i}]",
            archived_ok=True,  # old logs name archived warehouses
        ).id
        for i, wid in enumerate(dict.fromkeys(warehouse_ids))
    )


@write_transaction
def _export_enqueue_in_transaction(
    *,
    company: Company,
    user: User | None,
    kind: str,
    format: str,
    product: Product | None,
    parameters: ExportParameters,
    download_name: str,
) -> Export:
    export = Export.objects.create(
        company=company,
        user=user,
        kind=kind,
        format=format,
        product=product,
        parameters=parameters.to_json(),
        status=ExportStatus.QUEUED,
        download_name=download_name,
        source_lsn=primary_wal_lsn(),
    )
    export.task_id = attempt_enqueue(export, 1)
    return export


def _kind(kind: str | None, *, product_id: int | None, include_components: bool) -> str:
    if kind is None:
        if product_id is None:
            if include_components:
                raise InvalidInput("include_components needs a product_id", field="product_id")
            return ExportKind.PRODUCTS
        return ExportKind.KIT_WITH_COMPONENTS if include_components else ExportKind.PRODUCT
    if kind not in ExportKind.values:
        raise InvalidInput(f"kind must be one of {', '.join(ExportKind.values)}", field="kind")
    if include_components and kind != ExportKind.KIT_WITH_COMPONENTS:
        raise InvalidInput(
            "include_components is what kind kit_with_components means; drop one",
            field="include_components",
        )
    if kind != ExportKind.PRODUCTS and product_id is None:
        raise InvalidInput(f"a {kind} export needs a product_id", field="product_id")
    return kind


def _clean_skus(company: Company, skus: Sequence[str]) -> tuple[str, ...]:
    if len(skus) > MAX_SKUS:
        raise InvalidInput(f"at most {MAX_SKUS} SKUs per export", field="skus")
    # Compared as SKUs are (`b2` finds `B2`); archived products' logs stay exportable.
    products = products_by_skus(
        company=company,
        skus=skus,
        field=lambda i: f"skus[{i}]",
        archived_ok=True,
        repeats_ok=True,
    )
    return tuple(dict.fromkeys(product.sku for product in products))


def _clean_event_types(event_types: Sequence[str]) -> tuple[str, ...]:
    for i, event_type in enumerate(event_types):
        if event_type not in EventType.values:
            raise InvalidInput(f"unknown event type {event_type!r}", field=f"event_types[{i}]")
    return tuple(dict.fromkeys(event_types))


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def download_name(
    kind: str, format: str, product: Product | None, when: datetime, zone_name: str = ""
) -> str:
    """The file name a browser saves: inventory-log-SKU-20261126.csv and the like (with the
    zone for local spreadsheet dates: inventory-log-SKU-20261126-America_New_York.csv)."""
    stamp = when.strftime("%Y%m%d")
    if product is None:
        subject = "products"
    else:
        subject = _UNSAFE.sub("_", product.sku).strip("._-")[:80] or f"product-{product.id}"
        if kind == ExportKind.KIT_WITH_COMPONENTS:
            subject += "-with-components"
    if zone_name:
        stamp += "-" + _UNSAFE.sub("_", zone_name.replace("/", "_"))
    return f"inventory-log-{subject}-{stamp}.{format}"
