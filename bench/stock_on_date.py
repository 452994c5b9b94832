"""stock_on_date: every product x warehouse as of a past moment (ledger/stock_on_date.py).

A company of its own: `big_rows` log rows (1,000,000 at full size) over big_rows / 50
product x warehouse pairs (20,000: 10,000 products in 2 warehouses), one row a second, each
carrying its warehouse's running quantities as the ledger writes them. The rows are made by
the database itself (a series and a window sum), so building 1M rows takes seconds.

Product: the `stock_on_date` selector (query, kits, rows and totals as the page and API get
them) at moments spread over the history. Reference: the bare query through the driver, the
same one index seek per pair, fetchall.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from django.db import connection, transaction

from stockledger.catalog.models import Product
from stockledger.core.models import Company
from stockledger.core.services import company_create
from stockledger.ledger.models import LogEntry
from stockledger.ledger.stock_on_date import stock_on_date
from stockledger.warehouses.models import Stock
from stockledger.warehouses.services import warehouse_create

from .context import Context
from .harness import Result, percentile

VERSION = 1
ROWS_PER_PAIR = 50
WAREHOUSES = 2
GOAL_MS = 1000
START = datetime(2024, 1, 1, tzinfo=UTC)
MOMENTS = (0.05, 0.25, 0.5, 0.75, 0.95, 1.0)


def _name(rows: int) -> str:
    return f"bench stock-on-date v{VERSION} {rows}"


def _dataset(ctx: Context) -> tuple[Company, int, int]:
    rows = ctx.sizes.big_rows
    pairs = max(WAREHOUSES, rows // ROWS_PER_PAIR)
    company = Company.objects.filter(name=_name(rows)).first()
    if company is None:
        started = time.perf_counter()
        company = _build(rows, pairs)
        print(f"{ctx.engine}: stock-on-date dataset built in {time.perf_counter() - started:.1f} s")
    return company, rows, pairs


def _build(rows: int, pairs: int) -> Company:
    with transaction.atomic():
        company, _user, _ = company_create(
            name=_name(rows) + " (building)", username=f"sod-{rows}", password="bench-password"
        )
        warehouses = [warehouse_create(company=company, name=f"W{i}").id for i in range(WAREHOUSES)]
        products = Product.objects.bulk_create(
            Product(company=company, sku=f"SOD-{i:06d}", name=f"Item {i}")
            for i in range(pairs // WAREHOUSES)
        )
        first = min(p.id for p in products)
        if max(p.id for p in products) - first + 1 != len(products):
            raise RuntimeError("product ids are not consecutive")
        _insert_log(company, rows, pairs, first, warehouses)
        qn = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {qn(Stock._meta.db_table)} "
                "(company_id, product_id, warehouse_id, physical_on_hand, committed) "
                "SELECT company_id, product_id, warehouse_id, SUM(physical_change), "
                f"SUM(committed_change) FROM {qn(LogEntry._meta.db_table)} WHERE company_id = %s "
                "GROUP BY company_id, product_id, warehouse_id",
                [company.id],
            )
        Company.objects.filter(id=company.id).update(name=_name(rows))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(LogEntry._meta.db_table)}")
    company.refresh_from_db()
    return company


def _insert_log(company, rows: int, pairs: int, first: int, warehouses: list[int]) -> None:
    qn = connection.ops.quote_name
    postgres = connection.vendor == "postgresql"
    if postgres:
        series = f"SELECT CAST(g AS BIGINT) AS i FROM generate_series(0, {rows - 1}) g"
        stamp = "TIMESTAMPTZ '2024-01-01 00:00:00+00' + i * INTERVAL '1 second'"
    else:
        series = (
            f"WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < {rows - 1}) "
            "SELECT i FROM s"
        )
        stamp = "strftime('%%Y-%%m-%%d %%H:%%M:%%S', '2024-01-01', '+' || i || ' seconds')"
    pair = f"(i %% {pairs})"  # %% : the statement has parameters
    warehouse = f"CASE {pair} %% {WAREHOUSES} " + " ".join(
        f"WHEN {n} THEN {w}" for n, w in enumerate(warehouses)
    )
    base = f"""
        SELECT i, {first} + {pair} / {WAREHOUSES} AS product_id, {warehouse} END AS warehouse_id,
               {stamp} AS at,
               CASE WHEN i %% 7 = 3 THEN -2 ELSE (i * 7919) %% 5 + 1 END AS d_physical,
               CASE WHEN i %% 5 = 0 THEN 1 WHEN i %% 5 = 2 AND i > {pairs} THEN -1 ELSE 0 END
                   AS d_committed
        FROM ({series}) series
    """
    running = f"""
        SELECT b.*,
               SUM(d_physical) OVER w AS wh_physical, SUM(d_committed) OVER w AS wh_committed
        FROM ({base}) b
        WINDOW w AS (PARTITION BY product_id, warehouse_id ORDER BY i ROWS UNBOUNDED PRECEDING)
    """
    computed = {
        "company": str(company.id),
        "product": "r.product_id",
        "warehouse": "r.warehouse_id",
        "sku": "'SOD'",
        "event_type": "'on_hand'",
        "created_at": "r.at",
        "recorded_at": "r.at",
        "quantity": "r.d_physical",
        "physical_change": "r.d_physical",
        "committed_change": "r.d_committed",
        "warehouse_physical_on_hand": "r.wh_physical",
        "warehouse_committed": "r.wh_committed",
        "warehouse_available_on_hand": "r.wh_physical - r.wh_committed",
        "physical_on_hand": "r.wh_physical",
        "committed": "r.wh_committed",
        "available_on_hand": "r.wh_physical - r.wh_committed",
    }
    columns, select, params = [], [], []
    for f in LogEntry._meta.concrete_fields:
        if f.primary_key:
            continue
        columns.append(qn(f.column))
        if f.name in computed:
            select.append(computed[f.name])
        else:
            select.append("%s")
            params.append(f.get_db_prep_save(f.get_default(), connection))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {qn(LogEntry._meta.db_table)} ({', '.join(columns)}) "
            f"SELECT {', '.join(select)} FROM ({running}) r ORDER BY r.i",
            params,
        )


def _bare_sql(engine: str) -> str:
    mark = "?" if engine == "sqlite" else "%s"
    last = (
        "SELECT l.id FROM ledger_logentry l WHERE l.product_id = s.product_id "
        f"AND l.warehouse_id = s.warehouse_id AND l.recorded_at <= {mark} "
        "ORDER BY l.recorded_at DESC, l.id DESC LIMIT 1"
    )
    return (
        "SELECT x.product_id, x.warehouse_id, l.warehouse_physical_on_hand, l.warehouse_committed "
        f"FROM (SELECT s.product_id, s.warehouse_id, ({last}) AS last_id FROM warehouses_stock s "
        f"WHERE s.company_id = {mark}) x JOIN ledger_logentry l ON l.id = x.last_id"
    )


def stock_on_date_result(ctx: Context) -> list[Result]:
    company, rows, pairs = _dataset(ctx)
    moments = [START + timedelta(seconds=int(rows * f)) for f in MOMENTS]
    stock_on_date(company=company, at=moments[0])  # warm the caches
    product, answers = [], []
    for at in moments:
        started = time.perf_counter()
        report = stock_on_date(company=company, at=at)
        product.append(time.perf_counter() - started)
        answers.append(len(report.rows))

    conn = ctx.raw_connection()
    sql = _bare_sql(ctx.engine)
    reference = []
    for at in [moments[0], *moments]:
        value = at.replace(tzinfo=None).isoformat(" ") if ctx.engine == "sqlite" else at
        started = time.perf_counter()
        cur = conn.cursor()
        cur.execute(sql, [value, company.id])
        found = cur.fetchall()
        reference.append(time.perf_counter() - started)
        if not found:
            raise RuntimeError("the bare query found no rows")
    reference = reference[1:]
    if ctx.engine == "postgresql":
        conn.rollback()
    conn.close()

    worst, worst_ref = max(product) * 1e3, max(reference) * 1e3
    result = Result(
        "stock_on_date",
        ctx.engine,
        worst,
        worst_ref,
        "ms (max)",
        worst_ref / worst,
        f"product <= {GOAL_MS} ms",
        worst <= GOAL_MS,
    )
    result.details = [
        ("log rows / pairs", f"{rows:,} / {pairs:,}"),
        ("moments", ", ".join(f"{int(f * 100)}%" for f in MOMENTS) + " of the history"),
        (
            "p50 ms (product / reference)",
            f"{percentile(product, 50) * 1e3:.1f} / {percentile(reference, 50) * 1e3:.1f}",
        ),
        ("max ms (product / reference)", f"{worst:.1f} / {worst_ref:.1f}"),
        ("rows answered", ", ".join(str(n) for n in answers)),
        ("reference path", "driver: one correlated index seek per pair, fetchall"),
    ]
    return [result]
