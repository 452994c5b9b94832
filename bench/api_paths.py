"""The JSON API against the services it calls, in-process (Django's test client, no network,
rate limit off), so the figure is the cost of the API layer itself: authentication, role
check, middleware, input parsing, lookups and the response.

- api_adjustments: `POST /api/v1/stock/on-hand` (an adjustment with a note) against
  `stock_adjust` called directly; alternating time-boxed rounds, median of the paired ratios.
- api_orders: `POST /api/v1/orders` (one order of 3 lines) against `order_import` directly.
- api_log_page: `GET /api/v1/products/{id}/log?limit=50` at cursors spread over a 2,000-row
  log, p50 and p99, against the bare keyset query through the driver.
"""

from __future__ import annotations

import itertools
import json
import random
import time
from datetime import UTC, datetime

from django.test import Client, override_settings

from stockledger.ledger.api import encode_cursor
from stockledger.ledger.services import stock_adjust
from stockledger.orders.services import order_import

from .context import Context
from .exports import SELECT_COLUMNS
from .harness import Result, percentile, rounds_ratio_result
from .writes import _fresh_product, _run_for

PAGE = 50
LOG_ROWS = 2_000
ORDER_LINES = 3


class _Api:
    def __init__(self, ctx: Context) -> None:
        self.client = Client()
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {ctx.ds.token()}"}

    def post(self, path: str, body: dict, status: int = 201):
        r = self.client.post(
            f"/api/v1{path}", json.dumps(body), content_type="application/json", **self.headers
        )
        if r.status_code != status:
            raise RuntimeError(f"POST {path} answered {r.status_code}: {r.content[:300]!r}")
        return r

    def get(self, path: str):
        r = self.client.get(f"/api/v1{path}", **self.headers)
        if r.status_code != 200:
            raise RuntimeError(f"GET {path} answered {r.status_code}: {r.content[:300]!r}")
        return r


def _rounds(ctx: Context, service, reference) -> tuple[list[float], list[float]]:
    _run_for(0.2, service)
    _run_for(0.2, reference)
    p_rates, r_rates = [], []
    for _ in range(ctx.sizes.rounds):
        n, t = _run_for(ctx.sizes.seconds, service)
        p_rates.append(n / t)
        n, t = _run_for(ctx.sizes.seconds, reference)
        r_rates.append(n / t)
    return p_rates, r_rates


@override_settings(STOCKLEDGER_RATE_LIMIT_ENABLED=False)
def api_adjustments(ctx: Context) -> list[Result]:
    company, warehouse = ctx.ds.company, ctx.ds.warehouses[0]
    api = _Api(ctx)
    via_api = _fresh_product(ctx, "APIADJ")
    direct = _fresh_product(ctx, "SVCADJ")

    def service(i: int) -> None:
        change = 1 if i % 2 else -1
        api.post(
            "/stock/on-hand",
            {"sku": via_api.sku, "warehouse_id": warehouse.id, "change": change, "note": "bench"},
        )

    def reference(i: int) -> None:
        stock_adjust(
            company=company,
            product=direct,
            warehouse=warehouse,
            change=1 if i % 2 else -1,
            note="bench",
        )

    p_rates, r_rates = _rounds(ctx, service, reference)
    result = rounds_ratio_result("api_adjustments", ctx.engine, p_rates, r_rates, "changes/s", 0.3)
    result.details = [
        ("product path", "POST /api/v1/stock/on-hand, in-process test client, one client"),
        ("reference path", "stock_adjust called directly (same change, same note)"),
        *result.details,
    ]
    return [result]


@override_settings(STOCKLEDGER_RATE_LIMIT_ENABLED=False)
def api_orders(ctx: Context) -> list[Result]:
    company, warehouse, channel = ctx.ds.company, ctx.ds.warehouses[0], ctx.ds.channels[0]
    api = _Api(ctx)
    api_products = [_fresh_product(ctx, f"APIORD{i}") for i in range(ORDER_LINES)]
    svc_products = [_fresh_product(ctx, f"SVCORD{i}") for i in range(ORDER_LINES)]
    run = f"{time.time_ns():x}"
    placed = datetime.now(UTC).isoformat()
    numbers = itertools.count()  # _run_for counts from 0 each round: numbers must not repeat

    def service(_: int) -> None:
        i = next(numbers)
        api.post(
            "/orders",
            {
                "channel_id": channel.id,
                "order_number": f"API-{run}-{i}",
                "placed_at": placed,
                "warehouse_id": warehouse.id,
                "lines": [{"sku": p.sku, "quantity": 1} for p in api_products],
            },
        )

    def reference(_: int) -> None:
        i = next(numbers)
        order_import(
            company=company,
            channel=channel,
            order_number=f"SVC-{run}-{i}",
            placed_at=placed,
            warehouse=warehouse,
            lines=[{"sku": p.sku, "quantity": 1} for p in svc_products],
            user=ctx.ds.user,
        )

    p_rates, r_rates = _rounds(ctx, service, reference)
    result = rounds_ratio_result("api_orders", ctx.engine, p_rates, r_rates, "orders/s", 0.3)
    result.details = [
        ("product path", f"POST /api/v1/orders, one order of {ORDER_LINES} lines, in-process"),
        ("reference path", "order_import called directly (same lines)"),
        *result.details,
    ]
    return [result]


