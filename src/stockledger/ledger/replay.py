"""Replay the log from zero and compare with what each row recorded and with today's stock.

For every product and warehouse, the running sums of the signed changes must equal each row's
recorded warehouse quantities; the sums over warehouses must equal the row's product totals
(for products that hold stock); and the final sums must equal the stock rows.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

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
    skus = dict(products.values_list("id", "sku"))
    kinds = dict(products.values_list("id", "kind"))
    companies = dict(products.values_list("id", "company_id"))

    rows = LogEntry.objects.filter(product_id__in=products.values("id")).order_by(
        "product_id", "id"
    )
    current_product = None
    running: dict[int, list[int]] = {}

    def finish(product_id: int) -> Iterator[Mismatch]:
        if kinds.get(product_id) == ProductKind.KIT:
            return
        actual = {
            w: (p, c)
            for w, p, c in Stock.objects.filter(product_id=product_id).values_list(
                "warehouse_id", "physical_on_hand", "committed"
            )
        }
        for warehouse_id in set(actual) | set(running):
            a_p, a_c = actual.get(warehouse_id, (0, 0))
            r_p, r_c = running.get(warehouse_id, [0, 0])
            cid, sku = companies[product_id], skus[product_id]
            if a_p != r_p:
                yield Mismatch(cid, sku, warehouse_id, None, "physical on hand", a_p, r_p)
            if a_c != r_c:
                yield Mismatch(cid, sku, warehouse_id, None, "committed", a_c, r_c)

    pending: list[tuple[Any, ...]] = []  # the rows of one event of the current product

    def check_event() -> Iterator[Mismatch]:
        """The product totals of every row of the event just applied: those after it."""
        if not pending:
            return
        total_physical = sum(s[0] for s in running.values())
        total_committed = sum(s[1] for s in running.values())
        for seq, product_id, physical, committed, available, event_type in pending:
            if event_type == "export":
                continue  # an export row's available_on_hand is the quantity written
            cid, sku = companies[product_id], skus[product_id]
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
        pending.clear()

    current_group = None
    for row in rows.values_list(*_FIELDS).iterator(chunk_size=5000):
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
        if product_id != current_product or event_group is None or event_group != current_group:
            yield from check_event()
        current_group = event_group
        if product_id != current_product:
            if current_product is not None:
                yield from finish(current_product)
            current_product, running = product_id, {}
        if kinds.get(product_id) == ProductKind.KIT:
            continue  # kits hold no stock; their recorded quantities are derived
        cid, sku = companies[product_id], skus[product_id]
        if warehouse_id is not None:
            state = running.setdefault(warehouse_id, [0, 0])
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
        pending.append((seq, product_id, physical, committed, available, event_type))
    yield from check_event()
    if current_product is not None:
        yield from finish(current_product)

    # Products with stock rows but no log rows at all.
    logged = LogEntry.objects.filter(product_id__in=products.values("id")).values("product_id")
    for product_id, warehouse_id, p, _c in (
        Stock.objects.filter(product_id__in=products.values("id"))
        .exclude(product_id__in=logged)
        .exclude(physical_on_hand=0, committed=0)
        .values_list("product_id", "warehouse_id", "physical_on_hand", "committed")
    ):
        yield Mismatch(
            companies[product_id],
            skus[product_id],
            warehouse_id,
            None,
            "stock with no log rows (physical, committed)",
            p,
            0,
        )
