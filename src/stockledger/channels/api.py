"""JSON API for sales channels: settings, writeback rules, quantity imports, writeback runs."""

from datetime import datetime

from ninja import Body, Field, Query, Router, Schema, Status
from pydantic import StrictInt

from stockledger.catalog.models import Product
from stockledger.catalog.services import clean_sku, product_by_sku
from stockledger.core.errors import NotFound
from stockledger.core.ids import id_path
from stockledger.core.pagination import PageQuery, keyset_page, page_of
from stockledger.core.schemas import Timestamp
from stockledger.core.tenancy import get_for_company

from .adapters.webhook import SIGNATURE_HEADER
from .jobs import channel_sync_enqueue, channel_sync_resume, channel_writeback_enqueue
from .models import ChannelSync, SalesChannel, WritebackRule
from .selectors import (
    ChannelDetail,
    channel_detail,
    channel_for,
    channel_health,
    channel_rules,
    channel_syncs,
    channel_written,
    channels_for,
    writeback_preview_lines,
)
from .services import (
    channel_connect_vendure,
    channel_create,
    channel_rule_delete,
    channel_rule_set,
    channel_secret_rotate,
    channel_set_locations,
    channel_set_webhook,
    channel_set_writeback_warehouses,
)
from .sync import channel_quantities_import

router = Router(tags=["sales channels"])


class ChannelIn(Schema):
    cart_type: str = Field(
        ..., max_length=20, description="shopify, amazon, etsy, ebay, woocommerce, ..."
    )
    name: str = Field(..., min_length=1, max_length=200)


class WarehouseRefOut(Schema):
    id: int
    name: str


class LocationOut(Schema):
    warehouse_id: int
    warehouse_name: str
    location: str = Field(..., description='the channel\'s id for the warehouse; "" unmapped')


class ChannelOut(Schema):
    id: int
    cart_type: str
    name: str
    created_at: datetime
    adapter: str = Field(..., description="manual (recorded for a connector) or webhook")
    webhook_url: str
    webhook_timeout_seconds: float
    writeback_on: bool = Field(..., description="false: the channel receives all warehouses")
    writeback_warehouse_ids: list[int]
    writeback_warehouses: list[WarehouseRefOut]
    locations: list[LocationOut]
    last_writeback_status: str = Field(
        ..., description='"" never, recorded, delivered, partial or failed'
    )
    last_writeback_error: str
    last_writeback_at: datetime | None


class ChannelCreatedOut(ChannelOut):
    webhook_secret: str = Field(
        ...,
        description="signs webhook bodies; shown here and at GET "
        "/sales-channels/{id}/webhook-secret",
    )


def channel_out(detail: ChannelDetail) -> dict:
    c = detail.channel
    return {
        "id": c.id,
        "cart_type": c.cart_type,
        "name": c.name,
        "created_at": c.created_at,
        "adapter": c.adapter,
        "webhook_url": c.webhook_url,
        "webhook_timeout_seconds": c.webhook_timeout_seconds,
        "writeback_on": detail.writeback_on,
        "writeback_warehouse_ids": [w.id for w in detail.writeback_warehouses],
        "writeback_warehouses": [{"id": w.id, "name": w.name} for w in detail.writeback_warehouses],
        "locations": [
            {
                "warehouse_id": r.warehouse_id,
                "warehouse_name": r.warehouse_name,
                "location": r.location,
            }
            for r in detail.locations
        ],
        "last_writeback_status": c.last_writeback_status,
        "last_writeback_error": c.last_writeback_error,
        "last_writeback_at": c.last_writeback_at,
    }


def _out(request, channel: SalesChannel) -> dict:
    return channel_out(
        channel_detail(company=request.company, channel=channel, with_rules=False, syncs=0)
    )


@router.post("/sales-channels", response={201: ChannelCreatedOut}, summary="Create a sales channel")
def create_channel(request, payload: ChannelIn):
    channel = channel_create(
        company=request.company, cart_type=payload.cart_type, name=payload.name
    )
    return Status(201, {**_out(request, channel), "webhook_secret": channel.webhook_secret})


ChannelListOut = page_of(ChannelOut, name="ChannelListOut")


