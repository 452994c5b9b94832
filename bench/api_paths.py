"""The JSON API against the services it calls, in-process (Django's test client, no network,
rate limit off), so the figure is the cost of the API layer itself: authentication, role
check, middleware, input parsing, lookups and the response.

- api_adjustments: `POST /api/v1/stock/on-hand` (an adjustment with a note) against
  `stock_adjust` called directly; alternating time-boxed rounds, median of the paired ratios.
- api_orders: `POST /api/v1/orders` (one order of 3 lines) against `order_import` directly.
- api_log_page: `GET /api/v1/products/{id}/log?limit=50` at cursors spread over a 2,000-row
  log and over the dataset's big product (1M rows at full size: `api_log_page_1m`), p50 and
  p99, against the bare keyset query through the driver.
- web_log_page: the same pages as the product page's log table asks for them (HTML, signed
  in: `GET /products/{id}/log/`, the newest rows or the next 50), p50 against the same query.
"""

from __future__ import annotations

import itertools
import json
import random
import time
from datetime import UTC, datetime
from typing import Any

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


def _size_tag(rows: int) -> str:
    """2,000 -> 2k, 1,000,000 -> 1m: the history's size in a result's name."""
    if rows >= 1_000_000:
        return f"{rows // 1_000_000}m"
    return f"{rows // 1000}k" if rows >= 1000 else str(rows)


def _page_histories(ctx: Context, n: int) -> list[tuple[str, Any, int, list]]:
    """(name suffix, product, rows, cursor keys) of the two histories a log page is measured
    on: a fresh product with a 2,000-row log (no suffix: the figure as first reported) and
    the dataset's big product (1M rows at full size). n keys each, at random depths; a
    twentieth are None (the newest page, what a product screen opens with). Made once per
    run: the API and the page are measured on the same histories."""
    from stockledger.ledger.models import LogEntry

    made = getattr(ctx, "_log_page_histories", None)
    if made is not None:
        return made

    company, warehouse = ctx.ds.company, ctx.ds.warehouses[0]
    small = _fresh_product(ctx, "APILOG")
    for i in range(LOG_ROWS - 1):
        stock_adjust(company=company, product=small, warehouse=warehouse, change=1 if i % 2 else -1)
    rng = random.Random(5)
    histories = []
    for suffix, product in (("", small), ("big", ctx.ds.big)):
        rows = LogEntry.objects.filter(company=company, product=product)
        ids = rows.order_by("id").values_list("id", flat=True)
        low, high = ids.first(), ids.last()
        wanted = {rng.randrange(low, high + 1) for _ in range(n * 3)}
        keys: list = list(rows.filter(id__in=wanted).values_list("created_at", "id"))
        rng.shuffle(keys)
        keys = keys[: n - n // 20] + [None] * (n // 20)
        rng.shuffle(keys)
        count = LOG_ROWS if product is small else ctx.ds.rows[product.sku]
        histories.append((f"_{_size_tag(count)}" if suffix else "", product, count, keys))
    ctx._log_page_histories = histories  # type: ignore[attr-defined]
    return histories


def _bare_page_query(ctx: Context):
    """The reference: the keyset query through the driver (returns a function of a key)."""
    company_id = ctx.ds.company.id
    conn = ctx.raw_connection()
    mark = "?" if ctx.engine == "sqlite" else "%s"
    where = f"WHERE company_id = {mark} AND product_id = {mark}"
    order = f"ORDER BY created_at DESC, id DESC LIMIT {PAGE + 1}"
    keyset = f"SELECT {SELECT_COLUMNS} FROM ledger_logentry {where} AND (created_at, id) < ({mark}, {mark}) {order}"
    first = f"SELECT {SELECT_COLUMNS} FROM ledger_logentry {where} {order}"

    def query(product_id: int, key) -> float:
        start = time.perf_counter()
        cur = conn.cursor()
        if key is None:
            cur.execute(first, [company_id, product_id])
        else:
            at = str(key[0].replace(tzinfo=None)) if ctx.engine == "sqlite" else key[0]
            cur.execute(keyset, [company_id, product_id, at, key[1]])
        cur.fetchall()
        return time.perf_counter() - start

    return conn, query


def _page_latency(ctx: Context, name: str, request, goal: tuple[float, float | None], what: str):
    """Latency of `request(product_id, key)` against the bare keyset query, request by
    request alternated, on both histories: one Result each."""
    histories = _page_histories(ctx, ctx.sizes.requests * 2)
    conn, query = _bare_page_query(ctx)
    results = []
    with override_settings(STOCKLEDGER_RATE_LIMIT_ENABLED=False):
        for suffix, product, rows, keys in histories:
            for k in keys[:20]:
                request(product.id, k)
                query(product.id, k)
            # Alternate request and query so both see the same machine load.
            product_times, reference_times = [], []
            for k in keys:
                product_times.append(request(product.id, k))
                reference_times.append(query(product.id, k))
            p50, r50 = percentile(product_times, 50) * 1e3, percentile(reference_times, 50) * 1e3
            p99, r99 = percentile(product_times, 99) * 1e3, percentile(reference_times, 99) * 1e3
            p50_goal, p99_goal = goal
            met = p50 <= p50_goal * r50 and (p99_goal is None or p99 <= p99_goal * r99)
            goal_text = f"p50 <= {p50_goal:g}x" + (
                f" and p99 <= {p99_goal:g}x" if p99_goal is not None else ""
            )
            result = Result(
                name + suffix,
                ctx.engine,
                p50,
                r50,
                "ms (p50)",
                r50 / p50,
                goal_text + " the bare query",
                met,
            )
            result.details = [
                ("history rows", f"{rows:,} (one product)"),
                ("requests", f"{len(keys)} pages of {PAGE}, {what}, in-process test client"),
                ("p50 ms (product / reference)", f"{p50:.2f} / {r50:.2f} ({p50 / r50:.1f}x)"),
                ("p99 ms (product / reference)", f"{p99:.2f} / {r99:.2f} ({p99 / r99:.1f}x)"),
                (
                    "reference path",
                    "driver: keyset WHERE (created_at, id) < (?, ?) ... LIMIT 51, fetchall",
                ),
            ]
            results.append(result)
    if ctx.engine == "postgresql":
        conn.rollback()
    conn.close()
    return results


def api_log_page(ctx: Context) -> list[Result]:
    api = _Api(ctx)

    def request(product_id: int, key) -> float:
        path = f"/products/{product_id}/log?limit={PAGE}"
        if key is not None:
            path += f"&cursor={encode_cursor(key)}"
        start = time.perf_counter()
        api.get(path)
        return time.perf_counter() - start

    return _page_latency(ctx, "api_log_page", request, (5, 20), "JSON")


def web_log_page(ctx: Context) -> list[Result]:
    """The log table of a product's page as the browser asks for it: the newest rows, or the
    next 50 ("Older rows", an HTMX request), HTML, signed in with a session."""
    client = Client()
    client.force_login(ctx.ds.user)

    def request(product_id: int, key) -> float:
        params = {"cursor": encode_cursor(key)} if key is not None else {}
        start = time.perf_counter()
        r = client.get(f"/products/{product_id}/log/", params, HTTP_HX_REQUEST="true")
        elapsed = time.perf_counter() - start
        # (A cursor at the oldest row has nothing older: an empty answer.)
        if r.status_code != 200 or (key is None and b'<tr id="log-' not in r.content):
            raise RuntimeError(f"the log page answered {r.status_code}: {r.content[:300]!r}")
        return elapsed

    return _page_latency(ctx, "web_log_page", request, (10, None), "HTML rows")
