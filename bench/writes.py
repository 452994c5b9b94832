"""Stock changes: one at a time, and 8 writers on one hot SKU.

Product: `stock_adjust` (one adjustment per durable transaction through `ledger_record`).
Reference: the bare driver doing the same change in its own transaction: the stock update and
the log row insert (and, for concurrent writers, the product row lock first).
"""

from __future__ import annotations

import multiprocessing
import time
import uuid

from django.db import connections
from django.utils import timezone

from stockledger.catalog.services import product_create
from stockledger.ledger.services import stock_adjust

from .context import Context
from .generate import TABLE_COLUMNS
from .harness import Result, rounds_ratio_result

SEED_STOCK = 1_000_000


def _fresh_product(ctx: Context, label: str):
    """A product of its own, stocked in the first warehouse through the ledger."""
    sku = f"BENCH-{label}-{uuid.uuid4().hex[:8]}"
    product = product_create(company=ctx.ds.company, sku=sku, name=f"bench {label}")
    stock_adjust(
        company=ctx.ds.company, product=product, warehouse=ctx.ds.warehouses[0], change=SEED_STOCK
    )
    return product


class RawWriter:
    """The reference transaction through the bare driver (sqlite3 / psycopg)."""

    def __init__(self, ctx: Context, product, *, lock_product: bool) -> None:
        self.engine = ctx.engine
        self.conn = ctx.raw_connection()
        self.company_id = ctx.ds.company.id
        self.product = product
        self.warehouse = ctx.ds.warehouses[0]
        self.lock_product = lock_product
        mark = "?" if self.engine == "sqlite" else "%s"
        columns = ", ".join(TABLE_COLUMNS)
        self.insert = (
            f"INSERT INTO ledger_logentry ({columns}) "
            f"VALUES ({', '.join([mark] * len(TABLE_COLUMNS))})"
        )
        self.update = (
            f"UPDATE warehouses_stock SET physical_on_hand = physical_on_hand + {mark} "
            f"WHERE product_id = {mark} AND warehouse_id = {mark} RETURNING physical_on_hand, committed"
        )
        self.lock = f"SELECT id FROM catalog_product WHERE id = {mark} FOR UPDATE"
        self.template = {c: None for c in TABLE_COLUMNS} | {
            "company_id": self.company_id,
            "product_id": product.id,
            "warehouse_id": self.warehouse.id,
            "event_type": "on_hand",
            "warehouse_name": self.warehouse.name,
            "sku": product.sku,
            "committed_change": 0,
        }
        for name in (
            "cart_type",
            "cart_name",
            "event_id",
            "warehouse_locations",
            "user_name",
            "sending_warehouse_name",
            "receiving_warehouse_name",
            "transfer_notes",
            "line_notes",
            "order_step",
            "note",
            "explanation",
            "delivery_status",
            "kit_sku",
            "document_type",
        ):
            self.template[name] = ""

    def change(self, change: int) -> None:
        now = timezone.now()
        if self.engine == "sqlite":
            now = str(now.replace(tzinfo=None))
            cur = self.conn.cursor()
            cur.execute("BEGIN IMMEDIATE")
        else:
            cur = self.conn.cursor()
        if self.lock_product:
            cur.execute(self.lock, [self.product.id])
        cur.execute(self.update, [change, self.product.id, self.warehouse.id])
        physical, committed = cur.fetchone()
        row = dict(self.template)
        row.update(
            created_at=now,
            recorded_at=now,
            quantity=change,
            physical_on_hand=physical,
            committed=committed,
            available_on_hand=physical - committed,
            warehouse_physical_on_hand=physical,
            warehouse_committed=committed,
            warehouse_available_on_hand=physical - committed,
            physical_change=change,
            went_negative=False,
        )
        cur.execute(self.insert, [row[c] for c in TABLE_COLUMNS])
        if self.engine == "sqlite":
            cur.execute("COMMIT")
        else:
            self.conn.commit()

    def close(self) -> None:
        self.conn.close()


def _run_for(seconds: float, step) -> tuple[int, float]:
    """Call step(i) until `seconds` pass; return (calls, elapsed)."""
    count = 0
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        step(count)
        count += 1
        if count % 8 == 0 and time.perf_counter() >= deadline:
            break
    return count, time.perf_counter() - start