@router.get("/sales-channels", response=ChannelListOut, summary="List sales channels (by name)")
def list_channels(request, page: Query[PageQuery]):
    return keyset_page(
        channels_for(company=request.company),
        order=("name", "id"),
        limit=page.limit,
        cursor=page.cursor,
        transform=lambda rows: [_out(request, c) for c in rows],
    )


@router.get("/sales-channels/{channel_id}", response=ChannelOut, summary="A sales channel")
def get_channel(request, channel_id: int = id_path()):
    return _out(request, channel_for(company=request.company, channel_id=channel_id))


# --- writeback warehouses and location mapping ----------------------------------------------


class WritebackIn(Schema):
    warehouse_ids: list[StrictInt] = Field(
        ..., description="warehouses whose stock the channel receives; [] = all (off)"
    )


class LocationIn(Schema):
    warehouse_id: StrictInt
    location: str = Field(..., description="the channel's id for the warehouse")


class LocationsIn(Schema):
    locations: list[LocationIn]


class SettingChangeOut(Schema):
    channel: ChannelOut
    rows_logged: int = Field(
        ..., description="cart_warehouse rows logged (one per product; 0 when unchanged)"
    )


@router.put(
    "/sales-channels/{channel_id}/writeback",
    response=SettingChangeOut,
    summary="Choose the warehouses a channel receives (warehouse writeback by sales channel)",
)
def put_writeback(request, payload: WritebackIn, channel_id: int = id_path()):
    channel = channel_for(company=request.company, channel_id=channel_id)
    rows = channel_set_writeback_warehouses(
        company=request.company,
        channel=channel,
        warehouse_ids=payload.warehouse_ids,
        user=request.user,
    )
    return {"channel": _out(request, channel), "rows_logged": rows}


@router.put(
    "/sales-channels/{channel_id}/locations",
    response=SettingChangeOut,
    summary="Map warehouses to the channel's own location ids (replaces the mapping)",
)
def put_locations(request, payload: LocationsIn, channel_id: int = id_path()):
    channel = channel_for(company=request.company, channel_id=channel_id)
    rows = channel_set_locations(
        company=request.company,
        channel=channel,
        locations=[item.dict() for item in payload.locations],
        user=request.user,
    )
    return {"channel": _out(request, channel), "rows_logged": rows}


# --- delivery: webhook ----------------------------------------------------------------------


class WebhookIn(Schema):
    url: str | None = Field(..., description='http(s) URL; null or "" = manual (no push)')
    timeout_seconds: float | None = Field(None, description="per attempt, 0.1 to 10 (5)")


class SecretOut(Schema):
    secret: str
    signature_header: str = Field(
        ..., description="the header carrying sha256=<hex HMAC-SHA256 of the body>"
    )


@router.put(
    "/sales-channels/{channel_id}/webhook",
    response=ChannelOut,
    summary="Deliver writebacks to a webhook URL (signed JSON), or back to manual",
)
def put_webhook(request, payload: WebhookIn, channel_id: int = id_path()):
    channel = channel_for(company=request.company, channel_id=channel_id)
    channel_set_webhook(
        company=request.company,
        channel=channel,
        url=payload.url,
        timeout_seconds=payload.timeout_seconds,
    )
    return _out(request, channel)


class VendureIn(Schema):
    admin_url: str = Field(..., max_length=2000, description="e.g. https://shop.example/admin-api")
    username: str = Field("", max_length=500)
    password: str = Field(
        "",
        max_length=500,
        description="stored encrypted for the worker; never shown; empty keeps it",
    )
    token: str = Field("", max_length=500, description="a bearer token instead of a login")


@router.put(
    "/sales-channels/{channel_id}/vendure",
    response=ChannelOut,
    summary="Connect the channel to a Vendure store (orders, read-back, writeback by the worker)",
)
def put_vendure(request, payload: VendureIn, channel_id: int = id_path()):
    channel = channel_for(company=request.company, channel_id=channel_id)
    channel_connect_vendure(
        company=request.company,
        channel=channel,
        admin_url=payload.admin_url,
        username=payload.username,
        password=payload.password,
        token=payload.token,
    )
    return _out(request, channel)


