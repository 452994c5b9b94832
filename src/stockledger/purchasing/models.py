"""Purchase orders and the goods receipts recorded against them.

A PO's lines say what was ordered; each goods receipt says what arrived. Receiving adds to
physical on hand at the PO's warehouse through the ledger (`po_received` rows).
"""

from django.db import models

from stockledger.core.models import CompanyScoped


class PurchaseOrderStatus(models.TextChoices):
    OPEN = "open", "Open"  # nothing received yet
    PARTIAL = "partial", "Partially received"  # something received, some line still short
    RECEIVED = "received", "Received"  # every line received in full (or more)
    # Closed by a user: takes no more receipts, whatever is still outstanding.
    CLOSED = "closed", "Closed"


class PurchaseOrder(CompanyScoped):
    number = models.CharField(max_length=100)
    supplier = models.CharField(max_length=200, blank=True, default="")
    warehouse = models.ForeignKey(
        "warehouses.Warehouse", on_delete=models.PROTECT, related_name="purchase_orders"
    )
    status = models.CharField(
        max_length=12, choices=PurchaseOrderStatus.choices, default=PurchaseOrderStatus.OPEN
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        "core.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        "core.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["company", "number"], name="purchasing_po_number_once")
        ]
        indexes = [models.Index(fields=["company", "status", "id"], name="purchasing_po_status")]

    def __str__(self) -> str:
        return self.number

    @property
    def is_closed(self) -> bool:
        return self.status == PurchaseOrderStatus.CLOSED


class PurchaseOrderLine(models.Model):
    purchase_order = models.ForeignKey(
        PurchaseOrder, on_delete=models.CASCADE, related_name="lines"
    )
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="+")
    quantity_ordered = models.PositiveBigIntegerField()
    # Sum of this line's goods receipt lines; changed only under the PO's row lock.
    quantity_received = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["purchase_order", "product"], name="purchasing_po_line_once"
            )
        ]

    @property
    def outstanding(self) -> int:
        return max(0, self.quantity_ordered - self.quantity_received)

    @property
    def over_received(self) -> int:
        return max(0, self.quantity_received - self.quantity_ordered)


class GoodsReceipt(CompanyScoped):
    purchase_order = models.ForeignKey(
        PurchaseOrder, on_delete=models.PROTECT, related_name="receipts"
    )
    number = models.CharField(max_length=100)
    received_at = models.DateTimeField()
    user = models.ForeignKey(
        "core.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["company", "purchase_order", "number"],
                name="purchasing_receipt_number_once",
            )
        ]

    def __str__(self) -> str:
        return self.number


class GoodsReceiptLine(models.Model):
    receipt = models.ForeignKey(GoodsReceipt, on_delete=models.CASCADE, related_name="lines")
    po_line = models.ForeignKey(PurchaseOrderLine, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveBigIntegerField()
