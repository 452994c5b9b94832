"""Many workers on a few hot SKUs at once: nothing is lost, the log replays, verify is clean.

Real threads, real transactions (`transaction=True`). Each worker runs random operations:
adjust and count on hand, transfers (kits too), goods receipts and RMA restocks against shared
documents, order import / ship / cancel (kit lines too, shared orders raced by everyone) and
manufacturing-order finishes. Refusals a caller may legitimately get (not enough stock, more
than remains on an order) are counted; anything else reaching a caller fails the test, in
particular a deadlock or serialization error (the ledger retries those inside the service).
"""

import random
import time
from collections import Counter

import pytest
from django.db import connection

from stockledger.ledger.models import LogEntry
from stockledger.warehouses.models import Stock

from .invariants import assert_ledger_consistent, stock_table
from .threads import run_threads
from .world import Tally, Worker, build_world

SEED = 20250301


def _run(company_factory, figures, retries, *, workers: int, operations: int):
    company, user, _ = company_factory()
    world = build_world(company, user)
    tally = Tally(world)
    rows_before = LogEntry.objects.filter(company=company).count()
    crew = [
        Worker(world, tally, i, random.Random(f"{SEED}-{i}"))
        for i in range(workers)  # a fixed seed per worker
    ]
    started = time.monotonic()
    errors = run_threads(workers, lambda i: crew[i].run(operations))
    elapsed = time.monotonic() - started
    assert [repr(e) for e in errors] == []

    # Stock is what callers were told happened, product by product and warehouse by warehouse.
    actual = stock_table(company)
    for key, (physical, committed) in tally.expected.items():
        assert actual.get(key, (0, 0)) == (physical, committed), key
    for key, value in actual.items():
        if key not in tally.expected:
            assert value == (0, 0), key
    rows = assert_ledger_consistent(company)
    assert Stock.objects.filter(company=company, product__kind="kit").count() == 0

    outcomes = Counter()
    for worker in crew:
        outcomes.update(worker.outcomes)
    total = sum(outcomes.values())
    assert total == workers * operations
    refused = sum(n for k, n in outcomes.items() if "refused" in k)
    figures.update(
        database=connection.vendor,
        workers=workers,
        operations_per_worker=operations,
        operations=total,
        accepted=total - refused,
        refused=refused,
        outcomes=dict(sorted(outcomes.items())),
        log_rows_written=rows - rows_before,
        retried_inside_services=retries.count,
        retry_causes=dict(retries.kinds),
        errors_reaching_callers=0,
        stock_mismatches=0,
        operations_per_second=round(total / elapsed, 1),
        seconds=round(elapsed, 1),
    )


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_16_workers_of_60_random_operations_on_postgresql_lose_nothing(
    company_factory, figures, retries
):
    _run(company_factory, figures, retries, workers=16, operations=60)


@pytest.mark.slow
@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_32_workers_of_250_random_operations_on_postgresql_lose_nothing(
    company_factory, figures, retries
):
    _run(company_factory, figures, retries, workers=32, operations=250)


@pytest.mark.django_db(transaction=True)
def test_4_workers_of_25_random_operations_on_sqlite_lose_nothing(
    company_factory, figures, retries
):
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite variant")
    _run(company_factory, figures, retries, workers=4, operations=25)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_8_workers_of_100_random_operations_on_sqlite_lose_nothing(
    company_factory, figures, retries
):
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite variant")
    _run(company_factory, figures, retries, workers=8, operations=100)


def _exports_while_writing(company_factory, settings, tmp_path, figures, *, writers, operations):
    """Exports of a hot kit with its components taken while workers write to it: each file
    is one consistent moment of the log (per warehouse its rows chain from zero with no
    gap), and the last file agrees with the final stock."""
    import csv
    import io
    import threading

    from stockledger.exports.models import Export
    from stockledger.exports.services import export_create
    from stockledger.exports.tasks import run_export

    settings.STOCKLEDGER_EXPORTS_DIR = tmp_path / "exports"
    company, user, _ = company_factory()
    world = build_world(company, user)
    tally = Tally(world)
    crew = [Worker(world, tally, i, random.Random(f"export-{SEED}-{i}")) for i in range(writers)]
    done = threading.Event()
    files = []

    def export_now():
        export = export_create(
            company=company, user=user, product_id=world.products["KIT"].id, include_components=True
        )
        run_export.call(export.id, 1)
        export.refresh_from_db()
        assert export.status == "complete", export.error
        path = settings.STOCKLEDGER_EXPORTS_DIR / export.file_name
        files.append(list(csv.DictReader(io.StringIO(path.read_text("utf-8-sig"), newline=""))))

    finished = []

    def write(i):
        if i == writers:  # the exporting thread
            while not done.is_set():
                export_now()
            return
        try:
            crew[i].run(operations)
        finally:
            finished.append(i)
            if len(finished) == writers:
                done.set()

    errors = run_threads(writers + 1, write)
    done.set()
    assert [repr(e) for e in errors] == []
    export_now()  # after the writers: the whole log
    for rows in files:
        last: dict[tuple[str, str], tuple[int, int]] = {}
        moves = (r for r in rows if r["sku"] != "KIT" and r["warehouse_id"])  # not facts
        for row in sorted(moves, key=lambda r: int(r["sequence"])):
            key = (row["sku"], row["warehouse_id"])
            before = last.get(key, (0, 0))
            after = (int(row["warehouse_physical_on_hand"]), int(row["warehouse_committed"]))
            change = (int(row["physical_change"]), int(row["committed_change"]))
            assert after == (before[0] + change[0], before[1] + change[1]), row["sequence"]
            last[key] = after
    final = stock_table(company)
    for (sku, warehouse_id), quantities in last.items():
        assert final[(world.products[sku].id, int(warehouse_id))] == quantities
    assert_ledger_consistent(company)
    figures.update(
        writers=writers,
        operations=writers * operations,
        exports_taken_while_writing=len(files) - 1,
        rows_in_last_export=len(files[-1]),
        inconsistent_exports=0,
    )
    assert Export.objects.filter(company=company, status="complete").count() == len(files)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_exports_taken_while_8_workers_write_on_postgresql_are_consistent_snapshots(
    company_factory, settings, tmp_path, figures
):
    _exports_while_writing(company_factory, settings, tmp_path, figures, writers=8, operations=40)


@pytest.mark.django_db(transaction=True)
def test_exports_taken_while_3_workers_write_on_sqlite_are_consistent_snapshots(
    company_factory, settings, tmp_path, figures
):
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite variant")
    _exports_while_writing(company_factory, settings, tmp_path, figures, writers=3, operations=25)
