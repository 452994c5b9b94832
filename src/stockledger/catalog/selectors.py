"""Reads of the catalog with quantities (kits derived from their components)."""

from dataclasses import dataclass
from functools import partial

from django.db.models import Q, QuerySet

from stockledger.core.models import Company
from stockledger.ledger.stockbook import StockBook
from stockledger.warehouses.models import Warehouse

from .kits import kit_in_warehouse
from .models import Product, ProductKind
from .skus import sku_key


@dataclass
class WarehouseQuantities:
    warehouse_id: int
    warehouse_name: str
    physical_on_hand: int
    committed: int
    limiting_sku: str = ""  # a kit: the component that limits its available here

    @property
    def available_on_hand(self) -> int:
        return self.physical_on_hand - self.committed


@dataclass
class ProductQuantities:
    physical_on_hand: int
    committed: int
    warehouses: list[WarehouseQuantities]

    @property
    def available_on_hand(self) -> int:
        return self.physical_on_hand - self.committed


def products_search(
    *,
    company: Company,
    sku: str | None = None,
    search: str | None = None,
    archived: bool | None = False,
) -> QuerySet[Product]:
    """The company's products by SKU. `sku` is compared as SKUs are (`b2` finds `B2`);
    `archived`: False (default) active only, True archived only, None both."""
    qs = Product.objects.filter(company=company)
    if archived is not None:
        qs = qs.filter(archived_at__isnull=not archived)
    if sku:
        qs = qs.filter(sku_key=sku_key(sku))
    if search:
        qs = qs.filter(Q(sku__icontains=search) | Q(name__icontains=search))
    return qs.order_by("sku", "id")


def _warehouse_totals(book: StockBook, warehouse_id: int, product_id: int) -> tuple[int, int]:
    return book.warehouse_totals(product_id, warehouse_id)


def sku_suggestions(
    *, company: Company, typed: str, purpose: str = "", limit: int = 20
) -> list[tuple[str, str]]:
    """(sku, name) of active products whose SKU starts with what was typed, for pickers.
    `purpose` "stocked" leaves out kits (what a PO can order), "manufactured" keeps only
    products made by manufacturing orders."""
    typed = typed.strip()
    if not typed:
        return []
    qs = Product.objects.filter(company=company, archived_at__isnull=True, sku__istartswith=typed)
    if purpose == "stocked":
        qs = qs.exclude(kind=ProductKind.KIT)
    elif purpose == "manufactured":
        qs = qs.filter(kind=ProductKind.MANUFACTURED)
    return list(qs.order_by("sku").values_list("sku", "name")[:limit])


def quantities_for(products: list[Product]) -> dict[int, ProductQuantities]:
    """Totals and per-warehouse quantities for each product (kits derived)."""
    if not products:
        return {}
    company = products[0].company
    ids = {p.id for p in products}
    book = StockBook(company, ids)
    kit_ids = {p.id for p in products if p.kind == ProductKind.KIT}
    if kit_ids:
        book.load_more(book.load_kits(kit_ids))
    skus: dict[int, str] = {}
    if kit_ids:
        component_ids = {c for k in kit_ids for c, _q in book.kits.get(k, ())}
        skus = dict(Product.objects.filter(id__in=component_ids).values_list("id", "sku"))
    warehouses = list(Warehouse.objects.filter(company=company).order_by("name", "id"))
    result = {}
    for product in products:
        rows = []
        for wh in warehouses:
            if product.id in kit_ids:
                # Per warehouse: a kit ships from one (catalog/kits.py).
                kit = kit_in_warehouse(
                    book.kits.get(product.id, ()),
                    partial(_warehouse_totals, book, wh.id),
                )
                limiting = skus.get(kit.limiting_component_id or 0, "")
                rows.append(
                    WarehouseQuantities(
                        wh.id, wh.name, kit.physical_on_hand, kit.committed, limiting
                    )
                )
            elif (product.id, wh.id) in book.rows:
                physical, committed = book.warehouse_totals(product.id, wh.id)
                rows.append(WarehouseQuantities(wh.id, wh.name, physical, committed))
        physical, committed = book.product_totals(product.id)
        result[product.id] = ProductQuantities(physical, committed, rows)
    return result