def single_stock_changes(ctx: Context) -> list[Result]:
    company, warehouse = ctx.ds.company, ctx.ds.warehouses[0]
    product = _fresh_product(ctx, "ADJ")
    raw = RawWriter(ctx, _fresh_product(ctx, "RAW"), lock_product=False)

    def service(i: int) -> None:
        stock_adjust(
            company=company, product=product, warehouse=warehouse, change=1 if i % 2 else -1
        )

    def reference(i: int) -> None:
        raw.change(1 if i % 2 else -1)

    # Warm both paths, then alternate time-boxed rounds so both see the same machine load.
    _run_for(0.2, service)
    _run_for(0.2, reference)
    p_rates, r_rates = [], []
    for _ in range(ctx.sizes.rounds):
        n, t = _run_for(ctx.sizes.seconds, service)
        p_rates.append(n / t)
        n, t = _run_for(ctx.sizes.seconds, reference)
        r_rates.append(n / t)
    raw.close()
    # The median of the per-round ratios: the machine is shared, and a round that lost the
    # CPU to something else says nothing about either path (see rounds_ratio_result).
    result = rounds_ratio_result(
        "single_stock_changes", ctx.engine, p_rates, r_rates, "changes/s", 0.3
    )
    result.details = [
        ("product path", "stock_adjust: one durable transaction per change"),
        ("reference path", "driver: BEGIN; UPDATE stock ... RETURNING; INSERT log row; COMMIT"),
        *result.details,
        (
            "best latency ms (product / reference)",
            f"{1e3 / max(p_rates):.3f} / {1e3 / max(r_rates):.3f}",
        ),
    ]
    return [result]


# --- 8 concurrent writers on one hot SKU (PostgreSQL) ---------------------------------------


def _writer_process(kind, ctx_args, product_id, seconds, start_at, queue):
    """One writer: its own connection, changes until the deadline; reports its count."""
    ctx, product = ctx_args
    try:
        if kind == "service":
            from stockledger.catalog.models import Product

            product = Product.objects.get(pk=product_id)
            company, warehouse = ctx.ds.company, ctx.ds.warehouses[0]

            def step(i):
                stock_adjust(
                    company=company, product=product, warehouse=warehouse, change=1 if i % 2 else -1
                )
        else:
            raw = RawWriter(ctx, product, lock_product=True)

            def step(i):
                raw.change(1 if i % 2 else -1)

        step(0)  # connect and warm up before the start line
        while time.time() < start_at:
            time.sleep(0.001)
        count, elapsed = _run_for(seconds, step)
        queue.put((count, elapsed, None))
    except Exception as exc:  # noqa: BLE001 - reported to the parent
        queue.put((0, 0.0, repr(exc)))
    finally:
        connections.close_all()


def _concurrent(ctx: Context, kind: str, product, seconds: float) -> float:
    writers = ctx.sizes.writers
    connections.close_all()  # never share a connection across fork
    mp = multiprocessing.get_context("fork")
    queue = mp.Queue()
    start_at = time.time() + 1.0 + 0.05 * writers
    procs = [
        mp.Process(
            target=_writer_process,
            args=(kind, (ctx, product), product.id, seconds, start_at, queue),
        )
        for _ in range(writers)
    ]
    for p in procs:
        p.start()
    reports = [queue.get(timeout=seconds + 120) for _ in procs]
    for p in procs:
        p.join()
    errors = [e for _, _, e in reports if e]
    if errors:
        raise RuntimeError(f"{kind} writer failed: {errors[0]}")
    return sum(c for c, _, _ in reports) / max(t for _, t, _ in reports)


def concurrent_writers(ctx: Context) -> list[Result]:
    service_product = _fresh_product(ctx, "HOT")
    raw_product = _fresh_product(ctx, "HOTRAW")
    p_rates, r_rates = [], []
    for _ in range(ctx.sizes.rounds):
        p_rates.append(_concurrent(ctx, "service", service_product, ctx.sizes.seconds))
        r_rates.append(_concurrent(ctx, "raw", raw_product, ctx.sizes.seconds))
    result = rounds_ratio_result(
        "concurrent_writers", ctx.engine, p_rates, r_rates, "changes/s", 0.3
    )
    result.details = [
        ("writers", f"{ctx.sizes.writers} processes, one SKU, one warehouse"),
        (
            "product path",
            "stock_adjust (locks the product row, updates stock, appends the log row)",
        ),
        (
            "reference path",
            "driver: SELECT product FOR UPDATE; UPDATE stock RETURNING; INSERT; COMMIT",
        ),
        *result.details,
    ]
    return [result]
