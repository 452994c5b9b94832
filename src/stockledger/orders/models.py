"""Sales orders imported from channels: what was ordered, shipped and cancelled.

The stock an order commits and takes is written by the ledger (see services); these rows hold
the order's own state so shipping and cancelling know what remains.
"""

from django.db import models

from stockledger.core.models import CompanyScoped


class OrderStatus(models.TextChoices):
    OPEN = "open", "Open"
    PARTIALLY_SHIPPED = "partially_shipped", "Partially shipped"
    # Nothing remains and at least one unit shipped (the rest, if any, was cancelled).
    SHIPPED = "shipped", "Shipped"
    # Nothing remains and nothing shipped.
    CANCELLED = "cancelled", "Cancelled"


class Order(CompanyScoped):
    channel = models.ForeignKey(
        "channels.SalesChannel", on_delete=models.PROTECT, related_name="orders"
    )
    order_number = models.CharField(max_length=100)
    placed_at = models.DateTimeField()  # in the channel: the log's created_at for the import
    imported_at = models.DateTimeField()  # when it reached us: the log's imported_at
    warehouse = models.ForeignKey(
        "warehouses.Warehouse", on_delete=models.PROTECT, related_name="orders"
    )
    status = models.CharField(max_length=20, choices=OrderStatus.choices, default=OrderStatus.OPEN)
    imported_by = models.ForeignKey(
        "core.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            # The idempotency of imports: a channel's order number is imported once.
            models.UniqueConstraint(
                fields=["company", "channel", "order_number"], name="orders_order_once_per_channel"
            )
        ]
        indexes = [
            models.Index(fields=["company", "id"], name="orders_company_seq"),
            models.Index(fields=["company", "status", "id"], name="orders_company_status"),
        ]

    def __str__(self) -> str:
        return self.order_number

    @property
    def is_closed(self) -> bool:
        return self.status in (OrderStatus.SHIPPED, OrderStatus.CANCELLED)


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField()
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()
    shipped = models.PositiveIntegerField(default=0)
    cancelled = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["order", "product"], name="orders_line_sku_once"),
            models.CheckConstraint(
                condition=models.Q(shipped__lte=models.F("quantity") - models.F("cancelled")),
                name="orders_line_not_over_shipped",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.quantity} x {self.product_id}"

    @property
    def remaining(self) -> int:
        return self.quantity - self.shipped - self.cancelled


class OrderLineComponent(models.Model):
    """A kit line's components as the kit was defined when the order was imported.

    Shipping and cancelling release what the import committed, even if the kit is redefined
    in between.
    """

    line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="components")
    component = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="+")
    quantity_per_kit = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["line", "component"], name="orders_line_component_once")
        ]
