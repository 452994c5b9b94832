"""The API over real HTTP, as clients use it: `stockledger serve` on a free port.

- http_adjustments: 4 client threads, each with a keep-alive connection and the company's
  token, `POST /api/v1/stock/on-hand` (an adjustment with a note) on a product of its own;
  against 4 threads of this process calling `stock_adjust` directly on products of their own.
  Alternating time-boxed rounds, median of the paired ratios (as api_adjustments).
- http_orders: the same for `POST /api/v1/orders` (one order of 3 lines) against
  `order_import`.
- export_latency: an export of a product's log (about 2,000 and about 20,000 rows) through
  `stockledger serve` with its worker, as `make run` serves it: `POST /api/v1/exports`, the
  job's pick-up, the file complete, the file downloaded; each step timed, against the
  database's own CSV dump of the same rows (sqlite3 -csv / psql COPY), alternated.

The server is one process (waitress threads under one GIL; on SQLite its requests run one
after another while they are quick: core/dispatcher.py); so is the reference (threads of this
process). The clients share this process and the machine's cores with both.
"""

from __future__ import annotations

import itertools
import statistics
import threading
import time
from datetime import UTC, datetime

from stockledger.ledger.services import stock_adjust
from stockledger.orders.services import order_import

from .context import Context
from .exports import database_dump
from .harness import Result, percentile, rounds_ratio_result
from .writes import _fresh_product

CLIENTS = 4
ORDER_LINES = 3


def _concurrent_rate(seconds: float, steps) -> float:
    """Run each step(i) in its own thread until `seconds` pass; calls per second in all."""
    from django.db import connection

    counts = [0] * len(steps)
    errors: list[BaseException] = []
    start = threading.Barrier(len(steps) + 1)
    deadline = [0.0]

    def run(k: int) -> None:
        try:
            start.wait()
            step, i = steps[k], 0
            while time.perf_counter() < deadline[0]:
                step(i)
                i += 1
            counts[k] = i
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)
        finally:
            connection.close()  # this thread's own connection (direct calls)

    threads = [threading.Thread(target=run, args=(k,)) for k in range(len(steps))]
    for t in threads:
        t.start()
    began = time.perf_counter()
    deadline[0] = began + seconds
    start.wait()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    if errors:
        raise errors[0]
    return sum(counts) / elapsed


def _rounds(ctx: Context, product_steps, reference_steps) -> tuple[list[float], list[float]]:
    _concurrent_rate(0.3, product_steps)  # warm the server's threads and connections
    _concurrent_rate(0.3, reference_steps)
    p_rates, r_rates = [], []
    for _ in range(ctx.sizes.rounds):
        p_rates.append(_concurrent_rate(ctx.sizes.seconds, product_steps))
        r_rates.append(_concurrent_rate(ctx.sizes.seconds, reference_steps))
    return p_rates, r_rates


def _post(client, path: str, body: dict) -> None:
    status, answer = client.request("POST", f"/api/v1{path}", body)
    if status != 201:
        raise RuntimeError(f"POST {path} answered {status}: {answer[:300]!r}")


def http_adjustments(ctx: Context) -> list[Result]:
    company, warehouse = ctx.ds.company, ctx.ds.warehouses[0]
    via_http = [_fresh_product(ctx, f"HTTPADJ{k}") for k in range(CLIENTS)]
    direct = [_fresh_product(ctx, f"SVCHADJ{k}") for k in range(CLIENTS)]
    clients = [ctx.http() for _ in range(CLIENTS)]

    def http_step(k: int):
        def step(i: int) -> None:
            body = {
                "sku": via_http[k].sku,
                "warehouse_id": warehouse.id,
                "change": 1 if i % 2 else -1,
                "note": "bench",
            }
            _post(clients[k], "/stock/on-hand", body)

        return step

    def direct_step(k: int):
        def step(i: int) -> None:
            stock_adjust(
                company=company,
                product=direct[k],
                warehouse=warehouse,
                change=1 if i % 2 else -1,
                note="bench",
            )

        return step

    p_rates, r_rates = _rounds(
        ctx,
        [http_step(k) for k in range(CLIENTS)],
        [direct_step(k) for k in range(CLIENTS)],
    )
    for client in clients:
        client.close()
    result = rounds_ratio_result("http_adjustments", ctx.engine, p_rates, r_rates, "changes/s", 0.3)
    result.details = [
        ("product path", f"POST /api/v1/stock/on-hand over HTTP, {CLIENTS} concurrent clients"),
        ("reference path", f"stock_adjust called directly from {CLIENTS} threads"),
        *result.details,
    ]
    return [result]


