"""Replay the log from zero and compare with what each row recorded and with today's stock.

For every product and warehouse, the running sums of the signed changes must equal each row's
recorded warehouse quantities; the sums over warehouses must equal the row's product totals
(for products that hold stock); and the final sums must equal the stock rows.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from stockledger.catalog.models import Product, ProductKind
from stockledger.core.models import Company
from stockledger.warehouses.models import Stock

from .models import LogEntry


@dataclass(frozen=True)
class Mismatch:
    company_id: int
    sku: str
    warehouse_id: int | None
    sequence: int | None
    what: str
    recorded: int | None
    replayed: int | None

    def __str__(self) -> str:
        where = f"warehouse {self.warehouse_id}" if self.warehouse_id else "all warehouses"
        row = f"row #{self.sequence}" if self.sequence else "current stock"
        return (
            f"company {self.company_id} SKU {self.sku} {where} {row}: {self.what} "
            f"recorded {self.recorded}, replay gives {self.replayed}"
        )


_FIELDS = (
    "id",
    "product_id",
    "warehouse_id",
    "physical_change",
    "committed_change",
    "warehouse_physical_on_hand",
    "warehouse_committed",
    "physical_on_hand",
    "committed",
    "available_on_hand",
    "event_type",
    "event_group",
)


def replay(company: Company | None = None) -> Iterator[Mismatch]:
    """Yield every mismatch between the log's replay and the recorded quantities and stock."""
    products = Product.objects.all()
    if company is not None:
        products = products.filter(company=company)
    state = _Replay(products)
    rows = LogEntry.objects.filter(product_id__in=products.values("id")).order_by(
        "product_id", "id"
    )
    for row in rows.values_list(*_FIELDS).iterator(chunk_size=5000):
        yield from state.apply(row)
    yield from state.end()
    yield from _unlogged_stock(products, state)


class _Replay:
    """The running sums of one product at a time, per warehouse, read row by row (in product
    and id order), with the rows of the event being applied."""

    def __init__(self, products: QuerySet[Product]) -> None:
        self.skus = dict(products.values_list("id", "sku"))
        self.kinds = dict(products.values_list("id", "kind"))
        self.companies = dict(products.values_list("id", "company_id"))
        self.product: int | None = None
        self.group = None
        self.running: dict[int, list[int]] = {}
        self.pending: list[tuple[Any, ...]] = []  # the rows of one event of the current product

    def apply(self, row: tuple[Any, ...]) -> Iterator[Mismatch]:
        """Add one log row to the sums; yield what it recorded differently."""
        (
            seq,
            product_id,
            warehouse_id,
            d_physical,
            d_committed,
            wh_physical,
            wh_committed,
            physical,
            committed,
            available,
            event_type,
            event_group,
        ) = row
        if product_id != self.product or event_group is None or event_group != self.group:
            yield from self.check_event()
        self.group = event_group
        if product_id != self.product:
            if self.product is not None:
                yield from self.check_stock(self.product)
            self.product, self.running = product_id, {}
        if self.kinds.get(product_id) == ProductKind.KIT:
            return  # kits hold no stock; their recorded quantities are derived
        cid, sku = self.companies[product_id], self.skus[product_id]
        if warehouse_id is not None:
            state = self.running.setdefault(warehouse_id, [0, 0])
            state[0] += d_physical
            state[1] += d_committed
            if wh_physical is not None and wh_physical != state[0]:
                yield Mismatch(
                    cid, sku, warehouse_id, seq, "warehouse physical on hand", wh_physical, state[0]
                )
            if wh_committed is not None and wh_committed != state[1]:
                yield Mismatch(
                    cid, sku, warehouse_id, seq, "warehouse committed", wh_committed, state[1]
                )
        elif d_physical or d_committed:
            yield Mismatch(cid, sku, None, seq, "change without a warehouse", 0, d_physical)
        self.pending.append((seq, product_id, physical, committed, available, event_type))

    def end(self) -> Iterator[Mismatch]:
        """After the last row: the last event and the last product's stock."""
        yield from self.check_event()
        if self.product is not None:
            yield from self.check_stock(self.product)

    def check_event(self) -> Iterator[Mismatch]:
        """The product totals of every row of the event just applied: those after it."""
        if not self.pending:
            return
        total_physical = sum(s[0] for s in self.running.values())
        total_committed = sum(s[1] for s in self.running.values())
        for seq, product_id, physical, committed, available, event_type in self.pending:
            if event_type == "export":
                continue  # an export row's available_on_hand is the quantity written
            cid, sku = self.companies[product_id], self.skus[product_id]
            if physical is not None and physical != total_physical:
                yield Mismatch(cid, sku, None, seq, "physical on hand", physical, total_physical)
            if committed is not None and committed != total_committed:
                yield Mismatch(cid, sku, None, seq, "committed", committed, total_committed)
            if available is not None and available != total_physical - total_committed:
                yield Mismatch(
                    cid,
                    sku,
                    None,
                    seq,
                    "available on hand",
                    available,
                    total_physical - total_committed,
                )
        self.pending.clear()

    def check_stock(self, product_id: int) -> Iterator[Mismatch]:
        """The product's stock rows against the sums of its log."""
        if self.kinds.get(product_id) == ProductKind.KIT:
            return
        actual = {
            w: (p, c)
            for w, p, c in Stock.objects.filter(product_id=product_id).values_list(
                "warehouse_id", "physical_on_hand", "committed"
            )
        }
        for warehouse_id in set(actual) | set(self.running):
            a_p, a_c = actual.get(warehouse_id, (0, 0))
            r_p, r_c = self.running.get(warehouse_id, [0, 0])
            cid, sku = self.companies[product_id], self.skus[product_id]
            if a_p != r_p:
                yield Mismatch(cid, sku, warehouse_id, None, "physical on hand", a_p, r_p)
            if a_c != r_c:
                yield Mismatch(cid, sku, warehouse_id, None, "committed", a_c, r_c)


def _unlogged_stock(products: QuerySet[Product], state: _Replay) -> Iterator[Mismatch]:
    """Products with stock rows but no log rows at all."""
    logged = LogEntry.objects.filter(product_id__in=products.values("id")).values("product_id")
    for product_id, warehouse_id, p, _c in (
        Stock.objects.filter(product_id__in=products.values("id"))
        .exclude(product_id__in=logged)
        .exclude(physical_on_hand=0, committed=0)
        .values_list("product_id", "warehouse_id", "physical_on_hand", "committed")
    ):
        yield Mismatch(
            state.companies[product_id],
            state.skus[product_id],
            warehouse_id,
            None,
            "stock with no log rows (physical, committed)",
            p,
            0,
        )
