"""Applying a checked import: one transaction for the whole file, through the ledger and the
catalog / purchasing services. Staged rows are read back in batches, so memory stays flat.

Counts: each batch of `BATCH` rows is one `ledger_record` call (it locks the batch's products
in id order and writes stock and `on_hand` log rows together, as the bulk order import does),
after the products are locked and their current stock read (a set writes the difference).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from typing import NamedTuple, cast

from stockledger.catalog.models import Product, ProductKind
from stockledger.core.errors import DomainError
from stockledger.core.models import User
from stockledger.ledger.models import EventType
from stockledger.ledger.services import LogLine, ledger_record, lock_products, write_transaction
from stockledger.purchasing import services as purchasing
from stockledger.warehouses.models import Stock, Warehouse

from .catalog_lookup import product_create
from .checks import parse_components
from .models import Import, ImportKind, ImportRow, RowAction
from .table_stats import GROWN, refresh_if_large

BATCH = 1000


class RowRefused(DomainError):
    """Applying refused a row (stock changed since the preview, a service said no)."""

    def __init__(self, row_number: int, column: str, message: str) -> None:
        super().__init__(f"row {row_number}, {column}: {message}", field=column)
        self.row_number = row_number
        self.column = column
        self.reason = message


class Staged(NamedTuple):
    id: int
    row_number: int
    action: str
    sku: str
    product_id: int | None
    warehouse_id: int | None
    quantity: int | None
    reason: str
    note: str
    name: str
    product_kind: str
    components: str
    document: str
    supplier: str


def staged(job: Import, **filters) -> Iterator[list[Staged]]:
    """The import's good rows in file order, `BATCH` at a time (keyset by id), as tuples."""
    last = 0
    qs = ImportRow.objects.filter(job=job, **filters).order_by("id").values_list(*Staged._fields)
    while batch := [Staged(*r) for r in qs.filter(id__gt=last)[:BATCH]]:
        last = batch[-1].id
        yield batch


@write_transaction
def import_apply(*, job: Import, user: User | None, progress: Callable[[int], None]) -> int:
    """Apply every staged row of `job` in one transaction; return the rows applied.
    Raises RowRefused (nothing written) when a row cannot be applied."""
    applier: Callable[[Import, User | None, Callable[[int], None]], int] = {
        ImportKind.COUNTS: _apply_counts,
        ImportKind.PRODUCTS: _apply_products,
        ImportKind.PURCHASE_ORDERS: _apply_purchase_orders,
    }[ImportKind(job.kind)]
    done = applier(job, user, progress)
    refresh_if_large(done, *GROWN.get(job.kind, ()))  # before the commit checks what it added
    return done


def _apply_counts(job: Import, user: User | None, progress) -> int:
    company = job.company
    warehouses = Warehouse.objects.in_bulk(
        list(Warehouse.objects.filter(company=company).values_list("id", flat=True))
    )
    done = 0
    for batch in staged(job):
        ids = {cast(int, r.product_id) for r in batch}  # count rows name a product
        products = Product.objects.filter(company=company).in_bulk(ids)
        lock_products(company, ids)
        current = {
            (p, w): q
            for p, w, q in Stock.objects.filter(
                product_id__in=ids, warehouse_id__in={r.warehouse_id for r in batch}
            ).values_list("product_id", "warehouse_id", "physical_on_hand")
        }
        lines = []
        for row in batch:
            product, warehouse = products.get(row.product_id), warehouses.get(row.warehouse_id)
            if product is None or warehouse is None:
                raise RowRefused(row.row_number, "sku", "the product or warehouse is gone")
            if product.kind == ProductKind.KIT:
                raise RowRefused(row.row_number, "sku", f"{product.sku} is now a kit")
            key = (product.id, warehouse.id)
            have = current.get(key, 0)
            assert row.quantity is not None  # count rows carry a quantity
            change = row.quantity - have if row.action == RowAction.SET else row.quantity
            if have + change < 0:
                raise RowRefused(
                    row.row_number,
                    "quantity",
                    f"{product.sku} has {have} physical on hand in {warehouse.name}; "
                    f"cannot take {-change}",
                )
            current[key] = have + change
            lines.append(
                LogLine(
                    product=product,
                    warehouse=warehouse,
                    physical_change=change,
                    quantity=change,
                    fields={"note": row.note, "reason": row.reason or None},
                )
            )
        ledger_record(company=company, event_type=EventType.ON_HAND, lines=lines, user=user)
        done += len(batch)
        progress(done)
    return done