@router.get(
    "/sales-channels/{channel_id}/webhook-secret",
    response=SecretOut,
    summary="The channel's webhook signing secret",
)
def get_secret(request, channel_id: int = id_path()):
    channel = channel_for(company=request.company, channel_id=channel_id)
    return {"secret": channel.webhook_secret, "signature_header": SIGNATURE_HEADER}


@router.post(
    "/sales-channels/{channel_id}/webhook-secret",
    response=SecretOut,
    summary="Replace the webhook signing secret",
)
def rotate_secret(request, channel_id: int = id_path()):
    channel = channel_for(company=request.company, channel_id=channel_id)
    secret = channel_secret_rotate(company=request.company, channel=channel)
    return {"secret": secret, "signature_header": SIGNATURE_HEADER}


# --- writeback rules ------------------------------------------------------------------------


class RuleIn(Schema):
    sku: str
    maximum: StrictInt | None = Field(None, description=">= 0: never write more")
    minimum: StrictInt | None = Field(
        None, description="never write less; may be negative (floor is 0 without it)"
    )
    percent: StrictInt | None = Field(None, description="0..100 of what is available")
    reserve: StrictInt | None = Field(None, description=">= 0: held back first")


class RuleOut(Schema):
    product_id: int
    sku: str
    maximum: int | None
    minimum: int | None
    percent: int | None
    reserve: int | None
    updated_at: datetime


def rule_out(rule: WritebackRule) -> dict:
    return {
        "product_id": rule.product_id,
        "sku": rule.product.sku,
        "maximum": rule.maximum,
        "minimum": rule.minimum,
        "percent": rule.percent,
        "reserve": rule.reserve,
        "updated_at": rule.updated_at,
    }


RuleListOut = page_of(RuleOut, name="RuleListOut")


@router.get(
    "/sales-channels/{channel_id}/rules",
    response=RuleListOut,
    summary="The channel's writeback rules per SKU (by SKU)",
)
def list_rules(request, page: Query[PageQuery], channel_id: int = id_path()):
    channel = channel_for(company=request.company, channel_id=channel_id)
    return keyset_page(
        channel_rules(channel=channel),
        order=("product__sku", "id"),
        limit=page.limit,
        cursor=page.cursor,
        transform=lambda rows: [rule_out(r) for r in rows],
    )


@router.put(
    "/sales-channels/{channel_id}/rules",
    response=RuleOut,
    summary="Set (create or replace) the channel's writeback rule for a SKU",
)
def put_rule(request, payload: RuleIn, channel_id: int = id_path()):
    channel = channel_for(company=request.company, channel_id=channel_id)
    product = product_by_sku(company=request.company, sku=clean_sku(payload.sku))
    rule = channel_rule_set(
        company=request.company,
        channel=channel,
        product=product,
        maximum=payload.maximum,
        minimum=payload.minimum,
        percent=payload.percent,
        reserve=payload.reserve,
    )
    rule.product = product
    return rule_out(rule)


@router.delete(
    "/sales-channels/{channel_id}/rules/{product_id}",
    response={204: None},
    summary="Remove the channel's writeback rule for a product",
)
def delete_rule(request, channel_id: int = id_path(), product_id: int = id_path()):
    channel = channel_for(company=request.company, channel_id=channel_id)
    product = get_for_company(Product, request.company, product_id, label="product")
    channel_rule_delete(company=request.company, channel=channel, product=product)
    return Status(204, None)


# --- sync: import and writeback runs --------------------------------------------------------


class QuantityIn(Schema):
    sku: str
    quantity: StrictInt


class QuantitiesIn(Schema):
    quantities: list[QuantityIn] = Field(..., description="what the channel shows per SKU")
    read_at: Timestamp | None = Field(
        None, description="when the channel read them (created_at of the rows); now by default"
    )


class WritebackRunIn(Schema):
    skus: list[str] | None = Field(None, description="only these SKUs (all products if left out)")
    only_changed: bool = Field(False, description="skip SKUs whose quantity was last written")


