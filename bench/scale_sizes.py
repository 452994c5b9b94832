"""Per-row cost of the Inventory Log on PostgreSQL, for the projection in docs/scale.md.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sl_scale_size \
        python -m bench.scale_sizes --rows 1000000 [--rows 3000000 ...]

Makes one company (20 products, 3 warehouses) through the services, then appends log rows
server-side (INSERT ... SELECT over generate_series, in 500,000-row transactions: the bench's
COPY path costs the same per row on disk) with the shapes of real rows (order imports, PO
receipts, adjustments; SKUs, warehouse names, cart names, notes), VACUUM ANALYZEs, and prints
the table, TOAST and every index's size per row, and a keyset log-page query's p50/p99 at
random depths. Each `--rows` value is a cumulative total: the table grows to it.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stockledger.settings")
django.setup()

from django.db import connection  # noqa: E402

from stockledger.catalog.models import Product  # noqa: E402
from stockledger.catalog.services import product_create  # noqa: E402
from stockledger.core.models import Company  # noqa: E402
from stockledger.core.services import company_create  # noqa: E402
from stockledger.warehouses.models import Warehouse  # noqa: E402
from stockledger.warehouses.services import warehouse_create  # noqa: E402

NAME = "scale sizes v1"
BATCH = 500_000

INSERT = """
INSERT INTO ledger_logentry (
  company_id, product_id, warehouse_id, user_id, created_at, recorded_at, event_type,
  quantity, available_on_hand, physical_on_hand, committed, warehouse_physical_on_hand,
  warehouse_committed, warehouse_available_on_hand, physical_change, committed_change,
  cart_type, cart_id, cart_name, event_id, warehouse_name, warehouse_locations, user_name,
  sending_warehouse_name, receiving_warehouse_name, transfer_notes, line_notes, sku,
  order_step, went_negative, note, explanation, delivery_status, kit_sku, document_type,
  document_id, event_group)
SELECT %(company)s, (%(products)s::bigint[])[1 + g %% 20], (%(warehouses)s::bigint[])[1 + g %% 3],
  NULL, ts, ts,
  (ARRAY['order_import','order_close','po_received','on_hand','transfer'])[1 + g %% 5],
  (g %% 7) - 3, 1000 + g %% 500, 1200 + g %% 500, 200, 400 + g %% 90, 60, 340 + g %% 90,
  (g %% 7) - 3, CASE WHEN g %% 5 < 2 THEN 1 ELSE 0 END,
  (ARRAY['order','order','purchase_order','','transfer'])[1 + g %% 5], g / 3,
  CASE WHEN g %% 5 < 2 THEN '#' || (100000 + g / 3)::text ELSE '' END,
  CASE WHEN g %% 5 < 2 THEN 'shopify-' || (g / 3)::text ELSE '' END,
  (ARRAY['Main','East Coast','Overflow, Reno'])[1 + g %% 3], '', '',
  '', '', '', '', 'SCALE-' || (g %% 20)::text,
  CASE WHEN g %% 5 < 2 THEN 'committed' ELSE '' END, false,
  CASE WHEN g %% 11 = 0 THEN 'cycle count, aisle 4' ELSE '' END, '', '', '',
  (ARRAY['order','order','purchase_order','','transfer'])[1 + g %% 5], g / 3, NULL
FROM generate_series(%(start)s::bigint, %(stop)s::bigint) AS g,
     LATERAL (SELECT timestamptz '2023-01-01' + g * interval '90 seconds' AS ts) t
"""


def setup() -> tuple[int, list[int], list[int]]:
    company = Company.objects.filter(name=NAME).first()
    if company is None:
        company, _user, _token = company_create(
            name=NAME, username="scale-sizes", password="pw-123456"
        )
        for name in ("Main", "East Coast", "Overflow, Reno"):
            warehouse_create(company=company, name=name)
        for i in range(20):
            product_create(company=company, sku=f"SCALE-{i}", name=f"Scale product {i}")
    products = list(
        Product.objects.filter(company=company).order_by("id").values_list("id", flat=True)
    )
    warehouses = list(
        Warehouse.objects.filter(company=company).order_by("id").values_list("id", flat=True)
    )
    return company.id, products, warehouses


def count(company: int) -> int:
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM ledger_logentry WHERE company_id = %s", [company])
        return cur.fetchone()[0]


def sizes() -> dict:
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM ledger_logentry")
        rows = cur.fetchone()[0]
        cur.execute(
            "SELECT pg_relation_size('ledger_logentry'),"
            " pg_table_size('ledger_logentry') - pg_relation_size('ledger_logentry'),"
            " pg_indexes_size('ledger_logentry'), pg_total_relation_size('ledger_logentry')"
        )
        heap, toast_fsm_vm, indexes, total = cur.fetchone()
        cur.execute(
            "SELECT indexrelid::regclass::text, pg_relation_size(indexrelid)"
            " FROM pg_index WHERE indrelid = 'ledger_logentry'::regclass ORDER BY 2 DESC"
        )
        per_index = {name: size for name, size in cur.fetchall()}
    return {
        "rows": rows,
        "heap_bytes_per_row": round(heap / rows, 1),
        "toast_fsm_vm_bytes_per_row": round(toast_fsm_vm / rows, 1),
        "index_bytes_per_row": round(indexes / rows, 1),
        "total_bytes_per_row": round(total / rows, 1),
        "total_mb": round(total / 2**20),
        "index_bytes_per_row_each": {k: round(v / rows, 1) for k, v in per_index.items()},
    }


def log_page_timings(products: list[int], total: int, samples: int = 300) -> dict:
    """The product log page's keyset query (50 rows, newest first) at random depths."""
    rng = random.Random(1)
    times = []
    with connection.cursor() as cur:
        cur.execute("SELECT min(created_at), max(created_at) FROM ledger_logentry")
        low, high = cur.fetchone()
        span = (high - low).total_seconds()
        for _ in range(samples):
            product = rng.choice(products)
            at = low + (high - low) * rng.random() if span else high
            started = time.perf_counter()
            cur.execute(
                "SELECT * FROM ledger_logentry WHERE product_id = %s AND"
                " (created_at, id) < (%s, 9223372036854775807)"
                " ORDER BY created_at DESC, id DESC LIMIT 50",
                [product, at],
            )
            cur.fetchall()
            times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {
        "log_page_p50_ms": round(statistics.median(times), 2),
        "log_page_p99_ms": round(times[int(len(times) * 0.99) - 1], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, action="append", required=True)
    args = parser.parse_args()
    company, products, warehouses = setup()
    results = []
    for target in args.rows:
        have = count(company)
        started = time.perf_counter()
        while have < target:
            stop = min(have + BATCH, target)
            with connection.cursor() as cur:
                cur.execute(
                    INSERT,
                    {
                        "company": company,
                        "products": products,
                        "warehouses": warehouses,
                        "start": have + 1,
                        "stop": stop,
                    },
                )
            have = stop
        inserted = time.perf_counter() - started
        with connection.cursor() as cur:
            cur.execute("VACUUM ANALYZE ledger_logentry")
        result = sizes() | log_page_timings(products, have)
        result["insert_seconds"] = round(inserted, 1)
        results.append(result)
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
