"""POST /orders/bulk: up to 1,000 orders, each all-or-nothing, one result per order."""

import threading
from datetime import UTC, datetime

import pytest
from django.db import connection

from stockledger.ledger.models import LogEntry
from stockledger.orders.models import Order, OrderLine
from tests.conftest import ApiClient

PLACED = "2025-03-01T09:30:00+01:00"
COMPARED = (
    "sku",
    "event_type",
    "quantity",
    "physical_change",
    "committed_change",
    "physical_on_hand",
    "committed",
    "available_on_hand",
    "warehouse_physical_on_hand",
    "warehouse_committed",
    "order_step",
    "event_id",
    "cart_type",
    "cart_name",
    "kit_sku",
    "document_type",
    "created_at",
    "user_name",
    "warehouse_name",
)


def make_shop(company):
    from stockledger.catalog.services import product_create
    from stockledger.channels.services import channel_create
    from stockledger.ledger.services import stock_set
    from stockledger.warehouses.services import warehouse_create

    main = warehouse_create(company=company, name="Main")
    channel = channel_create(company=company, cart_type="shopify", name="Shop")
    a = product_create(company=company, sku="A", name="A")
    b = product_create(company=company, sku="B", name="B")
    product_create(
        company=company,
        sku="KIT",
        name="Kit",
        components=[{"sku": "A", "quantity": 1}, {"sku": "B", "quantity": 2}],
    )
    stock_set(company=company, product=a, warehouse=main, physical_on_hand=50)
    stock_set(company=company, product=b, warehouse=main, physical_on_hand=50)
    return channel, main


def order(channel, main, number, lines=(("A", 1),), **extra):
    return {
        "channel_id": channel.id,
        "order_number": number,
        "placed_at": PLACED,
        "warehouse_id": main.id,
        "lines": [{"sku": sku, "quantity": q} for sku, q in lines],
        **extra,
    }


@pytest.fixture
def shop(company):
    return make_shop(company)


def order_rows(company, numbers):
    rows = LogEntry.objects.filter(company=company, event_type="order", event_id__in=numbers)
    return [tuple(getattr(r, c) for c in COMPARED) for r in rows.order_by("id")]


