"""The kit formula, written once (PRODUCT.md "Kits").

A kit has no stock of its own and ships from one warehouse, so it is counted per warehouse:
in each warehouse, kit available = min over components of floor(component available there /
quantity per kit), never below 0; physical the same way with the components' physical. The
kit's total is the sum over warehouses (over a channel's writeback warehouses for writeback).
A kit's committed is what makes its physical and available differ: physical - available.

Every reader of kit quantities calls these functions: the ledger's row writer
(ledger/stockbook.py), the product page and API (catalog/selectors.py), the chart
(web/chart.py), channel writeback (channels/writeback.py), the demo, stock on a date. The
database computes the same thing for bulk fact rows with `kit_total_sql`, pinned to
`kit_totals` by tests/catalog/test_kits.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial

# (component id, quantity per kit), in a fixed order (the first limiting component is named).
Parts = Sequence[tuple[int, int]]
# (physical, committed) of one component in one warehouse.
Quantities = tuple[int, int]


def kit_share(have: int, per_kit: int) -> int:
    """How many kits `have` units of a component make: floor(have / per kit), never below 0."""
    return max(0, have // per_kit) if per_kit > 0 else 0


@dataclass(frozen=True)
class KitInWarehouse:
    """A kit's quantities in one warehouse, and the component that limits its available."""

    warehouse_id: int | None
    physical_on_hand: int
    available_on_hand: int
    limiting_component_id: int | None

    @property
    def committed(self) -> int:
        return self.physical_on_hand - self.available_on_hand


def kit_in_warehouse(
    parts: Parts, quantities: Callable[[int], Quantities], warehouse_id: int | None = None
) -> KitInWarehouse:
    """The kit in one warehouse, from `quantities(component id)` = its (physical, committed)
    there. A kit without components is 0."""
    physical: int | None = None
    available: int | None = None
    limiting: int | None = None
    for component_id, per_kit in parts:
        c_physical, c_committed = quantities(component_id)
        p = kit_share(c_physical, per_kit)
        a = kit_share(c_physical - c_committed, per_kit)
        physical = p if physical is None else min(physical, p)
        if available is None or a < available:
            available, limiting = a, component_id
    return KitInWarehouse(warehouse_id, physical or 0, available or 0, limiting)


def _at(
    quantities: Callable[[int, int], Quantities], warehouse_id: int, component_id: int
) -> Quantities:
    return quantities(component_id, warehouse_id)


def kit_warehouses(
    parts: Parts,
    quantities: Callable[[int, int], Quantities],
    warehouse_ids: Iterable[int],
) -> list[KitInWarehouse]:
    """The kit in each of `warehouse_ids`, from `quantities(component id, warehouse id)`."""
    return [
        kit_in_warehouse(parts, partial(_at, quantities, warehouse_id), warehouse_id)
        for warehouse_id in warehouse_ids
    ]


def kit_totals(
    parts: Parts,
    quantities: Callable[[int, int], Quantities],
    warehouse_ids: Iterable[int],
) -> Quantities:
    """The kit's (physical, committed) summed over `warehouse_ids` (every warehouse where a
    component has stock; a warehouse missing one component adds 0)."""
    physical = available = 0
    for each in kit_warehouses(parts, quantities, warehouse_ids):
        physical += each.physical_on_hand
        available += each.available_on_hand
    return physical, physical - available


def kit_total_sql(
    *,
    kit_id: str,
    company_id: str,
    expr: str,
    stock: str,
    kit_component: str,
    warehouse: str,
) -> str:
    """SQL for the kit's total of `expr` (an expression over the stock row `s`, e.g.
    `s.physical_on_hand - s.committed`): the sum over the company's warehouses of the minimum
    over components of floor(expr / per kit), never below 0 (clamping first makes SQL's
    truncating integer division agree with floor; a component without a stock row in a
    warehouse counts 0 there). `kit_id` and `company_id` are SQL references to the kit.

    The twin of `kit_totals`: tests/catalog/test_kits.py holds them equal."""
    value = f"COALESCE({expr}, 0)"
    share = f"CASE WHEN {value} <= 0 THEN 0 ELSE {value} / kc.quantity END"
    return (
        f"COALESCE((SELECT SUM(per_warehouse.share) FROM ("
        f"SELECT MIN({share}) AS share FROM {kit_component} kc "
        f"CROSS JOIN {warehouse} w "
        f"LEFT JOIN {stock} s ON s.product_id = kc.component_id AND s.warehouse_id = w.id "
        f"WHERE kc.kit_id = {kit_id} AND w.company_id = {company_id} "
        f"GROUP BY w.id) per_warehouse), 0)"
    )
