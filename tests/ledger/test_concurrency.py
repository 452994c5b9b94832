"""Concurrent writers on one SKU never lose an update (real threads, real transactions)."""

import random
import threading

import pytest
from django.db import close_old_connections, connection

from stockledger.core.errors import InsufficientStock
from stockledger.ledger.models import LogEntry
from stockledger.ledger.replay import replay
from stockledger.ledger.services import stock_adjust
from stockledger.warehouses.models import Stock


def run_adjusters(company, product, warehouses, threads: int, per_thread: int, start: int):
    accepted = []
    errors = []
    lock = threading.Lock()

    def work(seed):
        rng = random.Random(seed)
        mine = 0
        try:
            for _ in range(per_thread):
                warehouse = rng.choice(warehouses)
                change = rng.choice([-3, -2, -1, 1, 2, 3, 5])
                try:
                    stock_adjust(
                        company=company, product=product, warehouse=warehouse, change=change
                    )
                    with lock:
                        accepted.append((warehouse.id, change))
                    mine += 1
                except InsufficientStock:
                    pass
        except Exception as exc:  # noqa: BLE001 - any error reaching a caller fails the test
            errors.append(exc)
        finally:
            connection.close()

    pool = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    close_old_connections()
    return accepted, errors


def check_chain(product, warehouses, start):
    for warehouse in warehouses:
        running = start
        for row in LogEntry.objects.filter(product=product, warehouse=warehouse).order_by("id"):
            running += row.physical_change
            assert row.warehouse_physical_on_hand == running
            assert row.warehouse_physical_on_hand >= 0


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_16_threads_of_200_adjustments_on_postgresql_lose_nothing(company_factory, verify_clean):
    _concurrent_adjustments(company_factory, threads=16, per_thread=200)
    verify_clean()


@pytest.mark.django_db(transaction=True)
def test_concurrent_adjustments_on_sqlite_queue_instead_of_failing(company_factory, verify_clean):
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite variant of the concurrency test")
    _concurrent_adjustments(company_factory, threads=4, per_thread=40)
    verify_clean()


def _concurrent_adjustments(company_factory, threads, per_thread):
    from stockledger.catalog.services import product_create
    from stockledger.warehouses.services import warehouse_create

    company, _, _ = company_factory()
    warehouses = [warehouse_create(company=company, name=n) for n in ("A", "B")]
    product = product_create(company=company, sku="HOT", name="Hot SKU")
    for w in warehouses:
        stock_adjust(company=company, product=product, warehouse=w, change=50)
    accepted, errors = run_adjusters(company, product, warehouses, threads, per_thread, 50)
    assert errors == []
    for w in warehouses:
        expected = 50 + sum(c for wid, c in accepted if wid == w.id)
        assert Stock.objects.get(product=product, warehouse=w).physical_on_hand == expected
    assert LogEntry.objects.filter(product=product).count() == len(accepted) + 2
    check_chain(product, warehouses, 0)
    assert list(replay(company)) == []