def test_a_batch_reports_created_duplicate_and_errors_per_order(
    api, shop, company, company_factory, verify_clean
):
    channel, main = shop
    api.post("/orders", order(channel, main, "OLD"))
    batch = [
        order(channel, main, "N1", [("A", 2), ("B", 1)]),
        order(channel, main, "OLD"),
        order(channel, main, "N2", [("NOPE", 1)]),
        order(channel, main, "N3", [("KIT", 3)]),
        order(channel, main, "N4", [("A", 0)]),
        order(channel, main, "N1", [("B", 9)]),  # the same order again in the batch
        order(channel, main, "N5", placed_at="2025-03-01T09:30:00"),
        order(channel, main, "N6", warehouse_id=999_999),
        {"order_number": "N7"},
        order(channel, main, "N8", [("B", 4)]),
    ]
    r = api.post("/orders/bulk", {"orders": batch})
    assert r.status_code == 200, r.content
    out = r.json()
    statuses = [(x["index"], x["order_number"], x["status"]) for x in out["results"]]
    assert statuses == [
        (0, "N1", "created"),
        (1, "OLD", "duplicate"),
        (2, "N2", "error"),
        (3, "N3", "created"),
        (4, "N4", "error"),
        (5, "N1", "duplicate"),
        (6, "N5", "error"),
        (7, "N6", "error"),
        (8, "N7", "error"),
        (9, "N8", "created"),
    ]
    assert (out["created"], out["duplicates"], out["failed"]) == (3, 2, 5)
    results = out["results"]
    old = Order.objects.get(order_number="OLD")
    assert results[1]["order_id"] == old.id
    assert results[5]["order_id"] == results[0]["order_id"]
    fields = {x["index"]: [e["field"] for e in x["errors"]] for x in results}
    assert fields[2] == ["orders[2].lines[0].sku"]
    assert fields[4] == ["orders[4].lines[0].quantity"]
    assert fields[6] == ["orders[6].placed_at"]
    assert "UTC offset" in results[6]["detail"]
    assert fields[7] == ["orders[7].warehouse_id"]
    assert set(fields[8]) >= {"orders[8].channel_id", "orders[8].lines"}
    assert all(x["order_id"] is None for x in results if x["status"] == "error")
    assert set(Order.objects.values_list("order_number", flat=True)) == {"OLD", "N1", "N3", "N8"}
    assert not LogEntry.objects.filter(event_id__in=["N2", "N4", "N5", "N6", "N7"]).exists()
    verify_clean(company)

    # The same orders imported one by one in a twin company log exactly the same rows.
    twin, _, twin_token = company_factory("Twin")
    twin_channel, twin_main = make_shop(twin)
    twin_api = ApiClient(twin_token)
    for number, lines in (
        ("OLD", [("A", 1)]),
        ("N1", [("A", 2), ("B", 1)]),
        ("N3", [("KIT", 3)]),
        ("N8", [("B", 4)]),
    ):
        assert (
            twin_api.post("/orders", order(twin_channel, twin_main, number, lines)).status_code
            == 201
        )
    numbers = ["N1", "N3", "N8"]
    mine = order_rows(company, numbers)
    theirs = order_rows(twin, numbers)
    user_name = COMPARED.index("user_name")
    strip = lambda rows: [r[:user_name] + r[user_name + 1 :] for r in rows]  # noqa: E731
    assert strip(mine) == strip(theirs) and len(mine) == 6
    first = LogEntry.objects.filter(company=company, event_id="N1").first()
    assert first.created_at == datetime(2025, 3, 1, 8, 30, tzinfo=UTC)
    assert first.document_id == results[0]["order_id"] and first.cart_id == channel.id


def test_importing_a_batch_again_changes_nothing(api, shop, db_dump):
    channel, main = shop
    batch = {"orders": [order(channel, main, f"R{i}", [("KIT", 1)]) for i in range(5)]}
    first = api.post("/orders/bulk", batch).json()
    assert first["created"] == 5
    before = db_dump()
    again = api.post("/orders/bulk", batch).json()
    assert [x["status"] for x in again["results"]] == ["duplicate"] * 5
    assert [x["order_id"] for x in again["results"]] == [x["order_id"] for x in first["results"]]
    assert db_dump() == before


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "orders"),
        ({"orders": []}, "orders"),
        ({"orders": [1]}, "orders[0]"),
        ({"orders": "x"}, "orders"),
    ],
)
def test_a_malformed_batch_is_refused_whole(api, shop, body, field, db_dump):
    before = db_dump()
    r = api.post("/orders/bulk", body)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == field
    assert db_dump() == before


def test_more_than_1000_orders_are_refused(api, shop, db_dump):
    channel, main = shop
    before = db_dump()
    r = api.post("/orders/bulk", {"orders": [order(channel, main, f"X{i}") for i in range(1001)]})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "orders"
    assert db_dump() == before


def test_1000_orders_in_one_request(api, shop, company, verify_clean):
    channel, main = shop
    batch = [order(channel, main, f"K{i}", [("A", 1), ("B", 1), ("KIT", 1)]) for i in range(1000)]
    r = api.post("/orders/bulk", {"orders": batch})
    assert r.status_code == 200
    assert r.json()["created"] == 1000
    assert Order.objects.filter(company=company).count() == 1000
    assert OrderLine.objects.filter(order__company=company).count() == 3000
    assert LogEntry.objects.filter(company=company, event_type="order").count() == 5000
    verify_clean(company)


