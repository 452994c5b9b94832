"""The Inventory Log: one append-only row per change to a product's inventory.

Rows are written only by `stockledger.ledger.services.ledger_record`. The database refuses
UPDATE and DELETE of rows (triggers, see migrations), so a mistake is corrected by a new row.
"""

from typing import Any, NoReturn

from django.db import models

from stockledger.core.models import CompanyScoped


class EventType(models.TextChoices):
    IMPORT = "import", "Import (channel shows)"
    EXPORT = "export", "Export (written to channel)"
    ORDER = "order", "Order"
    RETURN_ORDER = "return_order", "Return (RMA)"
    ON_HAND = "on_hand", "On hand"
    PO_RECEIVED = "po_received", "PO received"
    INVENTORY_TRANSFER = "inventory_transfer", "Inventory transfer"
    CART_WAREHOUSE = "cart_warehouse", "Channel warehouses"
    MO_FINISHED = "mo_finished", "MO finished"


class OrderStep(models.TextChoices):
    IMPORTED = "imported"
    SHIPPED = "shipped"
    CANCELLED = "cancelled"


class AdjustmentReason(models.TextChoices):
    """Why a user set or adjusted on hand (Shopify's vocabulary)."""

    CYCLE_COUNT = "cycle_count", "Cycle count"
    CORRECTION = "correction", "Correction"
    DAMAGED = "damaged", "Damaged"
    SHRINKAGE = "shrinkage", "Shrinkage"
    RECEIVED_WITHOUT_PO = "received_without_po", "Received without PO"
    PROMOTION = "promotion", "Promotion"
    OTHER = "other", "Other"


class DocumentType(models.TextChoices):
    ORDER = "order"
    PURCHASE_ORDER = "purchase_order"
    TRANSFER = "transfer"
    RETURN = "return"
    MANUFACTURING_ORDER = "manufacturing_order"
    SALES_CHANNEL = "sales_channel"


class LogEntry(CompanyScoped):
    # The id is the log's sequence: assigned after the stock rows are locked, so within one
    # product and warehouse it increases in the order the changes were applied.
    id = models.BigAutoField(primary_key=True)
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="+")
    warehouse = models.ForeignKey(
        "warehouses.Warehouse", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    user = models.ForeignKey(
        "core.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    # The 20 columns of the seed, in its order.
    created_at = models.DateTimeField()
    imported_at = models.DateTimeField(null=True, blank=True)
    event_type = models.CharField(max_length=24, choices=EventType.choices)
    quantity = models.BigIntegerField(null=True, blank=True)
    available_on_hand = models.BigIntegerField(null=True, blank=True)
    physical_on_hand = models.BigIntegerField(null=True, blank=True)
    cart_type = models.CharField(max_length=20, blank=True, default="")
    cart_id = models.BigIntegerField(null=True, blank=True)
    cart_name = models.CharField(max_length=200, blank=True, default="")
    event_id = models.CharField(max_length=100, blank=True, default="")
    warehouse_name = models.CharField(max_length=1000, blank=True, default="")
    warehouse_locations = models.CharField(max_length=1000, blank=True, default="")
    user_name = models.CharField(max_length=150, blank=True, default="")
    sending_warehouse_name = models.CharField(max_length=200, blank=True, default="")
    receiving_warehouse_name = models.CharField(max_length=200, blank=True, default="")
    transfer_notes = models.TextField(blank=True, default="")
    line_notes = models.TextField(blank=True, default="")
    expected_quantity = models.BigIntegerField(null=True, blank=True)
    received_quantity = models.BigIntegerField(null=True, blank=True)
    restocked_quantity = models.BigIntegerField(null=True, blank=True)

    # Extensions: enough to make each row self-explaining and the log replayable.
    sku = models.CharField(max_length=100)
    committed = models.BigIntegerField(null=True, blank=True)  # product total after the event
    warehouse_physical_on_hand = models.BigIntegerField(null=True, blank=True)
    warehouse_committed = models.BigIntegerField(null=True, blank=True)
    warehouse_available_on_hand = models.BigIntegerField(null=True, blank=True)
    physical_change = models.BigIntegerField(default=0)
    committed_change = models.BigIntegerField(default=0)
    order_step = models.CharField(max_length=12, blank=True, default="", choices=OrderStep.choices)
    went_negative = models.BooleanField(default=False)  # this change left physical below zero
    note = models.TextField(blank=True, default="")
    channel_last_written = models.BigIntegerField(null=True, blank=True)  # import rows
    channel_differs = models.BooleanField(null=True, blank=True)  # import rows
    explanation = models.TextField(blank=True, default="")  # export rows: the computation
    delivery_status = models.CharField(max_length=300, blank=True, default="")  # export rows
    kit_sku = models.CharField(
        max_length=100, blank=True, default=""
    )  # component row of a kit line
    document_type = models.CharField(
        max_length=24, blank=True, default="", choices=DocumentType.choices
    )
    document_id = models.BigIntegerField(null=True, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)
    # The rows one event wrote (one `ledger_record` of several lines) share this key, so
    # `verify` can check that each shows the product's totals after the whole event.
    event_group = models.BigIntegerField(null=True, blank=True)
    # on_hand rows: why (AdjustmentReason). Nullable so adding it is a plain ALTER TABLE ADD
    # COLUMN (SQLite would otherwise rebuild the table, and its append-only triggers).
    reason = models.CharField(
        max_length=24, null=True, blank=True, choices=AdjustmentReason.choices
    )

    class Meta:
        verbose_name_plural = "log entries"
        indexes = [
            models.Index(fields=["product", "created_at", "id"], name="ledger_product_time"),
            models.Index(fields=["product", "warehouse", "id"], name="ledger_product_wh_seq"),
            # Stock on a date: the last row of a product x warehouse recorded at or before a
            # moment (ledger/stock_on_date.py).
            models.Index(
                fields=["product", "warehouse", "recorded_at", "id"], name="ledger_product_wh_rec"
            ),
            models.Index(fields=["company", "created_at", "id"], name="ledger_company_time"),
            models.Index(fields=["document_type", "document_id"], name="ledger_document"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.sku} {self.event_type} {self.quantity}"

    @property
    def sequence(self) -> int:
        return self.pk

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise RuntimeError("log rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise RuntimeError("log rows are append-only")
