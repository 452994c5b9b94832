"""Inventory transfers: stock moved from a sending to a receiving warehouse in one step.

A transfer is immediate (no in-transit state): the stock leaves one warehouse and arrives in
the other in the same transaction, logged as `inventory_transfer` rows.
"""

from django.db import models
from django.db.models import Q

from stockledger.core.models import CompanyScoped


class Transfer(CompanyScoped):
    # Given by the caller or assigned as "TR-<id>"; the log's event_id.
    number = models.CharField(max_length=100, blank=True, default="")
    sending_warehouse = models.ForeignKey(
        "warehouses.Warehouse", on_delete=models.PROTECT, related_name="+"
    )
    receiving_warehouse = models.ForeignKey(
        "warehouses.Warehouse", on_delete=models.PROTECT, related_name="+"
    )
    notes = models.TextField(blank=True, default="")
    transferred_at = models.DateTimeField()
    user = models.ForeignKey(
        "core.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            # Blank only between the insert and the assignment of "TR-<id>" in one transaction.
            models.UniqueConstraint(
                fields=["company", "number"],
                condition=~Q(number=""),
                name="transfers_number_once",
            ),
            models.CheckConstraint(
                condition=~Q(sending_warehouse=models.F("receiving_warehouse")),
                name="transfers_two_warehouses",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class TransferLine(models.Model):
    transfer = models.ForeignKey(Transfer, on_delete=models.CASCADE, related_name="lines")
    # A kit line moves the kit's components by the kit ratio; the line keeps the kit.
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveBigIntegerField()
    notes = models.TextField(blank=True, default="")
