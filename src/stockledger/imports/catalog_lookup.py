"""The one place imports find products by SKU and create them.

SKU matching follows the catalog: today a SKU matches after trimming. When the catalog
normalises SKUs (NFKC, case-folded), switch `sku_key` and `products_by_sku` to its functions
and every import kind follows.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from stockledger.catalog.models import Product
from stockledger.catalog.services import product_create
from stockledger.core.models import Company

__all__ = ["ProductRef", "product_create", "products_by_sku", "sku_key"]


class ProductRef(NamedTuple):
    id: int
    sku: str
    kind: str


def sku_key(sku: str) -> str:
    return sku.strip()


def products_by_sku(company: Company, skus: Iterable[str]) -> dict[str, ProductRef]:
    """{sku_key: ProductRef} of the company's products among `skus` (one query)."""
    keys = list({sku_key(s) for s in skus if s})
    found: dict[str, ProductRef] = {}
    for start in range(0, len(keys), 900):
        rows = Product.objects.filter(company=company, sku__in=keys[start : start + 900])
        for pid, sku, kind in rows.values_list("id", "sku", "kind"):
            found[sku_key(sku)] = ProductRef(pid, sku, kind)
    return found
