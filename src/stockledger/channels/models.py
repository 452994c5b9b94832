"""Sales channels (carts): where orders come from and where quantities are written back."""

from django.db import models

from stockledger.core.models import CompanyScoped


class CartType(models.TextChoices):
    SHOPIFY = "shopify"
    AMAZON = "amazon"
    ETSY = "etsy"
    EBAY = "ebay"
    WOOCOMMERCE = "woocommerce"
    BIGCOMMERCE = "bigcommerce"
    WALMART = "walmart"
    OTHER = "other"


class SalesChannel(CompanyScoped):
    # `id` is the log's cart_id; cart_type and name fill cart_type / cart_name.
    cart_type = models.CharField(max_length=20, choices=CartType.choices)
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["company", "name"], name="channels_unique_name")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.cart_type})"
