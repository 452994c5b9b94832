"""Measurements over real HTTP against `stockledger serve --no-worker`.

- log_page: `GET /api/v1/products/{id}/log?limit=50&cursor=...` at depths spread over the whole
  1M-row history, p99 latency, against the bare keyset query through the driver.
"""

from __future__ import annotations

import random
import time

from stockledger.ledger.api import encode_cursor
from stockledger.ledger.columns import COLUMNS

from .context import Context
from .exports import SELECT_COLUMNS
from .harness import Result, percentile

PAGE = 50
GOAL_MS = 25


def _cursors(ctx: Context, count: int) -> list[str | None]:
    """Cursors at random depths of the big product's history (and the first page)."""
    from stockledger.ledger.models import LogEntry

    rows = LogEntry.objects.filter(company=ctx.ds.company, product=ctx.ds.big)
    bounds = rows.order_by("id").values_list("id", flat=True)
    low, high = bounds.first(), bounds.last()
    rng = random.Random(11)
    wanted = {rng.randrange(low, high + 1) for _ in range(count * 2)}
    picks = list(rows.filter(id__in=wanted).values_list("created_at", "id"))
    rng.shuffle(picks)
    picks = picks[: count - count // 20]
    cursors: list[str | None] = [encode_cursor(k) for k in picks]
    cursors += [None] * (count // 20)  # the newest page, what a product page opens with
    rng.shuffle(cursors)
    return cursors, picks


def log_page(ctx: Context) -> list[Result]:
    client = ctx.http()
    product_id = ctx.ds.big.id
    n = ctx.sizes.requests
    cursors, keys = _cursors(ctx, n)

    def get(cursor):
        path = f"/api/v1/products/{product_id}/log?limit={PAGE}"
        if cursor:
            path += f"&cursor={cursor}"
        start = time.perf_counter()
        status, body = client.request("GET", path)
        elapsed = time.perf_counter() - start
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status}: {body[:300]!r}")
        return elapsed

    for c in cursors[:20]:
        get(c)  # warm the server's threads and connections
    product = [get(c) for c in cursors]
    client.close()

    conn = ctx.raw_connection()
    mark = "?" if ctx.engine == "sqlite" else "%s"
    sql = (
        f"SELECT {SELECT_COLUMNS} FROM ledger_logentry "
        f"WHERE company_id = {mark} AND product_id = {mark} "
        f"AND (created_at, id) < ({mark}, {mark}) ORDER BY created_at DESC, id DESC LIMIT {PAGE + 1}"
    )
    first = (
        f"SELECT {SELECT_COLUMNS} FROM ledger_logentry "
        f"WHERE company_id = {mark} AND product_id = {mark} "
        f"ORDER BY created_at DESC, id DESC LIMIT {PAGE + 1}"
    )
    company_id = ctx.ds.company.id

    def query(key):
        start = time.perf_counter()
        cur = conn.cursor()
        if key is None:
            cur.execute(first, [company_id, product_id])
        else:
            at = str(key[0].replace(tzinfo=None)) if ctx.engine == "sqlite" else key[0]
            cur.execute(sql, [company_id, product_id, at, key[1]])
        rows = cur.fetchall()
        elapsed = time.perf_counter() - start
        if not rows:
            raise RuntimeError("the bare query found no rows")
        return elapsed

    plain_keys = [None] * (n // 20) + keys
    for k in plain_keys[:20]:
        query(k)
    reference = [query(k) for k in plain_keys]
    if ctx.engine == "postgresql":
        conn.rollback()
    conn.close()

    p99, r99 = percentile(product, 99) * 1e3, percentile(reference, 99) * 1e3
    result = Result(
        "log_page",
        ctx.engine,
        p99,
        r99,
        "ms (p99)",
        r99 / p99,
        f"product <= {GOAL_MS} ms",
        p99 <= GOAL_MS,
    )
    result.details = [
        ("history rows", ctx.ds.rows["BIG-1"]),
        ("requests", f"{n} pages of {PAGE}, cursors at random depths, {len(COLUMNS)} columns"),
        (
            "p50 ms (product / reference)",
            f"{percentile(product, 50) * 1e3:.2f} / {percentile(reference, 50) * 1e3:.2f}",
        ),
        ("p99 ms (product / reference)", f"{p99:.2f} / {r99:.2f}"),
        ("max ms (product / reference)", f"{max(product) * 1e3:.2f} / {max(reference) * 1e3:.2f}"),
        ("reference path", "driver: keyset WHERE (created_at, id) < (?, ?) ... LIMIT 51, fetchall"),
    ]
    return [result]
