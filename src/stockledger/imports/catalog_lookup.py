"""The one place imports find products by SKU and create them.

SKU matching follows the catalog's rule (`catalog.skus.sku_key`: NFKC, trimmed, case-folded),
by its stored `sku_key` column, so `b2` in a file finds `B2`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from stockledger.catalog.models import Product
from stockledger.catalog.services import product_create
from stockledger.catalog.skus import sku_key
from stockledger.core.models import Company

__all__ = ["ProductRef", "product_create", "products_by_sku", "sku_key"]


class ProductRef(NamedTuple):
    id: int
    sku: str
    kind: str
    archived: bool


def products_by_sku(company: Company, skus: Iterable[str]) -> dict[str, ProductRef]:
    """{sku_key: ProductRef} of the company's products among `skus` (one query)."""
    keys = list({sku_key(s) for s in skus if s})
    found: dict[str, ProductRef] = {}
    for start in range(0, len(keys), 900):
        rows = Product.objects.filter(company=company, sku_key__in=keys[start : start + 900])
        for pid, sku, kind, archived_at in rows.values_list("id", "sku", "kind", "archived_at"):
            found[sku_key(sku)] = ProductRef(pid, sku, kind, archived_at is not None)
    return found
