"""Bulk order import: `POST /api/v1/orders/bulk` over HTTP against the bare driver.

Product: requests of 1,000 orders x 3 lines to `stockledger serve`; each creates the orders,
their lines, one `order` log row per line and the committed stock.
Reference: the same rows (orders, order lines, log rows with their chained quantities, the
stock updates) through the driver's executemany, about 1,000 rows per transaction.
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta

from django.utils import timezone

from stockledger.catalog.services import product_create
from stockledger.ledger.services import stock_adjust
from stockledger.orders.models import Order, OrderLine

from .context import Context
from .generate import TABLE_COLUMNS
from .harness import Result, ratio_result

LINES = 3
SKUS = 30
ROWS_PER_TRANSACTION = 1000


def bulk_orders_available() -> bool:
    """Whether this build has `POST /orders/bulk`."""
    from django.urls import NoReverseMatch, reverse

    try:
        reverse("api:import_orders_bulk")
        return True
    except NoReverseMatch:
        return False


def _products(ctx: Context, label: str) -> list:
    run = uuid.uuid4().hex[:6]
    products = []
    for i in range(SKUS):
        product = product_create(
            company=ctx.ds.company, sku=f"BULK-{label}-{run}-{i:02d}", name=f"bulk {label} {i}"
        )
        # A stock row to commit against, as a stocked catalogue has.
        stock_adjust(
            company=ctx.ds.company, product=product, warehouse=ctx.ds.warehouses[0], change=100
        )
        products.append(product)
    return products


def _orders(ctx: Context, products: list, prefix: str, count: int, start: datetime) -> list:
    channel, warehouse = ctx.ds.channels[0], ctx.ds.warehouses[0]
    orders = []
    for k in range(count):
        picked = [products[(k * LINES + j) % len(products)] for j in range(LINES)]
        orders.append(
            {
                "channel_id": channel.id,
                "order_number": f"{prefix}-{k:05d}",
                "placed_at": (start + timedelta(seconds=k)).isoformat(),
                "warehouse_id": warehouse.id,
                "lines": [
                    {"sku": p.sku, "quantity": 1 + (k + j) % 3} for j, p in enumerate(picked)
                ],
            }
        )
    return orders


class RawImport:
    """The reference: the rows a bulk import writes, via executemany in ~1,000-row
    transactions (order ids from the sequence on PostgreSQL; on SQLite from the table's
    maximum, the writer holding the database's write lock)."""

    def __init__(self, ctx: Context, products: list) -> None:
        self.ctx = ctx
        self.engine = ctx.engine
        self.conn = ctx.raw_connection()
        self.mark = "?" if self.engine == "sqlite" else "%s"
        self.by_sku = {p.sku: p for p in products}
        self.channel = ctx.ds.channels[0]
        self.warehouse = ctx.ds.warehouses[0]
        self.order_columns = [f.column for f in Order._meta.concrete_fields]
        self.line_columns = [f.column for f in OrderLine._meta.concrete_fields]

    def _insert(self, cur, table: str, columns: list[str], rows: list[list]) -> None:
        marks = ", ".join([self.mark] * len(columns))
        cur.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)

    def _stamp(self, value: datetime):
        return str(value.astimezone(UTC).replace(tzinfo=None)) if self.engine == "sqlite" else value

    def run(self, orders: list[dict]) -> None:
        per_order = 1 + 2 * LINES  # the order, its lines, their log rows
        chunk = max(1, ROWS_PER_TRANSACTION // per_order)
        for start in range(0, len(orders), chunk):
            self._transaction(orders[start : start + chunk])

    def _transaction(self, orders: list[dict]) -> None:
        cur = self.conn.cursor()
        if self.engine == "sqlite":
            cur.execute("BEGIN IMMEDIATE")
        if self.engine == "sqlite":
            cur.execute("SELECT COALESCE(MAX(id), 0) FROM orders_order")
            first = cur.fetchone()[0] + 1
            order_ids = list(range(first, first + len(orders)))
        else:
            cur.execute(
                "SELECT nextval(pg_get_serial_sequence('orders_order', 'id')) "
                "FROM generate_series(1, %s)",
                [len(orders)],
            )
            order_ids = [row[0] for row in cur.fetchall()]
        ids = [p.id for p in self.by_sku.values()]
        cur.execute(
            f"SELECT product_id, physical_on_hand, committed FROM warehouses_stock "
            f"WHERE warehouse_id = {self.mark} AND product_id IN ({', '.join(map(str, ids))})",
            [self.warehouse.id],
        )
        stock = {pid: [phys, comm] for pid, phys, comm in cur.fetchall()}
        now = timezone.now()
        order_rows, line_rows, log_rows = [], [], []
        for k, order in enumerate(orders):
            order_id = order_ids[k]
            placed = datetime.fromisoformat(order["placed_at"])
            values = {
                "id": order_id,
                "company_id": self.ctx.ds.company.id,
                "channel_id": self.channel.id,
                "order_number": order["order_number"],
                "placed_at": self._stamp(placed),
                "imported_at": self._stamp(now),
                "warehouse_id": self.warehouse.id,
                "status": "open",
                "imported_by_id": self.ctx.ds.user.id,
                "updated_at": self._stamp(now),
            }
            order_rows.append([values.get(c) for c in self.order_columns])
            for position, line in enumerate(order["lines"]):
                product = self.by_sku[line["sku"]]
                q = line["quantity"]
                line_values = {
                    "order_id": order_id,
                    "position": position,
                    "product_id": product.id,
                    "quantity": q,
                    "shipped": 0,
                    "cancelled": 0,
                }
                line_rows.append([line_values.get(c) for c in self.line_columns if c != "id"])
                state = stock[product.id]
                state[1] += q
                log_rows.append(self._log_row(product, order, order_id, placed, now, q, state))
        self._insert(cur, "orders_order", self.order_columns, order_rows)
        self._insert(
            cur, "orders_orderline", [c for c in self.line_columns if c != "id"], line_rows
        )
        self._insert(cur, "ledger_logentry", list(TABLE_COLUMNS), log_rows)
        cur.executemany(
            f"UPDATE warehouses_stock SET committed = {self.mark} "
            f"WHERE product_id = {self.mark} AND warehouse_id = {self.mark}",
            [[comm, pid, self.warehouse.id] for pid, (_, comm) in stock.items()],
        )
        if self.engine == "sqlite":
            cur.execute("COMMIT")
        else:
            self.conn.commit()

    def _log_row(self, product, order, order_id, placed, now, q, state) -> list:
        physical, committed = state
        values = dict.fromkeys(TABLE_COLUMNS, "")
        values.update(event_group=None, reason=None)  # one row per event; no adjustment reason
        values.update(
            company_id=self.ctx.ds.company.id,
            product_id=product.id,
            warehouse_id=self.warehouse.id,
            user_id=self.ctx.ds.user.id,
            created_at=self._stamp(placed),
            imported_at=self._stamp(now),
            recorded_at=self._stamp(now),
            event_type="order",
            quantity=q,
            physical_on_hand=physical,
            committed=committed,
            available_on_hand=physical - committed,
            warehouse_physical_on_hand=physical,
            warehouse_committed=committed,
            warehouse_available_on_hand=physical - committed,
            physical_change=0,
            committed_change=q,
            cart_type=self.channel.cart_type,
            cart_id=self.channel.id,
            cart_name=self.channel.name,
            event_id=order["order_number"],
            warehouse_name=self.warehouse.name,
            user_name=self.ctx.ds.user.username,
            order_step="imported",
            document_type="order",
            document_id=order_id,
            went_negative=False,
        )
        for name in (
            "expected_quantity",
            "received_quantity",
            "restocked_quantity",
            "channel_last_written",
            "channel_differs",
        ):
            values[name] = None
        return [values[c] for c in TABLE_COLUMNS]

    def close(self) -> None:
        self.conn.close()


def bulk_order_import(ctx: Context) -> list[Result]:
    if not bulk_orders_available():
        print("SKIPPED: bulk_order_import - POST /orders/bulk is not in this build", flush=True)
        return []
    client = ctx.http()
    service_products, raw_products = _products(ctx, "API"), _products(ctx, "RAW")
    raw = RawImport(ctx, raw_products)
    per_request, requests = ctx.sizes.orders, ctx.sizes.bulk_requests
    start = datetime(2026, 1, 1, tzinfo=UTC)
    run = uuid.uuid4().hex[:6]

    def service(round_no: int) -> float:
        began = time.perf_counter()
        for r in range(requests):
            orders = _orders(ctx, service_products, f"API{run}-{round_no}-{r}", per_request, start)
            status, body = client.request("POST", "/api/v1/orders/bulk", {"orders": orders})
            answer = json.loads(body) if status == 200 else {}
            if status != 200 or answer.get("created") != per_request:
                raise RuntimeError(f"POST /orders/bulk answered {status}: {body[:300]!r}")
        return requests * per_request / (time.perf_counter() - began)

    def reference(round_no: int) -> float:
        began = time.perf_counter()
        for r in range(requests):
            raw.run(_orders(ctx, raw_products, f"RAW{run}-{round_no}-{r}", per_request, start))
        return requests * per_request / (time.perf_counter() - began)

    service(-1), reference(-1)  # warm up: connections, caches, the server's threads
    p_rates, r_rates = [], []
    for round_no in range(ctx.sizes.rounds):
        p_rates.append(service(round_no))
        r_rates.append(reference(round_no))
    raw.close()
    client.close()
    product, reference_rate = max(p_rates), max(r_rates)
    result = ratio_result("bulk_order_import", ctx.engine, product, reference_rate, "orders/s", 0.3)
    result.details = [
        ("request", f"{per_request:,} orders x {LINES} lines, {requests} requests a round"),
        ("product path", "POST /api/v1/orders/bulk over HTTP (stockledger serve --no-worker)"),
        (
            "reference path",
            "driver: executemany of orders, lines, log rows, stock; ~1,000 rows a transaction",
        ),
        ("rounds (product)", ", ".join(f"{r:.0f}" for r in p_rates)),
        ("rounds (reference)", ", ".join(f"{r:.0f}" for r in r_rates)),
    ]
    return [result]
