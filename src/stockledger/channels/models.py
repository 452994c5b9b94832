"""Sales channels (carts): where orders come from and where quantities are written back.

A channel's settings (writeback warehouses, location mapping, writeback rules, delivery
adapter) decide what a writeback run writes. Changing the warehouses or the mapping is an
Inventory Log event (`cart_warehouse`); the rules show in each `export` row's explanation.
"""

import secrets

from django.db import models

from stockledger.core.models import CompanyScoped
from stockledger.core.secret_box import secret_open


class CartType(models.TextChoices):
    SHOPIFY = "shopify"
    AMAZON = "amazon"
    ETSY = "etsy"
    EBAY = "ebay"
    WOOCOMMERCE = "woocommerce"
    BIGCOMMERCE = "bigcommerce"
    WALMART = "walmart"
    # Orders entered by hand in the pages (phone, market stall): see channel_manual_ensure.
    MANUAL = "manual"
    OTHER = "other"


class AdapterName(models.TextChoices):
    # manual: quantities are recorded (export rows, last written per SKU) for a connector to
    # pull through the API; nothing is pushed. webhook: POSTed, signed, to the channel's URL.
    MANUAL = "manual", "Recorded for a connector to read"
    WEBHOOK = "webhook", "HTTP webhook"
    SHOPIFY = "shopify", "Shopify store"
    VENDURE = "vendure", "Vendure store"


class WritebackStatus(models.TextChoices):
    NEVER = "", "Never run"
    RECORDED = "recorded", "Recorded"
    DELIVERED = "delivered", "Delivered"
    PARTIAL = "partial", "Partly delivered"
    FAILED = "failed", "Failed"


def new_webhook_secret() -> str:
    return secrets.token_hex(32)


class SalesChannel(CompanyScoped):
    # `id` is the log's cart_id; cart_type and name fill cart_type / cart_name.
    cart_type = models.CharField(max_length=20, choices=CartType.choices)
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    adapter = models.CharField(
        max_length=40, choices=AdapterName.choices, default=AdapterName.MANUAL
    )
    webhook_url = models.CharField(max_length=2000, blank=True, default="")
    # HMAC key for the webhook signature: it must be readable to sign, so it is stored as is
    # (like any API client secret the server itself must use) and shown only to the company.
    webhook_secret = models.CharField(max_length=128, default=new_webhook_secret)
    webhook_timeout_seconds = models.FloatField(default=5.0)

    last_writeback_status = models.CharField(
        max_length=20, blank=True, default="", choices=WritebackStatus.choices
    )
    last_writeback_error = models.TextField(blank=True, default="")
    last_writeback_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["company", "name"], name="channels_unique_name")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.cart_type})"


class ChannelWarehouse(CompanyScoped):
    """A warehouse whose stock a channel receives ("warehouse writeback by sales channel").

    No rows for a channel means the setting is off: the channel receives all warehouses.
    """

    channel = models.ForeignKey(
        SalesChannel, on_delete=models.CASCADE, related_name="writeback_warehouses"
    )
    warehouse = models.ForeignKey(
        "warehouses.Warehouse", on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["company", "channel", "warehouse"], name="channels_writeback_warehouse_once"
            )
        ]


class ChannelLocation(CompanyScoped):
    """The channel's own id for a warehouse (a Shopify location id)."""

    channel = models.ForeignKey(SalesChannel, on_delete=models.CASCADE, related_name="locations")
    warehouse = models.ForeignKey(
        "warehouses.Warehouse", on_delete=models.PROTECT, related_name="+"
    )
    location = models.CharField(max_length=255)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["company", "channel", "warehouse"], name="channels_location_per_warehouse"
            ),
            models.UniqueConstraint(
                fields=["company", "channel", "location"], name="channels_location_once"
            ),
        ]


class WritebackRule(CompanyScoped):
    """Optional limits on what a channel is told for one SKU (see writeback.py for the order).

    Every limit is optional; a rule has at least one.
    """

    channel = models.ForeignKey(SalesChannel, on_delete=models.CASCADE, related_name="rules")
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="+")
    maximum = models.BigIntegerField(null=True, blank=True)
    minimum = models.BigIntegerField(null=True, blank=True)  # may be negative
    percent = models.PositiveSmallIntegerField(null=True, blank=True)  # 0..100 of available
    reserve = models.BigIntegerField(null=True, blank=True)  # held back, >= 0
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["company", "channel", "product"], name="channels_rule_per_sku"
            )
        ]


class ChannelSync(CompanyScoped):
    """One quantity import or writeback run; its log rows carry `event_id` = `label`."""

    class Kind(models.TextChoices):
        IMPORT = "import"
        EXPORT = "export"
        ORDERS = "orders"  # an order import from the channel (its rows carry the order numbers)

    class Status(models.TextChoices):
        QUEUED = "queued"  # enqueued for the worker (a page, the API or the scheduler asked)
        RUNNING = "running"
        RECORDED = "recorded"
        DELIVERED = "delivered"
        PARTIAL = "partial"
        FAILED = "failed"

    channel = models.ForeignKey(SalesChannel, on_delete=models.CASCADE, related_name="syncs")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    status = models.CharField(max_length=12, choices=Status.choices)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    products = models.PositiveIntegerField(default=0)  # rows logged
    delivered = models.PositiveIntegerField(default=0)  # export: pushed and accepted
    failed = models.PositiveIntegerField(default=0)  # export: not delivered
    error = models.TextField(blank=True, default="")
    # Who asked: "user" (a page or the API), "schedule" (the hourly pass), "change" (a stock
    # change altered what the channel should show), "" (a direct call).
    trigger = models.CharField(max_length=10, blank=True, default="")
    # export runs asked for by a user or the API: only these SKUs / only changed quantities.
    options = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [models.Index(fields=["channel", "kind", "-id"], name="channels_sync_recent")]

    @property
    def label(self) -> str:
        return f"{self.kind}-{self.pk}"


