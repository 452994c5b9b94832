"""The same order imported by 10 threads at once, then replayed later: one order, one set of
log rows, and the replays change nothing at all.

The race itself is tests/orders/test_concurrency.py's (reused here); this adds the later
replays (service and API, same and different body), both databases, and the scoping of the
idempotency: the same order number on another channel or in another company is another order.
"""

from datetime import UTC, datetime

import pytest
from django.db import connection

from stockledger.ledger.models import LogEntry
from stockledger.orders.models import Order
from stockledger.orders.services import order_import
from tests.conftest import ApiClient
from tests.orders.test_concurrency import _same_order_from_many_threads

from .invariants import assert_ledger_consistent, company_dump
from .threads import run_threads

PLACED = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)


def _replay_later(company, figures):
    from stockledger.catalog.models import Product

    order = Order.objects.get(company=company)
    before = company_dump(company)
    rows = LogEntry.objects.filter(company=company, event_type="order").count()
    replays = 0
    for lines in (
        [{"sku": "A", "quantity": 2}, {"sku": "KIT", "quantity": 1}],
        [{"sku": "B", "quantity": 9}],
    ):
        again, created = order_import(
            company=company,
            channel=order.channel,
            order_number="RACE-1",
            placed_at=PLACED,
            warehouse=order.warehouse,
            lines=lines,
        )
        replays += 1
        assert (again.id, created) == (order.id, False)
    assert company_dump(company) == before
    # And through the API, as an integration retrying after a timeout would.
    from stockledger.core.models import User
    from stockledger.core.services import token_create

    _, raw = token_create(user=User.objects.filter(company=company).first(), name="replay")
    before = company_dump(company)
    client = ApiClient(raw)
    body = {
        "channel_id": order.channel_id,
        "order_number": "RACE-1",
        "placed_at": "2025-03-01T09:30:00Z",
        "warehouse_id": order.warehouse_id,
        "lines": [{"sku": "A", "quantity": 2}],
    }
    for _ in range(2):
        response = client.post("/orders", body)
        replays += 1
        assert response.status_code == 200, response.content
        assert response.json()["duplicate"] is True and response.json()["id"] == order.id
    after = company_dump(company)
    # Only the token's last use may change.
    assert after == before
    assert LogEntry.objects.filter(company=company, event_type="order").count() == rows == 4
    assert Product.objects.filter(company=company).count() == 3
    figures["replays_later"] = figures.get("replays_later", 0) + replays


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_an_order_imported_by_10_threads_then_replayed_is_one_order_with_one_set_of_rows_on_postgresql(
    company_factory, figures
):
    company = _same_order_from_many_threads(company_factory, threads=10)
    _replay_later(company, figures)
    assert_ledger_consistent(company)
    figures.update(threads=10, orders_created=1, duplicate_rows=0)


@pytest.mark.django_db(transaction=True)
def test_an_order_imported_by_10_threads_then_replayed_is_one_order_with_one_set_of_rows_on_sqlite(
    company_factory, figures
):
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite variant")
    company = _same_order_from_many_threads(company_factory, threads=10)
    _replay_later(company, figures)
    assert_ledger_consistent(company)
    figures.update(threads=10, orders_created=1, duplicate_rows=0)


@pytest.mark.django_db(transaction=True)
def test_one_order_number_on_two_channels_and_in_two_companies_is_imported_once_each(
    company_factory, figures
):
    """Idempotency is per channel: racing imports of one number on two channels of one company
    and on a channel of another company make three orders, each logged once."""
    from stockledger.catalog.services import product_create
    from stockledger.channels.services import channel_create
    from stockledger.warehouses.services import warehouse_create

    targets = []
    companies = []
    for _ in range(2):
        company, _, _ = company_factory()
        companies.append(company)
        warehouse = warehouse_create(company=company, name="Main")
        product_create(company=company, sku="A", name="A")
        for name in ("Shop", "Market")[: 2 if not targets else 1]:
            channel = channel_create(company=company, cart_type="shopify", name=name)
            targets.append((company, channel, warehouse))
    threads = 9 if connection.vendor == "postgresql" else 6

    def work(i):
        company, channel, warehouse = targets[i % len(targets)]
        order_import(
            company=company,
            channel=channel,
            order_number="SAME-1",
            placed_at=PLACED,
            warehouse=warehouse,
            lines=[{"sku": "A", "quantity": 1}],
        )

    assert run_threads(threads, work) == []
    for company, channel, _ in targets:
        assert Order.objects.filter(company=company, channel=channel).count() == 1
        assert LogEntry.objects.filter(company=company, cart_id=channel.id).count() == 1
    for company in companies:
        assert_ledger_consistent(company)
    figures.update(threads=threads, channels=len(targets), orders_created=len(targets))