def _apply_products(job: Import, user: User | None, progress) -> int:
    """Simple products first, then manufactured, then kits: components exist before what
    contains them."""
    done = 0
    for kind in (ProductKind.SIMPLE, ProductKind.MANUFACTURED, ProductKind.KIT):
        for batch in staged(job, action=RowAction.CREATE, product_kind=kind):
            for row in batch:
                lines = [{"sku": s, "quantity": q} for s, q in parse_components(row.components)]
                try:
                    product_create(
                        company=job.company,
                        sku=row.sku,
                        name=row.name,
                        components=lines if kind == ProductKind.KIT else None,
                        bom=lines if kind == ProductKind.MANUFACTURED else None,
                    )
                except DomainError as exc:
                    column = "components" if exc.field and exc.field != "sku" else "sku"
                    if exc.field == "name":
                        column = "name"
                    raise RowRefused(row.row_number, column, exc.message) from None
            done += len(batch)
            progress(done)
    return done


def _purchase_order_create(*, supplier: str = "", **kwargs):
    # The service is a durable transaction of its own; an import needs all its POs in one,
    # so it calls the service's body inside the import's transaction. The supplier goes
    # along once purchase orders have one.
    body = purchasing.purchase_order_create.__wrapped__  # type: ignore[attr-defined]
    if supplier and "supplier" in inspect.signature(body).parameters:
        kwargs["supplier"] = supplier
    return body(**kwargs)


def _tuples(qs) -> list[Staged]:
    return [Staged(*r) for r in qs.values_list(*Staged._fields)]


def _apply_purchase_orders(job: Import, user: User | None, progress) -> int:
    company = job.company
    done = 0
    order: list[Staged] = []

    def flush() -> None:
        if not order:
            return
        warehouse = Warehouse.objects.get(company=company, pk=cast(int, order[0].warehouse_id))
        try:
            _purchase_order_create(
                company=company,
                number=order[0].document,
                warehouse=warehouse,
                lines=[{"sku": r.sku, "quantity": r.quantity} for r in order],
                user=user,
                supplier=order[0].supplier,
            )
        except DomainError as exc:
            row = order[0]
            if exc.field and exc.field.startswith("lines["):
                index = int(exc.field[6 : exc.field.index("]")])
                row = order[index] if index < len(order) else row
            raise RowRefused(row.row_number, "po_number", exc.message) from None

    qs = ImportRow.objects.filter(job=job).order_by("document", "row_number", "id")
    after = None
    # Keyset over the PO number: whole POs at a time, about BATCH lines.
    while True:
        chosen = qs if after is None else qs.filter(document__gt=after)
        batch = _tuples(chosen[:BATCH])
        if not batch:
            break
        last_document = batch[-1].document
        if len(batch) == BATCH:
            # Do not cut a PO in two: end at the last whole PO, or when the batch is all one
            # PO, read the rest of it.
            batch = [r for r in batch if r.document != last_document] or _tuples(
                qs.filter(document=last_document)
            )
            last_document = batch[-1].document
        for row in batch:
            if order and row.document != order[0].document:
                flush()
                done += len(order)
                order = []
            order.append(row)
        after = last_document
        progress(done)
    flush()
    done += len(order)
    progress(done)
    return done
