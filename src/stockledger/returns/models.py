"""Returns (RMAs): what a customer is expected to send back, and what arrived and was restocked.

Creating an RMA logs what is expected (no stock effect); each receipt records what arrived
and what was put back on the shelf, adding the restocked units to physical on hand at the
RMA's warehouse (`return_order` rows).
"""

from django.db import models

from stockledger.core.models import CompanyScoped


class ReturnStatus(models.TextChoices):
    OPEN = "open", "Open"  # nothing received yet
    PARTIAL = "partial", "Partially received"
    RECEIVED = "received", "Received"  # every line received as expected


class ReturnOrder(CompanyScoped):
    number = models.CharField(max_length=100)  # the RMA number; the log's event_id
    warehouse = models.ForeignKey(
        "warehouses.Warehouse", on_delete=models.PROTECT, related_name="return_orders"
    )
    status = models.CharField(
        max_length=12, choices=ReturnStatus.choices, default=ReturnStatus.OPEN
    )
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        "core.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The sales order the goods come back from, when the RMA was opened from one.
    order = models.ForeignKey(
        "orders.Order", on_delete=models.PROTECT, null=True, blank=True, related_name="returns"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["company", "number"], name="returns_rma_number_once")
        ]
        indexes = [models.Index(fields=["company", "status", "id"], name="returns_rma_status")]

    def __str__(self) -> str:
        return self.number


class ReturnLine(models.Model):
    return_order = models.ForeignKey(ReturnOrder, on_delete=models.CASCADE, related_name="lines")
    # A kit line restocks the kit's components by the kit ratio.
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="+")
    expected_quantity = models.PositiveBigIntegerField()
    # Totals over the RMA's receipts, changed only under the RMA's row lock:
    # restocked <= received <= expected.
    received_quantity = models.PositiveBigIntegerField(default=0)
    restocked_quantity = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["return_order", "product"], name="returns_line_once"),
            models.CheckConstraint(
                condition=models.Q(restocked_quantity__lte=models.F("received_quantity"))
                & models.Q(received_quantity__lte=models.F("expected_quantity")),
                name="returns_line_quantities_in_order",
            ),
        ]


class ReturnReceipt(CompanyScoped):
    return_order = models.ForeignKey(ReturnOrder, on_delete=models.PROTECT, related_name="receipts")
    received_at = models.DateTimeField()
    user = models.ForeignKey(
        "core.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )


class ReturnReceiptLine(models.Model):
    receipt = models.ForeignKey(ReturnReceipt, on_delete=models.CASCADE, related_name="lines")
    return_line = models.ForeignKey(ReturnLine, on_delete=models.PROTECT, related_name="+")
    received_quantity = models.PositiveBigIntegerField()
    restocked_quantity = models.PositiveBigIntegerField()