def test_an_order_failing_inside_the_transaction_fails_alone(api, shop, monkeypatch, company):
    from stockledger.core.errors import InvalidInput
    from stockledger.orders import bulk

    channel, main = shop
    real = bulk.ledger_record

    def picky(**kwargs):
        if any(line.fields.get("event_id") == "BAD" for line in kwargs["lines"]):
            raise InvalidInput("refused inside", field="lines[0].sku")
        return real(**kwargs)

    monkeypatch.setattr(bulk, "ledger_record", picky)
    batch = [order(channel, main, n) for n in ("G1", "BAD", "G2")]
    out = api.post("/orders/bulk", {"orders": batch}).json()
    assert [x["status"] for x in out["results"]] == ["created", "error", "created"]
    assert out["results"][1]["errors"] == [
        {"field": "orders[1].lines[0].sku", "message": "refused inside"}
    ]
    assert set(Order.objects.values_list("order_number", flat=True)) == {"G1", "G2"}
    assert not LogEntry.objects.filter(event_id="BAD").exists()


def test_a_bulk_import_with_an_idempotency_key_is_replayed(api, shop, db_dump):
    channel, main = shop
    body = {"orders": [order(channel, main, "I1"), order(channel, main, "I2", [("NOPE", 1)])]}
    headers = {"HTTP_IDEMPOTENCY_KEY": "bulk-1"}
    first = api.post("/orders/bulk", body, headers=headers)
    before = db_dump()
    again = api.post("/orders/bulk", body, headers=headers)
    assert again.content == first.content and again["Idempotent-Replayed"] == "true"
    assert db_dump() == before


def run_at_once(n, fn):
    barrier = threading.Barrier(n)
    results, errors = [None] * n, []

    def work(i):
        try:
            barrier.wait()
            results[i] = fn(i)
        except Exception as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    return results


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("same_key", [True, False])
def test_ten_clients_sending_the_same_order_at_once_import_it_once(tenant, same_key, verify_clean):
    company, _, token = tenant
    channel, main = make_shop(company)
    body = order(channel, main, "RACE-1", [("A", 2), ("KIT", 1)])

    def send(i):
        headers = {"HTTP_IDEMPOTENCY_KEY": "race" if same_key else f"race-{i}"}
        r = ApiClient(token).post("/orders", body, headers=headers)
        return r.status_code, r.json()

    results = run_at_once(10, send)
    statuses = sorted(status for status, _ in results)
    assert statuses.count(201) >= 1
    assert set(statuses) <= ({200, 201, 409} if same_key else {200, 201})
    created = [b for s, b in results if s == 201 and not b.get("duplicate")]
    assert len({b["id"] for b in created}) == 1
    assert Order.objects.filter(company=company, order_number="RACE-1").count() == 1
    rows = LogEntry.objects.filter(company=company, event_id="RACE-1")
    assert sorted(rows.values_list("sku", "quantity")) == [("A", 1), ("A", 2), ("B", 2), ("KIT", 1)]
    verify_clean(company)


@pytest.mark.django_db(transaction=True)
def test_overlapping_bulk_imports_at_once_import_each_order_once(tenant, verify_clean):
    company, _, token = tenant
    channel, main = make_shop(company)

    def send(i):
        # Every client sends orders 0..29 in a different order, plus some of its own.
        numbers = [f"O{(i * 7 + j) % 30}" for j in range(30)] + [f"own-{i}-{j}" for j in range(3)]
        batch = [order(channel, main, n, [("A", 1), ("KIT", 1)]) for n in numbers]
        r = ApiClient(token).post("/orders/bulk", {"orders": batch})
        assert r.status_code == 200, r.content
        return r.json()

    results = run_at_once(6, send)
    assert sum(r["created"] for r in results) == 30 + 6 * 3
    assert sum(r["failed"] for r in results) == 0
    ids = {}
    for r in results:
        for x in r["results"]:
            ids.setdefault(x["order_number"], set()).add(x["order_id"])
    assert all(len(v) == 1 for v in ids.values())
    assert Order.objects.filter(company=company).count() == 48
    assert LogEntry.objects.filter(company=company, event_type="order").count() == 48 * 4
    verify_clean(company)
