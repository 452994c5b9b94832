"""Products, kits and bills of materials."""

from django.db import models

from stockledger.core.models import CompanyScoped

from .skus import SKU_KEY_MAX, sku_key


class ProductKind(models.TextChoices):
    SIMPLE = "simple", "Product"
    KIT = "kit", "Kit"
    MANUFACTURED = "manufactured", "Manufactured"


class ProductManager(models.Manager["Product"]):
    def bulk_create(self, objs, *args, **kwargs):
        # bulk_create skips save(): fill the comparison key here too.
        objs = list(objs)
        for obj in objs:
            obj.fill_sku_key()
        return super().bulk_create(objs, *args, **kwargs)


class Product(CompanyScoped):
    sku = models.CharField(max_length=100)
    # The SKU as compared (NFKC, case-folded; see skus.py): unique per company, so `b2` and
    # `B2`, or a full-width look-alike, cannot become two products.
    sku_key = models.CharField(max_length=SKU_KEY_MAX, editable=False)
    name = models.CharField(max_length=300)
    # A kit holds no stock: its quantities are derived from its components. A manufactured
    # product holds real stock, made by manufacturing orders from its bill of materials.
    kind = models.CharField(max_length=20, choices=ProductKind.choices, default=ProductKind.SIMPLE)
    created_at = models.DateTimeField(auto_now_add=True)
    # Archived: hidden from lists and refused in new documents; its log stays readable.
    archived_at = models.DateTimeField(null=True, blank=True)

    objects = ProductManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["company", "sku"], name="catalog_product_unique_sku"),
            models.UniqueConstraint(
                fields=["company", "sku_key"], name="catalog_product_unique_sku_key"
            ),
        ]
        indexes = [models.Index(fields=["company", "name"], name="catalog_product_name")]

    def __str__(self) -> str:
        return self.sku

    @property
    def is_kit(self) -> bool:
        return self.kind == ProductKind.KIT

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    def fill_sku_key(self) -> None:
        self.sku_key = sku_key(self.sku)

    def save(self, *args, **kwargs):
        self.fill_sku_key()
        super().save(*args, **kwargs)


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