class SyncOut(Schema):
    id: int
    event_id: str = Field(..., description="the event_id of the rows it logged")
    kind: str
    status: str = Field(
        ..., description="import: recorded; export: delivered, recorded, partial or failed"
    )
    started_at: datetime
    finished_at: datetime | None
    products: int
    delivered: int
    failed: int
    error: str
    trigger: str = Field(
        "", description='user (page or API), schedule, change (a stock change), "" direct'
    )


def sync_out(sync: ChannelSync) -> dict:
    return {
        "id": sync.id,
        "event_id": sync.label,
        "kind": sync.kind,
        "status": sync.status,
        "started_at": sync.started_at,
        "finished_at": sync.finished_at,
        "products": sync.products,
        "delivered": sync.delivered,
        "failed": sync.failed,
        "error": sync.error,
        "trigger": sync.trigger,
    }


@router.post(
    "/sales-channels/{channel_id}/quantities",
    response={201: SyncOut},
    summary="The channel reports the quantities it shows (import rows; stock unchanged)",
)
def post_quantities(request, payload: QuantitiesIn, channel_id: int = id_path()):
    channel = channel_for(company=request.company, channel_id=channel_id)
    sync = channel_quantities_import(
        company=request.company,
        channel=channel,
        quantities=[item.dict() for item in payload.quantities],
        read_at=payload.read_at,
    )
    return Status(201, sync_out(sync))


@router.post(
    "/sales-channels/{channel_id}/writeback-run",
    response={202: SyncOut},
    summary="Queue a writeback run (the worker computes and writes; export rows); follow it "
    "at GET /sales-channels/{id}/syncs/{sync_id}",
)
def post_writeback_run(
    request, channel_id: int = id_path(), payload: WritebackRunIn | None = Body(None)
):
    channel = channel_for(company=request.company, channel_id=channel_id)
    payload = payload or WritebackRunIn(skus=None, only_changed=False)
    sync = channel_writeback_enqueue(
        company=request.company,
        channel=channel,
        skus=payload.skus,
        only_changed=payload.only_changed,
    )
    return Status(202, sync_out(sync))


class SyncRunIn(Schema):
    kind: str = Field(..., pattern="^(orders|import)$", description="orders or import")


@router.post(
    "/sales-channels/{channel_id}/sync-run",
    response={202: SyncOut},
    summary="Queue an order import (orders) or quantity read-back (import) from the channel",
)
def post_sync_run(request, payload: SyncRunIn, channel_id: int = id_path()):
    channel = channel_for(company=request.company, channel_id=channel_id)
    sync = channel_sync_enqueue(company=request.company, channel=channel, kind=payload.kind)
    return Status(202, sync_out(sync))


@router.get(
    "/sales-channels/{channel_id}/syncs/{sync_id}",
    response=SyncOut,
    summary="One run of the channel (queued, running, or its outcome)",
)
def get_sync(request, channel_id: int = id_path(), sync_id: int = id_path()):
    channel = channel_for(company=request.company, channel_id=channel_id)
    sync = ChannelSync.objects.filter(company=request.company, channel=channel, pk=sync_id).first()
    if sync is None:
        raise NotFound(f"sync run {sync_id} not found")
    return sync_out(sync)


class HealthOut(Schema):
    automatic: list[str] = Field(
        ..., description="what runs on its own: orders, readback, writeback"
    )
    last_order_import: SyncOut | None
    last_readback: SyncOut | None
    last_writeback: SyncOut | None
    pending_changes_since: datetime | None = Field(
        ..., description="a stock change not yet written back, since"
    )
    queued_runs: int
    drift: int = Field(..., description="SKUs whose last read-back differed from what we wrote")
    consecutive_failures: int
    last_error: str
    last_error_at: datetime | None
    sync_suspended: bool
    suspended_at: datetime | None
    suspended_reason: str
    next_runs: dict[str, datetime]