def api_log_page(ctx: Context) -> list[Result]:
    company, warehouse = ctx.ds.company, ctx.ds.warehouses[0]
    product = _fresh_product(ctx, "APILOG")
    for i in range(LOG_ROWS - 1):
        stock_adjust(
            company=company, product=product, warehouse=warehouse, change=1 if i % 2 else -1
        )
    from stockledger.ledger.models import LogEntry

    keys = list(
        LogEntry.objects.filter(company=company, product=product).values_list("created_at", "id")
    )
    rng = random.Random(5)
    n = ctx.sizes.requests * 2
    picks: list = [rng.choice(keys) for _ in range(n - n // 20)] + [None] * (n // 20)
    rng.shuffle(picks)

    api = _Api(ctx)

    def get(key) -> float:
        path = f"/products/{product.id}/log?limit={PAGE}"
        if key is not None:
            path += f"&cursor={encode_cursor(key)}"
        start = time.perf_counter()
        api.get(path)
        return time.perf_counter() - start

    conn = ctx.raw_connection()
    mark = "?" if ctx.engine == "sqlite" else "%s"
    where = f"WHERE company_id = {mark} AND product_id = {mark}"
    order = f"ORDER BY created_at DESC, id DESC LIMIT {PAGE + 1}"
    keyset = f"SELECT {SELECT_COLUMNS} FROM ledger_logentry {where} AND (created_at, id) < ({mark}, {mark}) {order}"
    first = f"SELECT {SELECT_COLUMNS} FROM ledger_logentry {where} {order}"

    def query(key) -> float:
        start = time.perf_counter()
        cur = conn.cursor()
        if key is None:
            cur.execute(first, [company.id, product.id])
        else:
            at = str(key[0].replace(tzinfo=None)) if ctx.engine == "sqlite" else key[0]
            cur.execute(keyset, [company.id, product.id, at, key[1]])
        cur.fetchall()
        return time.perf_counter() - start

    def floor() -> float:
        # What any request costs here before its own work: GET /healthz through the same
        # client and middleware (no token; its one query is SELECT 1).
        start = time.perf_counter()
        api.client.get("/healthz")
        return time.perf_counter() - start

    with override_settings(STOCKLEDGER_RATE_LIMIT_ENABLED=False):
        for k in picks[:20]:
            get(k)
            query(k)
        floor_times = [floor() for _ in range(len(picks) // 2)]
        # Alternate request and query so both see the same machine load.
        product_times, reference_times = [], []
        for k in picks:
            product_times.append(get(k))
            reference_times.append(query(k))
    if ctx.engine == "postgresql":
        conn.rollback()
    conn.close()

    p50, r50 = percentile(product_times, 50) * 1e3, percentile(reference_times, 50) * 1e3
    p99, r99 = percentile(product_times, 99) * 1e3, percentile(reference_times, 99) * 1e3
    result = Result(
        "api_log_page",
        ctx.engine,
        p50,
        r50,
        "ms (p50)",
        r50 / p50,
        "p50 <= 5x and p99 <= 20x the bare query",
        p50 <= 5 * r50 and p99 <= 20 * r99,
    )
    result.details = [
        ("history rows", f"{LOG_ROWS:,} (one product)"),
        ("requests", f"{len(picks)} pages of {PAGE}, in-process test client"),
        ("p50 ms (product / reference)", f"{p50:.2f} / {r50:.2f} ({p50 / r50:.1f}x)"),
        ("p99 ms (product / reference)", f"{p99:.2f} / {r99:.2f} ({p99 / r99:.1f}x)"),
        ("reference path", "driver: keyset WHERE (created_at, id) < (?, ?) ... LIMIT 51, fetchall"),
        (
            "GET /healthz p50 ms (the request floor)",
            f"{percentile(floor_times, 50) * 1e3:.2f} ({percentile(floor_times, 50) * 1e3 / r50:.1f}x the query)",
        ),
    ]
    return [result]