class ChannelSkuState(CompanyScoped):
    """What a channel was last told for one SKU (the last recorded or delivered export)."""

    channel = models.ForeignKey(SalesChannel, on_delete=models.CASCADE, related_name="sku_states")
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="+")
    last_written = models.BigIntegerField()
    last_written_at = models.DateTimeField()
    sync = models.ForeignKey(ChannelSync, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["company", "channel", "product"], name="channels_state_per_sku"
            )
        ]


class ShopifySettings(CompanyScoped):
    """How to reach a Shopify store's Admin GraphQL API, and the secret its webhooks are
    signed with. The access token and the webhook secret are stored encrypted
    (core/secret_box.py) and never shown again; pages show only the token's last 4."""

    channel = models.OneToOneField(SalesChannel, on_delete=models.CASCADE, related_name="shopify")
    shop_domain = models.CharField(max_length=255)  # example.myshopify.com
    access_token_sealed = models.TextField(blank=True, default="")
    access_token_hint = models.CharField(max_length=4, blank=True, default="")
    webhook_secret_sealed = models.TextField(blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)


class InboundWebhook(CompanyScoped):
    """One webhook a channel sent us (/hooks/<channel>/<kind>), kept for idempotency (a
    delivery id is processed once) and for the worker, which parses and applies it."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        DONE = "done"
        FAILED = "failed"

    channel = models.ForeignKey(SalesChannel, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20)  # shopify | webhook
    topic = models.CharField(max_length=100)
    delivery_id = models.CharField(max_length=200)
    body = models.BinaryField()
    received_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    outcome = models.TextField(blank=True, default="")
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["company", "channel", "kind", "delivery_id"], name="channels_inbound_once"
            )
        ]


class ExternalOrder(CompanyScoped):
    """A channel's own id for an order we imported (Shopify's order id), so its later
    webhooks (cancelled, fulfillments) find it, and which fulfillments were applied."""

    channel = models.ForeignKey(SalesChannel, on_delete=models.CASCADE, related_name="+")
    external_id = models.CharField(max_length=100)
    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="+")
    fulfillments = models.JSONField(default=list, blank=True)  # fulfillment ids applied

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["company", "channel", "external_id"], name="channels_external_order_once"
            )
        ]


class SyncKind(models.TextChoices):
    """What the scheduler runs for a channel on its own."""

    ORDERS = "orders", "Order import"
    READBACK = "readback", "Quantity read-back"
    WRITEBACK = "writeback", "Full writeback"


class ChannelSchedule(CompanyScoped):
    """When a channel's next automatic run of one kind is due (survives restarts).

    The scheduler claims a due row with a conditional UPDATE (next_run_at <= now) that moves
    next_run_at on, and enqueues the run in the same transaction: however many workers tick,
    each due run is enqueued once.
    """

    channel = models.ForeignKey(SalesChannel, on_delete=models.CASCADE, related_name="schedules")
    kind = models.CharField(max_length=10, choices=SyncKind.choices)
    interval_seconds = models.PositiveIntegerField()
    next_run_at = models.DateTimeField()
    last_enqueued_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["company", "channel", "kind"], name="channels_schedule_once"
            )
        ]
        indexes = [models.Index(fields=["next_run_at"], name="channels_schedule_due")]


class ChannelSyncState(CompanyScoped):
    """A channel's automatic sync: pending changes, failures, suspension, import cursor.

    Its own row, not the channel's: the ledger marks it dirty inside every stock change's
    transaction (after locking products), while writeback runs and settings changes lock the
    channel row and then products; one row for both would deadlock them.
    """

    channel = models.OneToOneField(
        SalesChannel, on_delete=models.CASCADE, related_name="sync_state"
    )
    # Set (if unset) by every stock change of the company; cleared when a writeback of the
    # changed quantities is enqueued. Only for channels the scheduler writes to.
    auto_writeback = models.BooleanField(default=False)
    dirty_since = models.DateTimeField(null=True, blank=True)
    failures = models.PositiveIntegerField(default=0)  # consecutive failed automatic runs
    suspended_at = models.DateTimeField(null=True, blank=True)
    suspended_reason = models.TextField(blank=True, default="")
    last_error = models.TextField(blank=True, default="")
    last_error_at = models.DateTimeField(null=True, blank=True)
    # The order import's cursor: the channel's own position (an updatedAt timestamp).
    orders_cursor = models.CharField(max_length=100, blank=True, default="")


class VendureSettings(CompanyScoped):
    """How to reach a Vendure store's Admin API: its URL and an administrator's login (or a
    bearer token). The password and the token must be readable to log in, so they are stored
    encrypted (core/secret_box.py) and never shown again; pages show only whether one is set
    and the token's last 4."""

    channel = models.OneToOneField(SalesChannel, on_delete=models.CASCADE, related_name="vendure")
    admin_url = models.CharField(max_length=2000)
    username = models.CharField(max_length=200, blank=True, default="")
    password_sealed = models.TextField(blank=True, default="")
    token_sealed = models.TextField(blank=True, default="")
    token_hint = models.CharField(max_length=4, blank=True, default="")

    def password(self) -> str:
        return secret_open(self.password_sealed)

    def token(self) -> str:
        return secret_open(self.token_sealed)