def http_orders(ctx: Context) -> list[Result]:
    company, warehouse, channel = ctx.ds.company, ctx.ds.warehouses[0], ctx.ds.channels[0]
    via_http = [
        [_fresh_product(ctx, f"HTTPORD{k}{j}") for j in range(ORDER_LINES)] for k in range(CLIENTS)
    ]
    direct = [
        [_fresh_product(ctx, f"SVCHORD{k}{j}") for j in range(ORDER_LINES)] for k in range(CLIENTS)
    ]
    clients = [ctx.http() for _ in range(CLIENTS)]
    run = f"{time.time_ns():x}"
    placed = datetime.now(UTC).isoformat()
    numbers = itertools.count()  # shared by the threads: order numbers never repeat

    def http_step(k: int):
        def step(_: int) -> None:
            body = {
                "channel_id": channel.id,
                "order_number": f"HTTP-{run}-{next(numbers)}",
                "placed_at": placed,
                "warehouse_id": warehouse.id,
                "lines": [{"sku": p.sku, "quantity": 1} for p in via_http[k]],
            }
            _post(clients[k], "/orders", body)

        return step

    def direct_step(k: int):
        def step(_: int) -> None:
            order_import(
                company=company,
                channel=channel,
                order_number=f"SVCH-{run}-{next(numbers)}",
                placed_at=placed,
                warehouse=warehouse,
                lines=[{"sku": p.sku, "quantity": 1} for p in direct[k]],
                user=ctx.ds.user,
            )

        return step

    p_rates, r_rates = _rounds(
        ctx,
        [http_step(k) for k in range(CLIENTS)],
        [direct_step(k) for k in range(CLIENTS)],
    )
    for client in clients:
        client.close()
    result = rounds_ratio_result("http_orders", ctx.engine, p_rates, r_rates, "orders/s", 0.3)
    result.details = [
        (
            "product path",
            f"POST /api/v1/orders over HTTP, one order of {ORDER_LINES} lines, "
            f"{CLIENTS} concurrent clients",
        ),
        ("reference path", f"order_import called directly from {CLIENTS} threads"),
        *result.details,
    ]
    return [result]


# --- exports: request -> job -> file ---------------------------------------------------------

WAKE_GOAL_S = 0.1


def _export_product(ctx: Context, rows: int):
    """A product with about `rows` log rows: the dataset's closest one, or a fresh one."""
    from stockledger.catalog.models import Product

    near = [(abs(n - rows), sku, n) for sku, n in ctx.ds.rows.items() if 0.8 <= n / rows <= 1.25]
    if near:
        _, sku, n = min(near)
        return Product.objects.get(company=ctx.ds.company, sku=sku), n
    product = _fresh_product(ctx, f"EXP{rows}")
    for i in range(rows - 1):
        stock_adjust(
            company=ctx.ds.company,
            product=product,
            warehouse=ctx.ds.warehouses[0],
            change=1 if i % 2 else -1,
            note="bench",
        )
    return product, rows


