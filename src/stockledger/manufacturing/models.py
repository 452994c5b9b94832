"""Manufacturing orders: make N units of a product from its bill of materials."""

from django.db import models

from stockledger.core.models import CompanyScoped


class MoStatus(models.TextChoices):
    OPEN = "open", "Open"
    PARTIALLY_FINISHED = "partially_finished", "Partially finished"
    FINISHED = "finished", "Finished"


class ManufacturingOrder(CompanyScoped):
    number = models.CharField(max_length=100)  # the log's event_id
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()
    finished_quantity = models.PositiveIntegerField(default=0)
    warehouse = models.ForeignKey(
        "warehouses.Warehouse", on_delete=models.PROTECT, related_name="manufacturing_orders"
    )
    status = models.CharField(max_length=20, choices=MoStatus.choices, default=MoStatus.OPEN)
    created_by = models.ForeignKey(
        "core.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["company", "number"], name="manufacturing_mo_number"),
            models.CheckConstraint(
                condition=models.Q(finished_quantity__lte=models.F("quantity")),
                name="manufacturing_mo_not_over_finished",
            ),
        ]
        indexes = [
            models.Index(fields=["company", "status", "id"], name="manufacturing_mo_status"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def remaining(self) -> int:
        return self.quantity - self.finished_quantity


class ManufacturingOrderComponent(models.Model):
    """The bill of materials as it was when the MO was created: what finishing consumes."""

    manufacturing_order = models.ForeignKey(
        ManufacturingOrder, on_delete=models.CASCADE, related_name="components"
    )
    component = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="+")
    quantity_per_unit = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["manufacturing_order", "component"], name="manufacturing_mo_component_once"
            )
        ]
