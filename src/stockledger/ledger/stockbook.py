"""Stock quantities of a set of products, including kits derived from their components.

The ledger uses it to apply changes line by line; pages and the API use it to read totals.
"""

from collections.abc import Callable, Iterable, Sequence
from typing import cast

from django.db import connections, router

from stockledger.catalog.kits import kit_in_warehouse, kit_totals
from stockledger.catalog.models import KitComponent, Product
from stockledger.core.models import Company
from stockledger.warehouses.models import Stock, Warehouse

_CHUNK = 5000


def chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


class StockBook:
    """The stock rows of the products a record touches, as they change line by line."""

    def __init__(self, company: Company, product_ids: set[int], *, load: bool = True) -> None:
        self.company = company
        self.rows: dict[tuple[int, int], Stock] = {}
        self.by_product: dict[int, list[Stock]] = {}
        self.dirty: dict[tuple[int, int], Stock] = {}
        self.kits: dict[int, list[tuple[int, int]]] = {}
        if load:
            self.reload(product_ids)

    def reload(self, product_ids: set[int]) -> None:
        """Read the stock rows of these products (call once their rows are locked)."""
        self.rows.clear()
        self.by_product.clear()
        for stock in _stock_rows(sorted(product_ids)):
            self._add(stock)

    def _add(self, stock: Stock) -> None:
        self.rows[(stock.product_id, stock.warehouse_id)] = stock
        self.by_product.setdefault(stock.product_id, []).append(stock)

    def load_kits(self, kit_ids: set[int]) -> set[int]:
        component_ids: set[int] = set()
        ids = sorted(kit_ids)
        for chunk in chunks(ids):
            for kit_id, component_id, qty in (
                KitComponent.objects.filter(kit_id__in=chunk)
                .order_by("kit_id", "component_id")
                .values_list("kit_id", "component_id", "quantity")
            ):
                self.kits.setdefault(kit_id, []).append((component_id, qty))
                component_ids.add(component_id)
        return component_ids

    def load_more(self, product_ids: set[int]) -> None:
        for stock in _stock_rows(sorted(p for p in product_ids if p not in self.by_product)):
            self._add(stock)

    def row(self, product: Product, warehouse: Warehouse) -> Stock:
        key = (product.id, warehouse.id)
        stock = self.rows.get(key)
        if stock is None:
            stock = Stock(
                company=self.company,
                product=product,
                warehouse=warehouse,
                physical_on_hand=0,
                committed=0,
            )
            self._add(stock)
        return stock

    def warehouse_totals(self, product_id: int, warehouse_id: int) -> tuple[int, int]:
        """(physical, committed) in one warehouse; for a kit, derived from its components."""
        if product_id in self.kits:
            kit = kit_in_warehouse(
                self.kits[product_id], lambda c: self._one(c, warehouse_id), warehouse_id
            )
            return kit.physical_on_hand, kit.committed
        return self._one(product_id, warehouse_id)

    def product_totals(self, product_id: int) -> tuple[int, int]:
        """(physical, committed) summed over warehouses; for a kit, the sum over warehouses
        of what its components there make."""
        if product_id in self.kits:
            return kit_totals(self.kits[product_id], self._one, self.kit_warehouse_ids(product_id))
        return self._sum(product_id)

    def kit_warehouse_ids(self, kit_id: int) -> list[int]:
        """The warehouses where any of the kit's components has a stock row."""
        ids = {
            s.warehouse_id
            for c, _q in self.kits.get(kit_id, ())
            for s in self.by_product.get(c, ())
        }
        return sorted(ids)

    def _one(self, product_id: int, warehouse_id: int) -> tuple[int, int]:
        stock = self.rows.get((product_id, warehouse_id))
        return (stock.physical_on_hand, stock.committed) if stock else (0, 0)

    def _sum(self, product_id: int) -> tuple[int, int]:
        rows = self.by_product.get(product_id, ())
        return sum(s.physical_on_hand for s in rows), sum(s.committed for s in rows)

    def save(self) -> None:
        new = [s for s in self.dirty.values() if s.pk is None]
        # By identity: `stock not in new` compared models one by one (quadratic: 36 s for
        # 10,000 new stock rows in one record).
        created = {id(s) for s in new}
        if new:
            Stock.objects.bulk_create(new)
        changed = [
            (stock.physical_on_hand, stock.committed, stock.pk)
            for stock in self.dirty.values()
            if id(stock) not in created
        ]
        if changed:
            connection = connections[router.db_for_write(Stock)]
            sql = _update_sql(connection.ops.quote_name)
            with connection.cursor() as cursor:
                if len(changed) == 1:  # most changes: psycopg's executemany pipelines
                    cursor.execute(sql, changed[0])
                else:
                    cursor.executemany(sql, changed)


# The two statements of every stock change, written once: building them through the ORM cost
# more than running them.
_STOCK_FIELDS = tuple(Stock._meta.concrete_fields)


def _stock_rows(product_ids: Sequence[int]) -> Iterable[Stock]:
    """The stock rows of the products, as Stock objects."""
    if not product_ids:
        return
    alias = router.db_for_read(Stock)
    connection = connections[alias]
    qn = connection.ops.quote_name
    names = [f.attname for f in _STOCK_FIELDS]
    columns = ", ".join(qn(cast(str, f.column)) for f in _STOCK_FIELDS)
    table = qn(Stock._meta.db_table)
    with connection.cursor() as cursor:
        for chunk in chunks(product_ids):
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(
                f"SELECT {columns} FROM {table} WHERE {qn('product_id')} IN ({marks})",
                list(chunk),
            )
            for row in cursor.fetchall():
                yield Stock.from_db(alias, names, row)


def _update_sql(qn: Callable[[str], str]) -> str:
    return (
        f"UPDATE {qn(Stock._meta.db_table)} SET {qn('physical_on_hand')} = %s, "
        f"{qn('committed')} = %s WHERE {qn('id')} = %s"
    )
