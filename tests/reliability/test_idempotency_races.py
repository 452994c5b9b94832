"""The same order imported by 10 threads at once, then replayed later: one order, one set of
log rows, and the replays change nothing at all.

The race itself is tests/orders/test_concurrency.py's (reused here); this adds the later
replays (service and API, same and different body), both databases, and the scoping of the
idempotency: the same order number on another channel or in another company is another order.
"""

import json
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


def _order_body(channel, warehouse, number, quantity=2):
    return {
        "channel_id": channel.id,
        "order_number": number,
        "placed_at": "2025-03-01T09:30:00Z",
        "warehouse_id": warehouse.id,
        "lines": [{"sku": "A", "quantity": quantity}, {"sku": "KIT", "quantity": 1}],
    }


@pytest.mark.django_db(transaction=True)
def test_one_order_posted_by_10_clients_with_one_idempotency_key_then_retried_runs_once(
    tenant, settings, figures
):
    """The key and the order number race together: one order, one set of rows; the clients
    told 409 (still running) get, on retry, the first response byte for byte."""
    from stockledger.catalog.services import product_create
    from stockledger.channels.services import channel_create
    from stockledger.warehouses.services import warehouse_create

    settings.STOCKLEDGER_RATE_LIMIT_ENABLED = False
    company, _, token = tenant
    warehouse = warehouse_create(company=company, name="Main")
    channel = channel_create(company=company, cart_type="shopify", name="Shop")
    product_create(company=company, sku="A", name="A")
    product_create(company=company, sku="B", name="B")
    product_create(company=company, sku="KIT", name="Kit", components=[{"sku": "B", "quantity": 2}])
    body = _order_body(channel, warehouse, "KEYED-1")
    results: list = [None] * 10

    def send(i, key="order-key-1", payload=body):
        r = ApiClient(token).post("/orders", payload, headers={"HTTP_IDEMPOTENCY_KEY": key})
        results[i] = (r.status_code, r.content, r.get("Idempotent-Replayed"))

    assert run_threads(10, send) == []
    first = [r for r in results if r[0] == 201 and r[2] is None]
    assert len(first) == 1
    assert all(status in (201, 409) for status, _, _ in results)
    assert all(content == first[0][1] for status, content, _ in results if status == 201)
    rows_after_race = company_dump(company)
    # Later: the clients that were told to wait retry; each gets the first answer.
    retried = 0
    for i, (status, _, _) in enumerate(results):
        if status == 409:
            send(i)
            retried += 1
            assert results[i][:2] == (201, first[0][1]) and results[i][2] == "true"
    send(0, payload=_order_body(channel, warehouse, "KEYED-1", quantity=9))
    assert results[0][0] == 422  # the same key for another body
    # Other keys, same order number, at once: still one order (the channel's order number).
    assert run_threads(6, lambda i: send(i, key=f"other-key-{i}")) == []
    assert sorted(r[0] for r in results[:6]) == [200] * 6
    assert all(json.loads(r[1])["duplicate"] is True for r in results[:6])
    after = company_dump(company)
    for label in ("core.IdempotencyKey", "core.ApiToken"):
        after.pop(label, None), rows_after_race.pop(label, None)
    assert after == rows_after_race
    assert Order.objects.filter(company=company).count() == 1
    assert LogEntry.objects.filter(company=company, event_type="order").count() == 3
    assert_ledger_consistent(company)
    figures.update(
        simultaneous_requests=10,
        retried_after_409=retried,
        other_keys_at_once=6,
        orders_created=1,
        duplicate_rows=0,
    )
