"""Products, kits and bills of materials."""

from django.db import models

from stockledger.core.models import CompanyScoped


class ProductKind(models.TextChoices):
    SIMPLE = "simple", "Product"
    KIT = "kit", "Kit"
    MANUFACTURED = "manufactured", "Manufactured"


class Product(CompanyScoped):
    sku = models.CharField(max_length=100)
    name = models.CharField(max_length=300)
    # A kit holds no stock: its quantities are derived from its components. A manufactured
    # product holds real stock, made by manufacturing orders from its bill of materials.
    kind = models.CharField(max_length=20, choices=ProductKind.choices, default=ProductKind.SIMPLE)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["company", "sku"], name="catalog_product_unique_sku")
        ]
        indexes = [models.Index(fields=["company", "name"], name="catalog_product_name")]

    def __str__(self) -> str:
        return self.sku

    @property
    def is_kit(self) -> bool:
        return self.kind == ProductKind.KIT


class KitComponent(models.Model):
    kit = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="kit_components")
    component = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="in_kits")
    quantity = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kit", "component"], name="catalog_kit_component_once")
        ]


class BomLine(models.Model):
    """One line of a bill of materials: `quantity` of `component` per unit of `product`."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="bom_lines")
    component = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="in_boms")
    quantity = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["product", "component"], name="catalog_bom_line_once")
        ]
