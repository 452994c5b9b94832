"""Warehouses and the stock held in each (written only by the ledger service)."""

from django.db import models

from stockledger.core.models import CompanyScoped


class Warehouse(CompanyScoped):
    # Log rows copy the name when they are written: a rename never changes old rows.
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    # Archived: hidden from pickers and refused for new documents; its log rows stay.
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["company", "name"], name="warehouses_unique_name")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class Stock(CompanyScoped):
    """Physical on hand and committed units of one product in one warehouse.

    Only `stockledger.ledger.services` writes these rows, in the same transaction as the log
    rows that explain the change.
    """

    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="stock")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="stock")
    physical_on_hand = models.BigIntegerField(default=0)
    committed = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["company", "product", "warehouse"], name="warehouses_stock_once"
            )
        ]

    @property
    def available_on_hand(self) -> int:
        return self.physical_on_hand - self.committed
