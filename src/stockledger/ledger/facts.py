"""Facts about many products at once: log rows that change no stock, appended in bulk.

A setting that changes what a channel is told about every product (its writeback warehouses,
its location mapping) is an event in the log of every product; a channel sync records a
quantity per product (`import`, `export`). For a company with 100,000 SKUs, building the rows
as Django models (`ledger_record`) is the slow part (about 17 s on SQLite and 40 s on
PostgreSQL for 100,000 rows, see bench/channels_100k.py). Here:

- rows that are the same for every product: one INSERT ... SELECT in which the database
  computes each product's current quantities as it goes (under a second for 100,000);
- rows with per-product values: the quantities are read in chunks with the same SQL and the
  rows appended as plain tuples (core.bulk_sql; a few seconds for 100,000).

This is still the ledger writing: the rows are those `ledger_record` appends for lines
without a stock change (no warehouse, the product's totals right after the event, kits
derived from their components), and the products read (kits' components too) are locked in
id order first, so no concurrent stock change can slip between the quantities read and the
row appended (the replay stays exact).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from django.db import connection
from django.utils import timezone

from stockledger.catalog.kits import kit_total_sql
from stockledger.catalog.models import KitComponent, Product, ProductKind
from stockledger.core.bulk_sql import insert_many
from stockledger.core.errors import InvalidInput
from stockledger.core.models import Company, User
from stockledger.warehouses.models import Stock, Warehouse

from .models import EventType, LogEntry
from .services import lock_products
from .stockbook import chunks

# Columns a fact row computes itself; `common` and `rows` may not set them.
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
        "committed",
        "physical_change",
        "committed_change",
        "went_negative",
        "warehouse_physical_on_hand",
        "warehouse_committed",
        "warehouse_available_on_hand",
    }
)
# Recorded product quantities: computed, but a row may override them (an export row's
# available_on_hand is the quantity written), as LogLine.available_on_hand does.
_OVERRIDABLE = frozenset({"physical_on_hand", "available_on_hand"})


def _lock_read_products(company: Company, product_ids: list[int] | None) -> None:
    """Lock every product whose quantities the rows read, in id order, as `ledger_record`
    does: the products themselves and, for kits, their components (all of the company's
    products with None, in one statement)."""
    if product_ids is None:
        list(
            Product.objects.select_for_update()
            .filter(company=company)
            .order_by("id")
            .values_list("id", flat=True)
        )
        return
    components: set[int] = set()
    for chunk in chunks(product_ids):
        components.update(
            KitComponent.objects.filter(kit_id__in=chunk).values_list("component_id", flat=True)
        )
    lock_products(company, set(product_ids) | components)


def ledger_record_facts(
    *,
    company: Company,
    event_type: EventType | str,
    product_ids: Iterable[int] | None = None,
    rows: Mapping[int, Mapping[str, Any]] | None = None,
    created_at: datetime | None = None,
    imported_at: datetime | None = None,
    user: User | None = None,
    channel: Any = None,
    common: Mapping[str, Any] | None = None,
) -> int:
    """Append one no-stock-change row per product; call inside the service's transaction.

    - Products: those of `rows` ({product id: that row's own columns}, e.g. quantity,
      explanation, or available_on_hand to override the recorded one), else `product_ids`,
      else all of the company's; kits included. In product id order.
    - Each row: no warehouse, no change, the product's totals right now (physical, committed,
      available; a kit's derived from its components as in `ledger_record`), the columns in
      `common`, then the row's own. `channel` fills the cart columns, `user` the user_name,
      as in `ledger_record`.
    - Locks the products it reads (kits' components too) in id order, as `ledger_record`.
    - A product of another company is InvalidInput; a column the ledger computes is a
      ValueError (a programming error).
    Returns the number of rows appended.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("ledger_record_facts must run inside the service's transaction")
    if event_type not in EventType.values:
        raise InvalidInput(f"unknown event type {event_type!r}", field="event_type")
    if rows is not None and product_ids is not None:
        raise ValueError("give rows or product_ids, not both")
    values = _common_values(common, channel=channel, user=user)
    fields = {f.name: f for f in LogEntry._meta.concrete_fields if not f.primary_key}
    _refuse_computed(values, fields, allowed=frozenset())
    per_row_names: set[str] = set()
    for row in (rows or {}).values():
        per_row_names.update(row)
    _refuse_computed(per_row_names, fields, allowed=_OVERRIDABLE)

    ids = _product_ids(company, rows=rows, product_ids=product_ids)
    if ids == []:
        return 0
    _lock_read_products(company, ids)

    constants = _constant_columns(
        fields,
        values,
        company=company,
        user=user,
        event_type=event_type,
        created_at=created_at,
        imported_at=imported_at,
    )
    with _without_jit():
        if rows is None:
            return _insert_select(company, fields, constants, ids)
        return _insert_rows(company, fields, constants, rows, sorted(per_row_names), ids or [])


def _constant_columns(
    fields: Mapping[str, Any],
    values: Mapping[str, Any],
    *,
    company: Company,
    user: User | None,
    event_type: EventType | str,
    created_at: datetime | None,
    imported_at: datetime | None,
) -> dict[str, Any]:
    """Every column's value where it is the same for all rows: the field defaults, then
    `values`, then what the ledger computes (no warehouse, no change; recorded now)."""
    now = timezone.now()
    return {
        **{name: f.get_default() for name, f in fields.items()},
        **values,
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


def _common_values(
    common: Mapping[str, Any] | None, *, channel: Any, user: User | None
) -> dict[str, Any]:
    """The columns every row sets: `common`, then the channel's cart columns and the user's
    name where `common` does not set them."""
    values = dict(common or {})
    if channel is not None:
        values.setdefault("cart_type", channel.cart_type)
        values.setdefault("cart_id", channel.id)
        values.setdefault("cart_name", channel.name)
    if user is not None:
        values.setdefault("user_name", user.get_username())
    return values


def _product_ids(
    company: Company,
    *,
    rows: Mapping[int, Mapping[str, Any]] | None,
    product_ids: Iterable[int] | None,
) -> list[int] | None:
    """The products the rows are for, in id order (None: all of the company's); a product of
    another company is InvalidInput."""
    if rows is not None:
        ids: list[int] | None = sorted(rows)
    elif product_ids is not None:
        ids = sorted(set(product_ids))
    else:
        return None
    if not ids:
        return ids
    found = sum(
        Product.objects.filter(company=company, id__in=chunk).count() for chunk in chunks(ids)
    )
    if found != len(ids):
        raise InvalidInput("a product belongs to another company or does not exist")
    return ids


@contextmanager
def _without_jit() -> Iterator[None]:
    """PostgreSQL: no JIT compilation for these statements. Their subplans make the planner's
    cost estimates large, and with statistics lagging a bulk import it compiled each chunk
    with full optimization: 1.5 s of a 1.7 s statement (0.2 s without)."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('jit'), set_config('jit', 'off', true)")
        before = cursor.fetchone()[0]
    yield
    # Restored only after success: on an error the transaction (or savepoint) is rolled
    # back, which undoes a transaction-local setting anyway.
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('jit', %s, true)", [before])


def _refuse_computed(
    names: Iterable[str], fields: Mapping[str, Any], allowed: frozenset[str]
) -> None:
    forbidden = (_COMPUTED | _OVERRIDABLE) - allowed
    bad = sorted(n for n in names if n not in fields or n in forbidden)
    if bad:
        raise ValueError(f"ledger_record_facts cannot set {', '.join(bad)}")


def _insert_select(
    company: Company, fields: Mapping[str, Any], constants: dict[str, Any], ids: list[int] | None
) -> int:
    """Rows that are the same for every product: one INSERT ... SELECT per chunk."""
    computed_sql = {
        "product": "q.product_id",
        "sku": "q.sku",
        "physical_on_hand": "q.physical",
        "committed": "q.committed",
        "available_on_hand": "q.physical - q.committed",
    }
    qn = connection.ops.quote_name
    columns, select, params = [], [], []
    for name, f in fields.items():
        columns.append(qn(f.column))
        if name in computed_sql:
            select.append(computed_sql[name])
        else:
            select.append("%s")
            params.append(f.get_db_prep_save(constants[name], connection))
    log = qn(LogEntry._meta.db_table)
    written = 0
    with connection.cursor() as cursor:
        for chunk in [None] if ids is None else chunks(ids):
            with_sql, with_params = _quantities_sql(company, chunk)
            cursor.execute(
                f"INSERT INTO {log} ({', '.join(columns)}) {with_sql} "
                f"SELECT {', '.join(select)} FROM q ORDER BY q.product_id",
                [*with_params, *params],
            )
            written += cursor.rowcount
    return written


def _insert_rows(
    company: Company,
    fields: Mapping[str, Any],
    constants: dict[str, Any],
    rows: Mapping[int, Mapping[str, Any]],
    per_row: Sequence[str],
    ids: list[int],
) -> int:
    """Rows with per-product values: quantities read per chunk, rows appended as tuples."""
    if connection.vendor == "postgresql" and all(
        fields[n].get_internal_type() in _PG_ARRAY_TYPES for n in per_row
    ):
        return _insert_rows_pg(company, fields, constants, rows, per_row, ids)
    qn = connection.ops.quote_name
    names = list(fields)
    columns = [qn(fields[n].column) for n in names]
    template = [fields[n].get_db_prep_save(constants[n], connection) for n in names]
    slot = {n: i for i, n in enumerate(names)}
    at = {n: slot[n] for n in ("product", "sku", "physical_on_hand", "committed")}
    available_at = slot["available_on_hand"]
    own = [(n, slot[n], _preparer(fields[n])) for n in per_row]
    table = qn(LogEntry._meta.db_table)
    written = 0
    with connection.cursor() as cursor:
        for chunk in chunks(ids):
            with_sql, with_params = _quantities_sql(company, chunk)
            cursor.execute(
                f"{with_sql} SELECT q.product_id, q.sku, q.physical, q.committed "
                "FROM q ORDER BY q.product_id",
                with_params,
            )
            batch = []
            for product_id, sku, physical, committed in cursor.fetchall():
                params = list(template)
                params[at["product"]] = product_id
                params[at["sku"]] = sku
                params[at["physical_on_hand"]] = physical
                params[at["committed"]] = committed
                params[available_at] = physical - committed
                row = rows[product_id]
                for name, index, prepare in own:
                    if name in row:
                        params[index] = prepare(row[name])
                batch.append(params)
            insert_many(cursor, table=table, columns=columns, rows=batch)
            written += len(batch)
    return written


_PG_ARRAY_TYPES = {
    "BigIntegerField": "bigint",
    "IntegerField": "integer",
    "PositiveIntegerField": "integer",
    "PositiveSmallIntegerField": "smallint",
    "CharField": "text",
    "TextField": "text",
    "BooleanField": "boolean",
}


def _insert_rows_pg(
    company: Company,
    fields: Mapping[str, Any],
    constants: dict[str, Any],
    rows: Mapping[int, Mapping[str, Any]],
    per_row: Sequence[str],
    ids: list[int],
) -> int:
    """PostgreSQL: one INSERT ... SELECT per chunk, joining the quantities with the rows'
    own values passed as one array per column (unnest). Row by row, or as a VALUES list,
    PostgreSQL spent most of the time parsing the statements (Django binds on the client)."""
    qn = connection.ops.quote_name
    computed_sql = {
        "product": "q.product_id",
        "sku": "q.sku",
        "physical_on_hand": "q.physical",
        "committed": "q.committed",
        "available_on_hand": "q.physical - q.committed",
    }
    own = {name: f"v.c{i}" for i, name in enumerate(per_row)}
    columns, select, params = [], [], []
    for name, f in fields.items():
        columns.append(qn(f.column))
        if name in own and name in computed_sql:
            select.append(f"COALESCE({own[name]}, {computed_sql[name]})")
        elif name in own:
            select.append(own[name])
        elif name in computed_sql:
            select.append(computed_sql[name])
        else:
            select.append("%s")
            params.append(f.get_db_prep_save(constants[name], connection))
    arrays = ", ".join(
        ["%s::bigint[]"]
        + [f"%s::{_PG_ARRAY_TYPES[fields[n].get_internal_type()]}[]" for n in per_row]
    )
    aliases = ", ".join(["product_id", *(f"c{i}" for i in range(len(per_row)))])
    defaults = {
        n: None if n in computed_sql else fields[n].get_db_prep_save(constants[n], connection)
        for n in per_row
    }
    preparers = {n: _preparer(fields[n]) for n in per_row}
    log = qn(LogEntry._meta.db_table)
    written = 0
    with connection.cursor() as cursor:
        for chunk in chunks(ids):
            with_sql, with_params = _quantities_sql(company, chunk)
            values: list[list[Any]] = [list(chunk)]
            for n in per_row:
                prepare, default = preparers[n], defaults[n]
                values.append(
                    [prepare(rows[pid][n]) if n in rows[pid] else default for pid in chunk]
                )
            cursor.execute(
                f"INSERT INTO {log} ({', '.join(columns)}) {with_sql}, "
                f"v AS (SELECT * FROM unnest({arrays}) AS v({aliases})) "
                f"SELECT {', '.join(select)} FROM q JOIN v ON v.product_id = q.product_id "
                "ORDER BY q.product_id",
                [*with_params, *values, *params],
            )
            written += cursor.rowcount
    return written


_PLAIN = {
    "BigIntegerField": int,
    "IntegerField": int,
    "PositiveIntegerField": int,
    "PositiveSmallIntegerField": int,
    "CharField": str,
    "TextField": str,
    "BooleanField": bool,
}


def _preparer(field: Any) -> Callable[[Any], Any]:
    """The database value of a per-row column: a plain int / str / bool (or None) is already
    one (calling Django's preparation 100,000 times was a third of the time)."""
    plain = _PLAIN.get(field.get_internal_type())

    def prepare(value: Any) -> Any:
        if value is None or (plain is not None and type(value) is plain):
            return value
        return field.get_db_prep_save(value, connection)

    return prepare


def _quantities_sql(company: Company, ids: Sequence[int] | None) -> tuple[str, list[Any]]:
    """A WITH clause defining `q` (product_id, sku, physical, committed) for the company's
    products, or only those of `ids`: stock summed over warehouses; a kit's derived.

    Kit: per warehouse, min over components of floor(component quantity there / per kit),
    never below 0, summed over warehouses (catalog/kits.py `kit_total_sql`, the SQL twin of
    `kit_totals`), for physical and for available; committed = physical - available.

    Every sum is a correlated subquery on the stock's product index, not a join: the plan
    cannot turn into a nested loop over whole tables when the planner's statistics lag a
    bulk import (a join form of this query ran for minutes on PostgreSQL right after
    100,000 products were created). Ids are inlined as integer literals, so a chunk is not
    bound by parameter limits.
    """
    qn = connection.ops.quote_name
    stock = qn(Stock._meta.db_table)
    product = qn(Product._meta.db_table)
    kit_component = qn(KitComponent._meta.db_table)
    only = ""
    if ids is not None:
        only = f" AND p.id IN ({', '.join(str(int(i)) for i in ids)})"

    def total(expr: str, of: str) -> str:
        return (
            f"COALESCE((SELECT CAST(SUM({expr}) AS BIGINT) FROM {stock} s "
            f"WHERE s.product_id = {of}), 0)"
        )

    def per_kit(expr: str) -> str:
        return kit_total_sql(
            kit_id="p.id",
            company_id="p.company_id",
            expr=expr,
            stock=stock,
            kit_component=kit_component,
            warehouse=qn(Warehouse._meta.db_table),
        )

    kit_physical = per_kit("s.physical_on_hand")
    kit_available = per_kit("s.physical_on_hand - s.committed")
    sql = f"""
        WITH q AS (
            SELECT p.id AS product_id, p.sku AS sku,
                   CASE WHEN p.kind = %s THEN {kit_physical}
                        ELSE {total("s.physical_on_hand", "p.id")} END AS physical,
                   CASE WHEN p.kind = %s THEN {kit_physical} - {kit_available}
                        ELSE {total("s.committed", "p.id")} END AS committed
            FROM {product} p
            WHERE p.company_id = %s{only}
        )
    """
    kit = str(ProductKind.KIT)
    return sql, [kit, kit, company.id]
