"""Count import: a 100,000-row on-hand count CSV, checked and applied, against the bare driver.

Product: what the pages and the API run for a count file: `import_upload` (store, check every
row, stage it), `import_confirm`, then the worker's `import_run` (one transaction; batches of
1,000 `on_hand` rows through `ledger_record`).
Reference: the same counts through the driver: per ~1,000 rows one transaction that reads the
stock rows, inserts the `on_hand` log rows (quantities chained) with executemany and upserts
the stock rows.

Also measured: the peak RSS growth of the product path at a tenth of the rows and at all of
them, each in a fresh process (Linux VmHWM reset after start-up), to show memory does not
grow with the file.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from stockledger.catalog.models import Product
from stockledger.imports.services import import_confirm, import_run, import_upload

from .context import Context
from .generate import TABLE_COLUMNS
from .harness import Result, ratio_result

ROWS = {"full": 100_000, "quick": 100_000, "tiny": 2_000}
BATCH = 1000
REASONS = ("cycle_count", "correction", "damaged", "shrinkage")


def _products(ctx: Context, rows: int) -> list[Product]:
    """Enough products that each (product, warehouse) is counted once. Made in bulk: this
    is the bench's catalogue, not what is measured."""
    per = len(ctx.ds.warehouses)
    run = uuid.uuid4().hex[:6]
    products = [
        Product(company=ctx.ds.company, sku=f"CNT-{run}-{i:06d}", name=f"count {i}")
        for i in range((rows + per - 1) // per)
    ]
    Product.objects.bulk_create(products, batch_size=2000)
    return list(Product.objects.filter(company=ctx.ds.company, sku__startswith=f"CNT-{run}-"))


def _counts(ctx: Context, products: list[Product], rows: int, round_no: int) -> list[tuple]:
    out = []
    for i in range(rows):
        product = products[i // len(ctx.ds.warehouses)]
        warehouse = ctx.ds.warehouses[i % len(ctx.ds.warehouses)]
        out.append((product, warehouse, (i * 7 + round_no) % 500, REASONS[i % len(REASONS)]))
    return out


def _csv(counts: list[tuple]) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, delimiter=";")
    writer.writerow(["SKU", "Warehouse", "Quantity", "Mode", "Reason", "Note"])
    for product, warehouse, quantity, reason in counts:
        writer.writerow([product.sku, warehouse.name, quantity, "set", reason, "bench count"])
    return "\ufeff".encode() + text.getvalue().encode()


def _import(ctx: Context, data: bytes) -> float:
    """Upload, check and apply a count file; return the seconds it took."""
    began = time.perf_counter()
    job = import_upload(
        company=ctx.ds.company,
        user=ctx.ds.user,
        kind="counts",
        upload=SimpleUploadedFile("counts.csv", data),
        check_now=True,
    )
    if job.status != "ready":
        raise RuntimeError(f"bench count file refused: {job.error or job.rows_bad}")
    import_confirm(company=ctx.ds.company, user=ctx.ds.user, import_id=job.id, again=True)
    if import_run(import_id=job.id) != "complete":
        job.refresh_from_db()
        raise RuntimeError(f"bench count import failed: {job.error}")
    return time.perf_counter() - began


class RawCounts:
    """The reference: the driver writing the same counts, ~1,000 rows a transaction."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.engine = ctx.engine
        self.conn = ctx.raw_connection()
        self.mark = "?" if self.engine == "sqlite" else "%s"

    def _stamp(self, value):
        return str(value.replace(tzinfo=None)) if self.engine == "sqlite" else value

    def run(self, counts: list[tuple]) -> None:
        for start in range(0, len(counts), BATCH):
            self._transaction(counts[start : start + BATCH])

    def _transaction(self, counts: list[tuple]) -> None:
        m = self.mark
        cur = self.conn.cursor()
        if self.engine == "sqlite":
            cur.execute("BEGIN IMMEDIATE")
        ids = sorted({p.id for p, _, _, _ in counts})
        if self.engine == "postgresql":
            cur.execute(
                f"SELECT id FROM catalog_product WHERE id IN ({', '.join(map(str, ids))}) "
                "ORDER BY id FOR UPDATE"
            )
        cur.execute(
            "SELECT product_id, warehouse_id, physical_on_hand, committed FROM warehouses_stock "
            f"WHERE product_id IN ({', '.join(map(str, ids))})"
        )
        stock: dict[tuple[int, int], list[int]] = {}
        totals: dict[int, list[int]] = {}
        for p, w, phys, comm in cur.fetchall():
            stock[(p, w)] = [phys, comm]
            total = totals.setdefault(p, [0, 0])
            total[0] += phys
            total[1] += comm
        now = self._stamp(timezone.now())
        logs, upserts = [], []
        for product, warehouse, quantity, reason in counts:
            key = (product.id, warehouse.id)
            physical, committed = stock.setdefault(key, [0, 0])
            change = quantity - physical
            stock[key][0] = quantity
            total = totals.setdefault(product.id, [0, 0])
            total[0] += change
            total_physical, total_committed = total
            logs.append(
                self._log_row(
                    product,
                    warehouse,
                    now,
                    change,
                    quantity,
                    committed,
                    total_physical,
                    total_committed,
                    reason,
                )
            )
            upserts.append([self.ctx.ds.company.id, product.id, warehouse.id, quantity, committed])
        marks = ", ".join([m] * len(TABLE_COLUMNS))
        cur.executemany(
            f"INSERT INTO ledger_logentry ({', '.join(TABLE_COLUMNS)}) VALUES ({marks})", logs
        )
        cur.executemany(
            "INSERT INTO warehouses_stock "
            "(company_id, product_id, warehouse_id, physical_on_hand, committed) "
            f"VALUES ({m}, {m}, {m}, {m}, {m}) ON CONFLICT (company_id, product_id, warehouse_id) "
            "DO UPDATE SET physical_on_hand = excluded.physical_on_hand",
            upserts,
        )
        if self.engine == "sqlite":
            cur.execute("COMMIT")
        else:
            self.conn.commit()

    def _log_row(self, product, warehouse, now, change, physical, committed, tp, tc, reason):
        values = dict.fromkeys(TABLE_COLUMNS, "")
        for name in (
            "imported_at",
            "cart_id",
            "expected_quantity",
            "received_quantity",
            "restocked_quantity",
            "channel_last_written",
            "channel_differs",
            "document_id",
            "event_group",
        ):
            values[name] = None
        values.update(
            company_id=self.ctx.ds.company.id,
            product_id=product.id,
            warehouse_id=warehouse.id,
            user_id=self.ctx.ds.user.id,
            created_at=now,
            recorded_at=now,
            event_type="on_hand",
            quantity=change,
            physical_on_hand=tp,
            available_on_hand=tp - tc,
            committed=tc,
            warehouse_physical_on_hand=physical,
            warehouse_committed=committed,
            warehouse_available_on_hand=physical - committed,
            physical_change=change,
            committed_change=0,
            warehouse_name=warehouse.name,
            user_name=self.ctx.ds.user.username,
            sku=product.sku,
            note="bench count",
            reason=reason,
            went_negative=False,
        )
        return [values[c] for c in TABLE_COLUMNS]

    def close(self) -> None:
        self.conn.close()


def _peak_growth_mb(ctx: Context, data: bytes) -> float | None:
    """Peak RSS growth of a fresh process importing `data` (bench/import_memory_probe.py)."""
    path = ctx.home / "count-import-probe.csv"
    path.write_bytes(data)
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.import_memory_probe",
            str(ctx.ds.company.id),
            str(ctx.ds.user.id),
            str(path),
        ],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
        env=os.environ.copy(),
        check=False,
    )
    path.unlink(missing_ok=True)
    if run.returncode:
        raise RuntimeError(f"import memory probe failed: {run.stderr[-2000:]}")
    answer = json.loads(run.stdout.strip().splitlines()[-1])
    return answer["peak_growth_mb"]


def count_import(ctx: Context) -> list[Result]:
    rows = ROWS.get(ctx.sizes.label, 100_000)
    products = _products(ctx, rows)
    raw = RawCounts(ctx)
    rounds = max(1, min(ctx.sizes.rounds, 2))
    p_rates, r_rates = [], []
    for round_no in range(rounds):
        counts = _counts(ctx, products, rows, round_no)
        data = _csv(counts)
        p_rates.append(rows / _import(ctx, data))
        began = time.perf_counter()
        raw.run(_counts(ctx, products, rows, round_no + 100))
        r_rates.append(rows / (time.perf_counter() - began))
        del counts, data
    raw.close()
    small = max(1, rows // 10)
    small_data = _csv(_counts(ctx, products, small, 7))
    full_data = _csv(_counts(ctx, products, rows, 8))
    small_mb = _peak_growth_mb(ctx, small_data)
    full_mb = _peak_growth_mb(ctx, full_data)
    result = ratio_result("count_import", ctx.engine, max(p_rates), max(r_rates), "rows/s", 0.2)
    memory = (
        f"{small:,} rows {small_mb:.1f} MB, {rows:,} rows {full_mb:.1f} MB "
        f"(file {len(full_data) / 1e6:.1f} MB)"
        if small_mb is not None and full_mb is not None
        else "not measured (no /proc)"
    )
    result.details = [
        ("file", f"{rows:,} rows of set counts (SKU;Warehouse;Quantity;Mode;Reason;Note), CSV"),
        ("product path", "import_upload (check, stage) + import_confirm + import_run"),
        ("reference path", "driver: on_hand log rows + stock upserts, ~1,000 rows a transaction"),
        ("rounds (product)", ", ".join(f"{r:.0f}" for r in p_rates)),
        ("rounds (reference)", ", ".join(f"{r:.0f}" for r in r_rates)),
        ("peak RSS growth (product)", memory),
    ]
    return [result]