def _one_export(ctx: Context, client, product_id: int) -> dict[str, float]:
    """POST /exports, poll until complete (every 5 ms), download; seconds per step."""
    from stockledger.exports.models import Export

    t0 = time.perf_counter()
    status, body = client.request("POST", "/api/v1/exports", {"product_id": product_id})
    if status not in (200, 201, 202):
        raise RuntimeError(f"POST /exports answered {status}: {body[:300]!r}")
    t_request = time.perf_counter()
    import json

    export_id = json.loads(body)["id"]
    while True:
        status, body = client.request("GET", f"/api/v1/exports/{export_id}")
        state = json.loads(body)["status"]
        if state == "complete":
            break
        if state == "failed":
            raise RuntimeError(f"export {export_id} failed: {body[:300]!r}")
        time.sleep(0.005)
    t_complete = time.perf_counter()
    status, content = client.request("GET", f"/api/v1/exports/{export_id}/csv")
    if status != 200:
        raise RuntimeError(f"GET /exports/{export_id}/csv answered {status}")
    t_file = time.perf_counter()
    export = Export.objects.get(pk=export_id)
    return {
        "total": t_file - t0,
        "request": t_request - t0,
        # The database's own clock: committed request -> worker picked the job up -> written.
        "wake": (export.started_at - export.created_at).total_seconds(),
        "write": (export.finished_at - export.started_at).total_seconds(),
        "seen": t_complete - t_request,
        "download": t_file - t_complete,
        "bytes": len(content),
    }


def export_latency(ctx: Context) -> list[Result]:
    client = ctx.http(worker=True)
    repeats = max(3, ctx.sizes.rounds * 3)
    results = []
    # A typical product's log; the tiny size (the harness test) only checks the shape.
    for rows in (200,) if ctx.sizes.label == "tiny" else (2_000, 20_000):
        product, n = _export_product(ctx, rows)
        _one_export(ctx, client, product.id)  # warm: the worker's first job imports its code
        steps: list[dict[str, float]] = []
        dumps: list[float] = []
        for _ in range(repeats):
            steps.append(_one_export(ctx, client, product.id))
            start = time.perf_counter()
            database_dump(ctx, [product.id], ctx.out_dir / "export-latency-dump.csv")
            dumps.append(time.perf_counter() - start)
        p50 = {k: statistics.median(s[k] for s in steps) for k in steps[0]}
        d50 = statistics.median(dumps)
        wake95 = percentile([s["wake"] for s in steps], 95)
        met = p50["total"] <= 2 * d50 + p50["wake"] and p50["wake"] < WAKE_GOAL_S
        result = Result(
            f"export_latency_{rows // 1000}k" if rows >= 1000 else f"export_latency_{rows}",
            ctx.engine,
            p50["total"] * 1e3,
            d50 * 1e3,
            "ms (p50)",
            d50 / p50["total"],
            "p50 <= 2x the dump + wake-up, wake-up < 100 ms",
            met,
        )
        totals = sorted(s["total"] * 1e3 for s in steps)
        result.details = [
            ("rows", f"{n:,} (one product), {repeats} exports, each alternated with a dump"),
            (
                "request -> file ms (low / p50 / high)",
                f"{totals[0]:.1f} / {p50['total'] * 1e3:.1f} / {totals[-1]:.1f}",
            ),
            ("  POST /exports answered", f"{p50['request'] * 1e3:.1f} ms"),
            (
                "  worker picked it up (created -> started)",
                f"{p50['wake'] * 1e3:.1f} ms (p95 {wake95 * 1e3:.1f})",
            ),
            ("  writing the file (started -> finished)", f"{p50['write'] * 1e3:.1f} ms"),
            ("  client saw complete (incl. the above)", f"{p50['seen'] * 1e3:.1f} ms"),
            ("  download", f"{p50['download'] * 1e3:.1f} ms ({p50['bytes'] / 1e3:.0f} kB)"),
            ("reference path", "database dump of the same rows (sqlite3 -csv / psql COPY)"),
            ("2x dump + wake-up", f"{(2 * d50 + p50['wake']) * 1e3:.1f} ms"),
        ]
        results.append(result)
    client.close()
    return results
