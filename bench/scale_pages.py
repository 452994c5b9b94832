"""The log page at two sizes of the scale run, measured in the same minutes, alternated.

    python -m bench.scale_pages postgres://.../sl_bench_scale1m postgres://.../sl_bench_scale

On a shared machine one size measured at 23:25 and the other at 00:15 compare the machine's
load as much as the table. This runs the product's own log page query (the SQL Django
compiles for `log_page(log_entries(...), newest_first=True, fields=the API's)`, sent with
client-side binding as Django sends it, so it is planned every time) against both
databases request by request: same random product index and depth on each. Prints p50 / p99
per database and the ratio of the second to the first.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stockledger.settings")
django.setup()

import psycopg  # noqa: E402
from django.db.models import Q  # noqa: E402

from stockledger.core.models import Company  # noqa: E402
from stockledger.ledger.api import _PAGE_FIELDS  # noqa: E402
from stockledger.ledger.selectors import log_entries  # noqa: E402

from .scale_run import NAME  # noqa: E402

MAXINT = 9223372036854775807


def _page_sql(company_id: int, product_id: int, at):
    qs = log_entries(company=Company(id=company_id), product_ids=[product_id]).order_by(
        "-created_at", "-id"
    )
    # log_page's keyset filter, as it writes it (ledger/selectors.py)
    qs = qs.filter(Q(created_at__lte=at), Q(created_at__lt=at) | Q(id__lt=MAXINT))
    return qs.values_list(*_PAGE_FIELDS)[:51].query.sql_with_params()


class Side:
    def __init__(self, url: str) -> None:
        self.conn = psycopg.connect(url, autocommit=True, prepare_threshold=None)
        self.conn.cursor_factory = psycopg.ClientCursor
        cur = self.conn.execute("SELECT id FROM core_company WHERE name = %s", [NAME])
        self.company = cur.fetchone()[0]
        self.products = [
            r[0]
            for r in self.conn.execute(
                "SELECT id FROM catalog_product WHERE company_id = %s ORDER BY id", [self.company]
            )
        ]
        self.low, self.high = self.conn.execute(
            "SELECT min(created_at), max(created_at) FROM ledger_logentry WHERE company_id = %s",
            [self.company],
        ).fetchone()
        self.rows = self.conn.execute("SELECT count(*) FROM ledger_logentry").fetchone()[0]
        self.times: list[float] = []

    def page(self, product_index: int, depth: float) -> None:
        at = self.low + (self.high - self.low) * depth
        sql, params = _page_sql(self.company, self.products[product_index], at)
        started = time.perf_counter()
        rows = self.conn.execute(sql, params).fetchall()
        self.times.append((time.perf_counter() - started) * 1000)
        assert rows or depth < 0.01


def _summary(times: list[float]) -> tuple[float, float]:
    times = sorted(times)
    return round(statistics.median(times), 2), round(times[int(len(times) * 0.99) - 1], 2)


def main() -> None:
    small, big = Side(sys.argv[1]), Side(sys.argv[2])
    samples = int(sys.argv[3]) if len(sys.argv) > 3 else 600
    rng = random.Random(11)
    for k in range(samples):
        index, depth = rng.randrange(20), 1.0 if k % 20 == 0 else rng.random()
        first, second = (small, big) if k % 2 == 0 else (big, small)
        first.page(index, depth)
        second.page(index, depth)
    (s50, s99), (b50, b99) = _summary(small.times), _summary(big.times)
    print(
        json.dumps(
            {
                "small_rows": small.rows,
                "big_rows": big.rows,
                "small_p50_ms": s50,
                "small_p99_ms": s99,
                "big_p50_ms": b50,
                "big_p99_ms": b99,
                "p50_ratio": round(b50 / s50, 2),
                "p99_ratio": round(b99 / s99, 2),
                "samples": samples,
            }
        )
    )


if __name__ == "__main__":
    main()
