"""The log page at two sizes of the scale run, measured in the same minutes, alternated.

    python -m bench.scale_pages postgres://.../sl_bench_scale1m postgres://.../sl_bench_scale [600]

On a shared machine one size measured at 23:25 and the other at 00:15 compare the machine's
load as much as the table. This runs the product log page through the app's own code
against both databases request by request (same random product index and depth on each),
on kept connections configured as the app configures them (settings.py, with the second
database's name and address):

- `api`: `plain_log_page`, what `GET /products/{id}/log` runs for an unfiltered page (a
  prepared statement on PostgreSQL, planned once per connection: ledger/prepared.py);
- `web`: `log_page(log_entries(...))`, the product screen's log table (the ORM's query,
  prepared the same way, rows as model instances);
- `unprepared`: the `api` page's SQL sent the way Django sends a query (values written in
  by the client, so planned on every request): the page before the prepared statement.

Prints p50 / p99 per database and kind, and the ratio of the second database to the first.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import time
from collections.abc import Callable

import dj_database_url
import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stockledger.settings")
if len(sys.argv) > 2:
    os.environ["DATABASE_URL"] = sys.argv[1]

from django.conf import settings  # noqa: E402

if len(sys.argv) > 2:  # the second database, configured as the first (the app's settings)
    _big = dj_database_url.parse(sys.argv[2])
    settings.DATABASES["big"] = dict(
        settings.DATABASES["default"],
        **{k: _big[k] for k in ("NAME", "USER", "PASSWORD", "HOST", "PORT")},
    )
django.setup()

from django.db import connections  # noqa: E402

from stockledger.core.models import Company  # noqa: E402
from stockledger.ledger.api import _plain_page_sql, plain_log_page  # noqa: E402
from stockledger.ledger.selectors import log_entries, log_page  # noqa: E402

from .scale_run import NAME  # noqa: E402

MAXINT = 9223372036854775807
LIMIT = 50
KINDS = ("api", "web", "unprepared")


class Side:
    def __init__(self, alias: str) -> None:
        self.alias = alias
        self.db = connections[alias]
        self.company = Company.objects.using(alias).get(name=NAME)
        with self.db.cursor() as cur:
            cur.execute(
                "SELECT id FROM catalog_product WHERE company_id = %s ORDER BY id",
                [self.company.id],
            )
            self.products = [r[0] for r in cur.fetchall()]
            cur.execute(
                "SELECT min(created_at), max(created_at) FROM ledger_logentry"
                " WHERE company_id = %s",
                [self.company.id],
            )
            self.low, self.high = cur.fetchone()
            cur.execute("SELECT count(*) FROM ledger_logentry")
            self.rows = cur.fetchone()[0]
            cur.execute("SHOW plan_cache_mode")
            self.plan_cache_mode = cur.fetchone()[0]
        self.times: dict[str, list[float]] = {kind: [] for kind in KINDS}

    def api(self, product: int, at) -> int:
        items, _next = plain_log_page(
            company_id=self.company.id,
            product_id=product,
            limit=LIMIT,
            cursor=(at, MAXINT),
            newest_first=True,
            using=self.alias,
        )
        return len(items)

    def web(self, product: int, at) -> int:
        qs = log_entries(company=self.company, product_ids=[product]).using(self.alias)
        rows, _next = log_page(qs, limit=LIMIT, cursor=(at, MAXINT), newest_first=True)
        return len(rows)

    def unprepared(self, product: int, at) -> int:
        sql = _plain_page_sql("postgresql", True, True) + str(LIMIT + 1)
        with self.db.cursor() as cur:
            cur.execute(sql, [self.company.id, product, at, at, MAXINT])
            return len(cur.fetchall())

    def page(self, kind: str, product_index: int, depth: float) -> None:
        at = self.low + (self.high - self.low) * depth
        run: Callable[[int, object], int] = getattr(self, kind)
        started = time.perf_counter()
        found = run(self.products[product_index], at)
        self.times[kind].append((time.perf_counter() - started) * 1000)
        assert found or depth < 0.01

    def prepared_statements(self) -> list[dict]:
        with self.db.cursor() as cur:
            cur.execute(
                "SELECT generic_plans, custom_plans FROM pg_prepared_statements"
                " WHERE statement LIKE %s",
                ["%ledger_logentry%"],
            )
            return [{"generic_plans": g, "custom_plans": c} for g, c in cur.fetchall()]


def _summary(times: list[float]) -> tuple[float, float]:
    times = sorted(times)
    return round(statistics.median(times), 2), round(times[int(len(times) * 0.99) - 1], 2)


def main() -> None:
    small, big = Side("default"), Side("big")
    samples = int(sys.argv[3]) if len(sys.argv) > 3 else 600
    rng = random.Random(11)
    load_before = os.getloadavg()
    started = time.time()
    for k in range(samples):
        index, depth = rng.randrange(20), 1.0 if k % 20 == 0 else rng.random()
        for kind in KINDS:
            first, second = (small, big) if k % 2 == 0 else (big, small)
            first.page(kind, index, depth)
            second.page(kind, index, depth)
    result: dict = {
        "small_rows": small.rows,
        "big_rows": big.rows,
        "samples": samples,
        "plan_cache_mode": [small.plan_cache_mode, big.plan_cache_mode],
        "seconds": round(time.time() - started, 1),
        "load_average_before": [round(x, 1) for x in load_before],
        "load_average_after": [round(x, 1) for x in os.getloadavg()],
    }
    for kind in KINDS:
        (s50, s99), (b50, b99) = _summary(small.times[kind]), _summary(big.times[kind])
        result[kind] = {
            "small_p50_ms": s50,
            "small_p99_ms": s99,
            "big_p50_ms": b50,
            "big_p99_ms": b99,
            "p50_ratio": round(b50 / s50, 2),
            "p99_ratio": round(b99 / s99, 2),
        }
    result["prepared"] = {"small": small.prepared_statements(), "big": big.prepared_statements()}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