def health_out(channel: SalesChannel) -> dict:
    h = channel_health(channel=channel)
    return {
        "automatic": h.automatic,
        "last_order_import": sync_out(h.last_orders) if h.last_orders else None,
        "last_readback": sync_out(h.last_readback) if h.last_readback else None,
        "last_writeback": sync_out(h.last_writeback) if h.last_writeback else None,
        "pending_changes_since": h.pending_since,
        "queued_runs": h.queued,
        "drift": h.drift,
        "consecutive_failures": h.failures,
        "last_error": h.last_error,
        "last_error_at": h.last_error_at,
        "sync_suspended": h.suspended,
        "suspended_at": h.suspended_at,
        "suspended_reason": h.suspended_reason,
        "next_runs": h.next_runs,
    }


@router.get(
    "/sales-channels/{channel_id}/health",
    response=HealthOut,
    summary="How the channel's sync is doing: last runs, pending changes, drift, suspension",
)
def get_health(request, channel_id: int = id_path()):
    channel = channel_for(company=request.company, channel_id=channel_id)
    return health_out(channel)


@router.post(
    "/sales-channels/{channel_id}/resume",
    response=HealthOut,
    summary="Resume a channel whose sync was suspended after repeated failures",
)
def post_resume(request, channel_id: int = id_path()):
    channel = channel_for(company=request.company, channel_id=channel_id)
    channel_sync_resume(company=request.company, channel=channel)
    return health_out(channel)


SyncListOut = page_of(SyncOut, name="SyncListOut")


class SyncFilters(PageQuery):
    kind: str | None = Field(None, pattern="^(import|export)$", description="import or export")


@router.get(
    "/sales-channels/{channel_id}/syncs",
    response=SyncListOut,
    summary="The channel's imports and writeback runs, newest first",
)
def list_syncs(request, filters: Query[SyncFilters], channel_id: int = id_path()):
    channel = channel_for(company=request.company, channel_id=channel_id)
    return keyset_page(
        channel_syncs(channel=channel, kind=filters.kind),
        order=("-id",),
        limit=filters.limit,
        cursor=filters.cursor,
        transform=lambda rows: [sync_out(s) for s in rows],
    )


class SkuFilters(PageQuery):
    sku: list[str] | None = Field(None, description="only these SKUs (repeat the parameter)")


class WrittenItemOut(Schema):
    product_id: int
    sku: str
    last_written: int
    last_written_at: datetime
    event_id: str = Field(..., description="the run that wrote it")


WrittenListOut = page_of(WrittenItemOut, name="WrittenListOut")


@router.get(
    "/sales-channels/{channel_id}/written",
    response=WrittenListOut,
    summary="What the channel was last told per SKU (connectors of manual channels read this)",
)
def get_written(request, filters: Query[SkuFilters], channel_id: int = id_path()):
    channel = channel_for(company=request.company, channel_id=channel_id)
    return keyset_page(
        channel_written(channel=channel, skus=filters.sku),
        order=("product_id",),
        limit=filters.limit,
        cursor=filters.cursor,
        transform=lambda rows: [
            {
                "product_id": r.product_id,
                "sku": r.product.sku,
                "last_written": r.last_written,
                "last_written_at": r.last_written_at,
                "event_id": f"{ChannelSync.Kind.EXPORT}-{r.sync_id}" if r.sync_id else "",
            }
            for r in rows
        ],
    )


class PreviewItemOut(Schema):
    product_id: int
    sku: str
    quantity: int
    explanation: str


PreviewListOut = page_of(PreviewItemOut, name="PreviewListOut")


@router.get(
    "/sales-channels/{channel_id}/writeback-preview",
    response=PreviewListOut,
    summary="What a writeback run would write now, with the computation (writes nothing)",
)
def get_preview(request, filters: Query[SkuFilters], channel_id: int = id_path()):
    company = request.company
    channel = channel_for(company=company, channel_id=channel_id)
    products = Product.objects.filter(company=company)
    if filters.sku:
        products = products.filter(sku__in=filters.sku)
    return keyset_page(
        products,
        order=("id",),
        limit=filters.limit,
        cursor=filters.cursor,
        transform=lambda rows: [
            {
                "product_id": line.product_id,
                "sku": line.sku,
                "quantity": line.quantity,
                "explanation": line.explanation,
            }
            for line in writeback_preview_lines(
                company=company, channel=channel, product_ids=[p.id for p in rows]
            )
        ],
    )
