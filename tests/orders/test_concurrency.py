"""The same order imported at once by many threads: one order, one set of log rows."""

import threading
from datetime import UTC, datetime

import pytest
from django.db import close_old_connections, connection

from stockledger.core.errors import Conflict
from stockledger.ledger.models import LogEntry
from stockledger.orders.models import Order, OrderLine, OrderStatus
from stockledger.orders.services import order_import, order_ship
from stockledger.warehouses.models import Stock

PLACED = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)


def run_threads(n, work):
    """Start n threads together; return their results and any exceptions."""
    barrier = threading.Barrier(n)
    results, errors = [], []
    lock = threading.Lock()

    def target(i):
        try:
            barrier.wait()
            out = work(i)
            with lock:
                results.append(out)
        except Exception as exc:  # noqa: BLE001 - collected and asserted on by the test
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    pool = [threading.Thread(target=target, args=(i,)) for i in range(n)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    close_old_connections()
    return results, errors


def _setup(company_factory):
    from stockledger.catalog.services import product_create
    from stockledger.channels.services import channel_create
    from stockledger.ledger.services import stock_set
    from stockledger.warehouses.services import warehouse_create

    company, _, _ = company_factory()
    warehouse = warehouse_create(company=company, name="Main")
    channel = channel_create(company=company, cart_type="shopify", name="Shop")
    a = product_create(company=company, sku="A", name="A")
    b = product_create(company=company, sku="B", name="B")
    product_create(
        company=company,
        sku="KIT",
        name="Kit",
        components=[{"sku": "A", "quantity": 1}, {"sku": "B", "quantity": 3}],
    )
    stock_set(company=company, product=a, warehouse=warehouse, physical_on_hand=50)
    stock_set(company=company, product=b, warehouse=warehouse, physical_on_hand=50)
    return company, warehouse, channel, a, b


def _same_order_from_many_threads(company_factory, threads):
    company, warehouse, channel, a, b = _setup(company_factory)
    lines = [{"sku": "A", "quantity": 2}, {"sku": "KIT", "quantity": 1}]

    def work(i):
        order, created = order_import(
            company=company,
            channel=channel,
            order_number="RACE-1",
            placed_at=PLACED,
            warehouse=warehouse,
            lines=lines,
        )
        return order.id, created

    results, errors = run_threads(threads, work)
    assert errors == []
    assert len(results) == threads
    assert len({order_id for order_id, _ in results}) == 1
    assert sorted(created for _, created in results) == [False] * (threads - 1) + [True]
    assert Order.objects.filter(company=company).count() == 1
    assert OrderLine.objects.filter(order__company=company).count() == 2
    order_rows = LogEntry.objects.filter(company=company, event_type="order")
    assert sorted((r.sku, r.quantity, r.kit_sku) for r in order_rows) == [
        ("A", 1, "KIT"),
        ("A", 2, ""),
        ("B", 3, "KIT"),
        ("KIT", 1, ""),
    ]
    assert Stock.objects.get(product=a, warehouse=warehouse).committed == 3
    assert Stock.objects.get(product=b, warehouse=warehouse).committed == 3
    return company


def _concurrent_ships(company_factory, threads):
    company, warehouse, channel, a, _ = _setup(company_factory)
    order, _ = order_import(
        company=company,
        channel=channel,
        order_number="SHIP-RACE",
        placed_at=PLACED,
        warehouse=warehouse,
        lines=[{"sku": "A", "quantity": 5}],
    )
    results, errors = run_threads(threads, lambda i: order_ship(company=company, order=order))
    assert len(results) == 1
    assert len(errors) == threads - 1 and all(isinstance(e, Conflict) for e in errors)
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    assert Stock.objects.get(product=a, warehouse=warehouse).physical_on_hand == 45
    shipped = LogEntry.objects.filter(product=a, order_step="shipped")
    assert [r.quantity for r in shipped] == [5]
    return company


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_same_order_imported_by_10_threads_on_postgresql_is_imported_once(
    company_factory, verify_clean
):
    company = _same_order_from_many_threads(company_factory, threads=10)
    verify_clean(company)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_an_order_shipped_by_10_threads_on_postgresql_ships_once(company_factory, verify_clean):
    company = _concurrent_ships(company_factory, threads=10)
    verify_clean(company)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_same_order_posted_by_10_api_clients_at_once_is_imported_once(tenant, verify_clean):
    from stockledger.catalog.services import product_create
    from stockledger.channels.services import channel_create
    from stockledger.warehouses.services import warehouse_create
    from tests.conftest import ApiClient

    company, _, token = tenant
    warehouse = warehouse_create(company=company, name="Main")
    channel = channel_create(company=company, cart_type="shopify", name="Shop")
    product_create(company=company, sku="A", name="A")
    body = {
        "channel_id": channel.id,
        "order_number": "API-RACE",
        "placed_at": "2025-03-01T09:30:00Z",
        "warehouse_id": warehouse.id,
        "lines": [{"sku": "A", "quantity": 4}],
    }

    def work(i):
        r = ApiClient(token).post("/orders", body)
        return r.status_code, r.json()["id"], r.json()["duplicate"]

    results, errors = run_threads(10, work)
    assert errors == []
    assert sorted(status for status, _, _ in results) == [200] * 9 + [201]
    assert len({order_id for _, order_id, _ in results}) == 1
    assert sum(1 for _, _, duplicate in results if not duplicate) == 1
    assert LogEntry.objects.filter(company=company, event_type="order").count() == 1
    verify_clean(company)


@pytest.mark.django_db(transaction=True)
def test_the_same_order_imported_by_threads_on_sqlite_is_imported_once(
    company_factory, verify_clean
):
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite variant of the concurrency test")
    company = _same_order_from_many_threads(company_factory, threads=4)
    verify_clean(company)
    company = _concurrent_ships(company_factory, threads=3)
    verify_clean(company)
