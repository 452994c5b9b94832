"""The checks of each kind of import (see `checks` for the file layouts and the shared steps)."""

from __future__ import annotations

from django.db.models import Count

from stockledger.catalog.models import ProductKind
from stockledger.core.limits import NOTES_MAX
from stockledger.ledger.models import AdjustmentReason
from stockledger.purchasing.models import PurchaseOrder
from stockledger.warehouses.models import Stock

from .catalog_lookup import products_by_sku, sku_key
from .checks import REASONS, Checks, Rows, parse_components
from .models import ImportKind, ImportRow, RowAction
from .reading import header_key

# --- counts ------------------------------------------------------------------------------


class CountChecks(Checks):
    kind = ImportKind.COUNTS

    def check_rows(self, rows: list[Rows]) -> list[dict | None]:
        products = products_by_sku(self.company, (r.get("sku") for r in rows))
        staged: list[dict | None] = []
        adjust_keys = []
        for row in rows:
            sku = self.sku(row)
            product = products.get(sku_key(sku)) if sku else None
            if sku and not row.problems and product is None:
                row.bad("sku", f"unknown SKU {sku!r}")
            elif product is not None and product.archived:
                row.bad("sku", f"{product.sku} is archived: unarchive it to count it")
            elif product is not None and product.kind == ProductKind.KIT:
                row.bad("sku", f"{product.sku} is a kit: kits hold no stock; count its components")
            warehouse_id = self.warehouse_id(row)
            quantity = self.quantity(row)
            mode = (row.get("mode") or "set").lower()
            if mode in ("count", "="):
                mode = "set"
            if mode not in ("set", "adjust"):
                row.bad("mode", f"mode must be set or adjust, not {row.get('mode')!r}")
            elif quantity is not None:
                if mode == "set" and quantity < 0:
                    row.bad("quantity", "negative count: a count cannot be below zero")
                if mode == "adjust" and quantity == 0:
                    row.bad("quantity", "an adjustment must not be zero")
            reason_text = row.get("reason")
            reason = REASONS.get(header_key(reason_text)) if reason_text else ""
            if reason is None:
                row.bad(
                    "reason",
                    f"unknown reason {reason_text!r}: one of {', '.join(AdjustmentReason.values)}",
                )
            note = row.get("note")
            if len(note) > NOTES_MAX:
                row.bad("note", f"note is longer than {NOTES_MAX} characters")
            if row.problems:
                staged.append(None)
                continue
            assert product is not None and quantity is not None  # else a problem was noted
            if mode == "adjust" and quantity < 0:
                adjust_keys.append((row, product.id, warehouse_id, quantity))
            staged.append(
                dict(
                    job_id=self.job.id,
                    row_number=row.number,
                    action=RowAction.SET if mode == "set" else RowAction.ADJUST,
                    sku=product.sku,
                    product_id=product.id,
                    warehouse_id=warehouse_id,
                    quantity=quantity,
                    reason=reason or "",
                    note=note,
                    cells=row.cells,
                )
            )
        if adjust_keys:
            self._check_takes(adjust_keys)
        return staged

    def _check_takes(self, keys) -> None:
        """A negative adjustment may not take more than is there now (checked again when
        applied, under the ledger's locks)."""
        stock = dict(
            (((p, w), q))
            for p, w, q in Stock.objects.filter(
                product_id__in={k[1] for k in keys}, warehouse_id__in={k[2] for k in keys}
            ).values_list("product_id", "warehouse_id", "physical_on_hand")
        )
        for row, product_id, warehouse_id, change in keys:
            have = stock.get((product_id, warehouse_id), 0)
            if have + change < 0:
                row.bad(
                    "quantity",
                    f"would leave physical on hand below zero: {have} there, cannot take {-change}",
                )

    def finish(self) -> None:
        pairs = [
            (row, "sku", f"duplicate: {row.sku} in this warehouse is also on row {first}")
            for row, first in self.duplicates(("product_id", "warehouse_id"))
        ]
        self.refuse_staged(pairs)


# --- products ----------------------------------------------------------------------------


