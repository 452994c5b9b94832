"""Facts about many products at once: log rows that change no stock, appended in bulk.

A setting that changes what a channel is told about every product (its writeback warehouses,
its location mapping) is an event in the log of every product. For a company with 100,000
SKUs, building 100,000 rows in Python through `ledger_record` is the slow part; here the
database builds them with one INSERT ... SELECT that computes each product's current
quantities (kits derived from their components) as it goes.

This is still the ledger writing: the rows are the same as `ledger_record` would append for
lines without a stock change (no warehouse, the product's totals right after the event), and
the products holding stock are locked in id order first, so no concurrent stock change can
slip between the quantities read and the row appended (the replay stays exact).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import connection
from django.utils import timezone

from stockledger.catalog.models import KitComponent, Product, ProductKind
from stockledger.core.errors import InvalidInput
from stockledger.core.models import Company, User
from stockledger.warehouses.models import Stock

from .models import EventType, LogEntry
from .stockbook import chunks

# Columns a fact row computes itself; `common` may not set them.
_COMPUTED = frozenset(
    {
        "id",
        "company",
        "product",
        "sku",
        "warehouse",
        "user",
        "event_type",
        "created_at",
        "imported_at",
        "recorded_at",
        "physical_on_hand",
        "available_on_hand",
        "committed",
        "physical_change",
        "committed_change",
        "went_negative",
        "warehouse_physical_on_hand",
        "warehouse_committed",
        "warehouse_available_on_hand",
    }
)


def _lock_stock_holders(company: Company, product_ids: list[int] | None) -> None:
    """Lock the products that hold stock, in id order (the ledger's lock order)."""
    qs = Product.objects.select_for_update().filter(company=company).exclude(kind=ProductKind.KIT)
    if product_ids is None:
        list(qs.order_by("id").values_list("id", flat=True))
        return
    for chunk in chunks(product_ids):
        list(qs.filter(id__in=chunk).order_by("id").values_list("id", flat=True))


def ledger_record_facts(
    *,
    company: Company,
    event_type: EventType | str,
    product_ids: Iterable[int] | None = None,
    created_at: datetime | None = None,
    imported_at: datetime | None = None,
    user: User | None = None,
    channel: Any = None,
    common: dict[str, Any] | None = None,
) -> int:
    """Append one no-stock-change row per product; call inside the service's transaction.

    - Products: `product_ids` (all of the company's with None), kits included.
    - Each row: no warehouse, no change, the product's totals right now (physical, committed,
      available; a kit's derived from its components as in `ledger_record`), and the columns
      in `common` (the same for every row). `channel` fills the cart columns, `user` the
      user_name, as in `ledger_record`.
    - Locks the stock-holding products in id order, as `ledger_record` does for changes.
    Returns the number of rows appended.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("ledger_record_facts must run inside the service's transaction")
    if event_type not in EventType.values:
        raise InvalidInput(f"unknown event type {event_type!r}", field="event_type")
    values = dict(common or {})
    if channel is not None:
        values.setdefault("cart_type", channel.cart_type)
        values.setdefault("cart_id", channel.id)
        values.setdefault("cart_name", channel.name)
    if user is not None:
        values.setdefault("user_name", user.get_username())
    fields = {f.name: f for f in LogEntry._meta.concrete_fields}
    bad = sorted(k for k in values if k not in fields or k in _COMPUTED)
    if bad:
        raise ValueError(f"ledger_record_facts cannot set {', '.join(bad)}")

    ids = None if product_ids is None else sorted(set(product_ids))
    if ids is not None:
        if not ids:
            return 0
        found = 0
        for chunk in chunks(ids):
            found += Product.objects.filter(company=company, id__in=chunk).count()
        if found != len(ids):
            raise InvalidInput("a product belongs to another company or does not exist")
    _lock_stock_holders(company, ids)

    now = timezone.now()
    constants: dict[str, Any] = {
        "company": company.id,
        "user": user.id if user is not None else None,
        "event_type": str(event_type),
        "created_at": created_at or now,
        "imported_at": imported_at,
        "recorded_at": now,
        "physical_change": 0,
        "committed_change": 0,
        "went_negative": False,
        "warehouse": None,
        "warehouse_physical_on_hand": None,
        "warehouse_committed": None,
        "warehouse_available_on_hand": None,
    }
    computed_sql = {
        "product": "p.id",
        "sku": "p.sku",
        "physical_on_hand": "q.physical",
        "committed": "q.committed",
        "available_on_hand": "q.physical - q.committed",
    }
    qn = connection.ops.quote_name
    columns: list[str] = []
    select: list[str] = []
    params: list[Any] = []
    for name, f in fields.items():
        if f.primary_key:
            continue
        columns.append(qn(f.column))
        if name in computed_sql:
            select.append(computed_sql[name])
            continue
        value = constants[name] if name in constants else values.get(name, f.get_default())
        select.append("%s")
        params.append(f.get_db_prep_save(value, connection))

    sql = _insert_sql(columns, select)
    written = 0
    with connection.cursor() as cursor:
        if ids is None:
            cursor.execute(sql.format(only=""), [*_quantity_params(company), *params, company.id])
            written = cursor.rowcount
        else:
            for chunk in chunks(ids):
                only = f" AND p.id IN ({', '.join(['%s'] * len(chunk))})"
                cursor.execute(
                    sql.format(only=only),
                    [*_quantity_params(company), *params, company.id, *chunk],
                )
                written += cursor.rowcount
    return written


def _quantity_params(company: Company) -> list[Any]:
    kit = str(ProductKind.KIT)
    return [company.id, company.id, kit, kit, company.id]


def _insert_sql(columns: list[str], select: list[str]) -> str:
    """INSERT ... SELECT with each product's totals (`q`), kits derived from components.

    Kit: physical = min over components of floor(component physical / per kit), available the
    same with component available, each never below 0 (clamping first makes SQL's integer
    division, which truncates, agree with floor); committed = physical - available.
    """
    qn = connection.ops.quote_name
    stock = qn(Stock._meta.db_table)
    product = qn(Product._meta.db_table)
    kit_component = qn(KitComponent._meta.db_table)
    log = qn(LogEntry._meta.db_table)

    def per_kit(expr: str) -> str:
        return f"MIN(CASE WHEN {expr} <= 0 THEN 0 ELSE ({expr}) / kc.quantity END)"

    c_physical = "COALESCE(t.physical, 0)"
    c_available = "(COALESCE(t.physical, 0) - COALESCE(t.committed, 0))"
    # {{only}} survives this f-string as {only}, filled per chunk by the caller.
    return f"""
        INSERT INTO {log} ({", ".join(columns)})
        WITH totals AS (
            SELECT s.product_id,
                   CAST(SUM(s.physical_on_hand) AS BIGINT) AS physical,
                   CAST(SUM(s.committed) AS BIGINT) AS committed
            FROM {stock} s
            WHERE s.company_id = %s
            GROUP BY s.product_id
        ),
        kits AS (
            SELECT kc.kit_id,
                   {per_kit(c_physical)} AS physical,
                   {per_kit(c_available)} AS available
            FROM {kit_component} kc
            JOIN {product} k ON k.id = kc.kit_id
            LEFT JOIN totals t ON t.product_id = kc.component_id
            WHERE k.company_id = %s
            GROUP BY kc.kit_id
        ),
        q AS (
            SELECT p2.id AS product_id,
                   CASE WHEN p2.kind = %s THEN COALESCE(kits.physical, 0)
                        ELSE COALESCE(t.physical, 0) END AS physical,
                   CASE WHEN p2.kind = %s THEN COALESCE(kits.physical, 0)
                                             - COALESCE(kits.available, 0)
                        ELSE COALESCE(t.committed, 0) END AS committed
            FROM {product} p2
            LEFT JOIN totals t ON t.product_id = p2.id
            LEFT JOIN kits ON kits.kit_id = p2.id
            WHERE p2.company_id = %s
        )
        SELECT {", ".join(select)}
        FROM {product} p
        JOIN q ON q.product_id = p.id
        WHERE p.company_id = %s{{only}}
        ORDER BY p.id
    """
