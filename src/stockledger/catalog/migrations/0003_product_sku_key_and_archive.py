"""SKUs compared after NFKC and case folding (a unique key per company), and archiving.

Existing products get their key from their SKU. Where a company already holds look-alikes
(`b2` and `B2`), the oldest keeps the plain key and each later one gets the key with its id
appended: both stay readable with their logs, and no new look-alike can be added.
"""

import unicodedata

from django.db import migrations, models


def _key(sku: str) -> str:
    text = unicodedata.normalize("NFKC", sku).strip()
    return unicodedata.normalize("NFKC", text.casefold())


def backfill_sku_keys(apps, schema_editor):
    Product = apps.get_model("catalog", "Product")
    seen: set[tuple[int, str]] = set()
    batch = []
    for product in Product.objects.order_by("company_id", "id").only("id", "company_id", "sku"):
        key = _key(product.sku)
        if (product.company_id, key) in seen:
            key = f"{key}#duplicate-{product.id}"
        seen.add((product.company_id, key))
        product.sku_key = key
        batch.append(product)
        if len(batch) >= 1000:
            Product.objects.bulk_update(batch, ["sku_key"])
            batch = []
    if batch:
        Product.objects.bulk_update(batch, ["sku_key"])


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0002_initial"),
        ("core", "0002_idempotency_and_rate_limits"),
    ]

    operations = [
        migrations.AddField(
            model_name="product",
            name="sku_key",
            field=models.CharField(default="", editable=False, max_length=400),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="product",
            name="archived_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(backfill_sku_keys, migrations.RunPython.noop, elidable=False),
        migrations.AddConstraint(
            model_name="product",
            constraint=models.UniqueConstraint(
                fields=("company", "sku_key"), name="catalog_product_unique_sku_key"
            ),
        ),
    ]