class ProductChecks(Checks):
    kind = ImportKind.PRODUCTS

    def check_rows(self, rows: list[Rows]) -> list[dict | None]:
        existing = products_by_sku(self.company, (r.get("sku") for r in rows))
        staged: list[dict | None] = []
        for row in rows:
            sku = self.sku(row)
            name = row.get("name")
            if not name:
                row.bad("name", "no name given")
            elif len(name) > 300:
                row.bad("name", "name is longer than 300 characters")
            kind_text = header_key(row.get("kind"))
            components_text = row.get("components")
            unreadable = False
            try:
                components = parse_components(components_text)
            except ValueError as exc:
                row.bad("components", str(exc))
                components, unreadable = [], True
            kind = {"": "", "product": "simple", "bom": "manufactured"}.get(kind_text, kind_text)
            if kind not in ("", *ProductKind.values):
                row.bad(
                    "kind", f"kind must be simple, kit or manufactured, not {row.get('kind')!r}"
                )
            kind = kind or (ProductKind.KIT if components else ProductKind.SIMPLE)
            if kind == ProductKind.SIMPLE and components:
                row.bad(
                    "components", "a simple product has no components (kind kit or manufactured)"
                )
            if kind in (ProductKind.KIT, ProductKind.MANUFACTURED) and not (
                components or unreadable
            ):
                row.bad("components", f'a {kind} product needs components ("SKU:qty;SKU:qty")')
            if any(sku_key(c) == sku_key(sku) for c, _ in components if sku):
                row.bad("components", "a product cannot contain itself")
            if row.problems:
                staged.append(None)
                continue
            found = existing.get(sku_key(sku))
            staged.append(
                dict(
                    job_id=self.job.id,
                    row_number=row.number,
                    action=RowAction.EXISTS if found else RowAction.CREATE,
                    sku=found.sku if found else sku,
                    product_id=found.id if found else None,
                    name=name,
                    product_kind=kind,
                    components=";".join(f"{c}:{q}" for c, q in components),
                    cells=row.cells,
                )
            )
        return staged

    def finish(self) -> None:
        self.refuse_staged(
            [
                (row, "sku", f"duplicate SKU in the file: {row.sku} is also on row {first}")
                for row, first in self.duplicates(("sku",))
            ]
        )
        self._check_components()

    def _check_components(self) -> None:
        """Every component exists (in the catalog, or as a non-kit product of this file)."""
        staged = ImportRow.objects.filter(job=self.job, action=RowAction.CREATE).exclude(
            components=""
        )
        refused = []
        last = 0
        while batch := list(staged.filter(id__gt=last).order_by("id")[:500]):
            last = batch[-1].id
            named = {c for r in batch for c, _ in parse_components(r.components)}
            known = {k: p.kind for k, p in products_by_sku(self.company, named).items()}
            for sku, kind in ImportRow.objects.filter(
                job=self.job,
                action=RowAction.CREATE,
                sku__in={c for c in named if sku_key(c) not in known},
            ).values_list("sku", "product_kind"):
                known[sku_key(sku)] = kind
            for row in batch:
                for component, _ in parse_components(row.components):
                    component_kind = known.get(sku_key(component))
                    if component_kind is None:
                        refused.append((row, "components", f"unknown component SKU {component!r}"))
                        break
                    if component_kind == ProductKind.KIT:
                        refused.append(
                            (row, "components", f"{component} is a kit; kits cannot be components")
                        )
                        break
        self.refuse_staged(refused)


# --- purchase order lines ----------------------------------------------------------------


class PurchaseOrderChecks(Checks):
    kind = ImportKind.PURCHASE_ORDERS

    def check_rows(self, rows: list[Rows]) -> list[dict | None]:
        products = products_by_sku(self.company, (r.get("sku") for r in rows))
        numbers = {r.get("po_number") for r in rows}
        taken = set(
            PurchaseOrder.objects.filter(company=self.company, number__in=numbers).values_list(
                "number", flat=True
            )
        )
        staged: list[dict | None] = []
        for row in rows:
            number = row.get("po_number")
            if not number:
                row.bad("po_number", "no PO number given")
            elif len(number) > 100:
                row.bad("po_number", "PO number is longer than 100 characters")
            elif number in taken:
                row.bad("po_number", f"purchase order {number!r} already exists")
            sku = self.sku(row)
            product = products.get(sku_key(sku)) if sku else None
            if sku and product is None and not any(c == "sku" for c, _ in row.problems):
                row.bad("sku", f"unknown SKU {sku!r}")
            elif product is not None and product.archived:
                row.bad("sku", f"{product.sku} is archived: unarchive it to order it")
            elif product is not None and product.kind == ProductKind.KIT:
                row.bad("sku", f"{product.sku} is a kit: kits hold no stock; order its components")
            quantity = self.quantity(row)
            if quantity is not None and quantity < 1:
                row.bad("quantity", "quantity must be at least 1")
            warehouse_id = self.warehouse_id(row, required=False)
            supplier = row.get("supplier")
            if len(supplier) > 200:
                row.bad("supplier", "supplier is longer than 200 characters")
            if row.problems:
                staged.append(None)
                continue
            assert product is not None  # else a problem was noted
            staged.append(
                dict(
                    job_id=self.job.id,
                    row_number=row.number,
                    action=RowAction.PO_LINE,
                    sku=product.sku,
                    product_id=product.id,
                    warehouse_id=warehouse_id,
                    quantity=quantity,
                    document=number,
                    supplier=supplier,
                    cells=row.cells,
                )
            )
        return staged

    def finish(self) -> None:
        refused = [
            (row, "sku", f"{row.sku} is listed twice in PO {row.document} (also row {first})")
            for row, first in self.duplicates(("document", "product_id"))
        ]
        self.refuse_staged(refused)
        staged = ImportRow.objects.filter(job=self.job)
        for column, field in (("warehouse", "warehouse_id"), ("supplier", "supplier")):
            split = (
                staged.values("document")
                .annotate(n=Count(field, distinct=True))
                .filter(n__gt=1)
                .values_list("document", flat=True)
            )
            for number in list(split):
                rows = list(staged.filter(document=number).order_by("row_number"))
                first = getattr(rows[0], field)
                self.refuse_staged(
                    [
                        (
                            r,
                            column,
                            f"PO {number}: every line needs the {column} of row {rows[0].row_number}",
                        )
                        for r in rows[1:]
                        if getattr(r, field) != first
                    ]
                )


CHECKS: dict[str, type[Checks]] = {
    ImportKind.COUNTS: CountChecks,
    ImportKind.PRODUCTS: ProductChecks,
    ImportKind.PURCHASE_ORDERS: PurchaseOrderChecks,
}
