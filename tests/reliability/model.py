"""A small in-memory model of stock quantities and of the log rows each operation writes.

Per SKU and warehouse: physical on hand and committed. Kits hold nothing: their quantities
are derived from their components per warehouse (min over components of floor(component there
/ per kit), never below 0; physical the same way, committed = physical - available), and a
kit's total is the sum of that over warehouses. Each `row()` applies one
change and returns the row the ledger must write for it, with the quantities that resulted.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from stockledger.core.errors import InsufficientStock


class Refused(Exception):
    """The model says the service must refuse this operation (with `kind`)."""

    def __init__(self, kind: type[Exception], why: str = "") -> None:
        super().__init__(why)
        self.kind = kind


@dataclass
class StockModel:
    kits: dict[str, dict[str, int]]  # kit sku -> {component sku: per kit}, in component order
    stock: dict[tuple[str, int], list[int]] = field(default_factory=dict)
    rows: list[dict] = field(default_factory=list)  # every row written, in sequence order

    def snapshot(self):
        return copy.deepcopy(self.stock), len(self.rows)

    def restore(self, snapshot) -> None:
        self.stock, count = copy.deepcopy(snapshot[0]), snapshot[1]
        del self.rows[count:]

    # --- quantities ----------------------------------------------------------------------

    def held(self, sku: str, warehouse_id: int) -> tuple[int, int]:
        physical, committed = self.stock.get((sku, warehouse_id), (0, 0))
        return physical, committed

    def _sum(self, sku: str) -> tuple[int, int]:
        rows = [v for (s, _), v in self.stock.items() if s == sku]
        return sum(v[0] for v in rows), sum(v[1] for v in rows)

    def _kit(self, kit: str, totals) -> tuple[int, int]:
        physical = available = None
        for component, per_kit in self.kits[kit].items():
            c_physical, c_committed = totals(component)
            p = max(0, c_physical // per_kit)
            a = max(0, (c_physical - c_committed) // per_kit)
            physical = p if physical is None else min(physical, p)
            available = a if available is None else min(available, a)
        return physical, physical - available

    def totals(self, sku: str, warehouse_id: int | None = None) -> tuple[int, int]:
        """(physical, committed) of a SKU, over all warehouses or in one."""
        if sku in self.kits:
            if warehouse_id is None:
                warehouses = {w for (s, w) in self.stock if s in self.kits[sku]}
                per_warehouse = [self._kit(sku, lambda c, w=w: self.held(c, w)) for w in warehouses]
                physical = sum(p for p, _c in per_warehouse)
                return physical, sum(c for _p, c in per_warehouse)
            return self._kit(sku, lambda c: self.held(c, warehouse_id))
        if warehouse_id is None:
            return self._sum(sku)
        return self.held(sku, warehouse_id)

    # --- rows ----------------------------------------------------------------------------

    def finish_event(self, first: int) -> None:
        """The rows from `first` on are one event: each shows its product's totals after the
        whole event (a transfer's sending row does not show the units in transit)."""
        for row in self.rows[first:]:
            if row["event_type"] == "export":
                continue  # the quantity written
            total_p, total_c = self.totals(row["sku"])
            row.update(
                physical_on_hand=total_p, committed=total_c, available_on_hand=total_p - total_c
            )

    def row(
        self,
        event_type: str,
        sku: str,
        warehouse_id: int | None,
        *,
        physical: int = 0,
        committed: int = 0,
        quantity: int | None = None,
        allow_negative: bool = False,
        **columns,
    ) -> dict:
        """Apply one line and return the row it logs (refusing as the ledger does)."""
        went_negative = False
        if physical or committed:
            assert sku not in self.kits
            state = self.stock.setdefault((sku, warehouse_id), [0, 0])
            state[0] += physical
            state[1] += committed
            if state[0] < 0 and physical < 0:
                if not allow_negative:
                    raise Refused(InsufficientStock, f"{sku} would go below zero")
                went_negative = True
            if state[1] < 0:
                raise Refused(InsufficientStock, f"{sku} committed would go below zero")
        total_p, total_c = self.totals(sku)
        row = {
            "event_type": event_type,
            "sku": sku,
            "warehouse_id": warehouse_id,
            "quantity": quantity,
            "physical_change": physical,
            "committed_change": committed,
            "physical_on_hand": total_p,
            "committed": total_c,
            "available_on_hand": total_p - total_c,
            "went_negative": went_negative,
        }
        if warehouse_id is not None:
            wh_p, wh_c = self.totals(sku, warehouse_id)
            row.update(
                warehouse_physical_on_hand=wh_p,
                warehouse_committed=wh_c,
                warehouse_available_on_hand=wh_p - wh_c,
            )
        row.update(columns)
        self.rows.append(row)
        return row
