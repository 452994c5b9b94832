"""`Idempotency-Key` on POST: replay the first response, refuse reuse for another request."""

import json
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from stockledger.core.idempotency import idempotency_keys_purge
from stockledger.core.models import ApiToken, IdempotencyKey, IdempotencyState
from tests.conftest import ApiClient


@pytest.fixture
def setup(api, warehouses, product_factory):
    product = product_factory("IDEM-1")
    return product, warehouses[0]


def adjust(api, warehouse, key, change=1, **extra):
    body = {"sku": "IDEM-1", "warehouse_id": warehouse.id, "change": change, **extra}
    return api.post("/stock/on-hand", body, headers={"HTTP_IDEMPOTENCY_KEY": key})


def test_the_same_key_and_body_replays_the_first_response_and_changes_nothing(
    api, setup, log_of, stock_of, db_dump
):
    product, main = setup
    first = adjust(api, main, "k-1", change=5)
    assert first.status_code == 201
    after_first = db_dump()
    again = adjust(api, main, "k-1", change=5)
    assert (again.status_code, again.content) == (first.status_code, first.content)
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert db_dump() == after_first
    assert [r.quantity for r in log_of(product)] == [5]
    assert stock_of(product, main) == (5, 0)


def test_key_order_and_whitespace_of_the_json_body_do_not_matter(api, setup, log_of):
    product, main = setup
    headers = {"HTTP_IDEMPOTENCY_KEY": "k-json"}
    body = {"sku": "IDEM-1", "warehouse_id": main.id, "change": 2}
    first = api.post("/stock/on-hand", raw=json.dumps(body), headers=headers)
    reordered = json.dumps(dict(reversed(body.items())), indent=2)
    again = api.post("/stock/on-hand", raw=reordered, headers=headers)
    assert again.content == first.content and again["Idempotent-Replayed"] == "true"
    assert len(log_of(product)) == 1


def test_the_same_key_with_another_body_or_path_is_422_and_changes_nothing(api, setup, db_dump):
    _, main = setup
    adjust(api, main, "k-2", change=1)
    before = db_dump()
    r = adjust(api, main, "k-2", change=2)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "Idempotency-Key"
    assert "different request" in r.json()["detail"]
    r = api.post("/warehouses", {"name": "Other"}, headers={"HTTP_IDEMPOTENCY_KEY": "k-2"})
    assert r.status_code == 422
    assert db_dump() == before


def test_the_same_key_while_the_first_is_running_is_409(api, setup, db_dump):
    _, main = setup
    adjust(api, main, "k-3")
    IdempotencyKey.objects.filter(key="k-3").update(state=IdempotencyState.RUNNING)
    before = db_dump()
    r = adjust(api, main, "k-3")
    assert r.status_code == 409
    assert r["Retry-After"] == "1"
    assert "still running" in r.json()["detail"]
    assert db_dump() == before


def test_a_key_left_running_by_a_dead_process_is_taken_over_after_a_while(
    api, setup, log_of, settings
):
    product, main = setup
    adjust(api, main, "k-4")
    IdempotencyKey.objects.filter(key="k-4").update(
        state=IdempotencyState.RUNNING,
        created_at=timezone.now()
        - timedelta(seconds=settings.STOCKLEDGER_IDEMPOTENCY_STALE_SECONDS + 5),
    )
    r = adjust(api, main, "k-4")
    assert r.status_code == 201 and "Idempotent-Replayed" not in r
    assert IdempotencyKey.objects.get(key="k-4").state == IdempotencyState.DONE
    assert len(log_of(product)) == 2


def test_a_4xx_answer_is_replayed_even_after_the_cause_is_fixed(api, setup, log_of):
    product, main = setup
    first = api.post(
        "/stock/on-hand",
        {"sku": "LATER", "warehouse_id": main.id, "change": 1},
        headers={"HTTP_IDEMPOTENCY_KEY": "k-5"},
    )
    assert first.status_code == 422
    api.post("/products", {"sku": "LATER", "name": "Later"})
    again = api.post(
        "/stock/on-hand",
        {"sku": "LATER", "warehouse_id": main.id, "change": 1},
        headers={"HTTP_IDEMPOTENCY_KEY": "k-5"},
    )
    assert (again.status_code, again.content) == (422, first.content)
    from stockledger.ledger.models import LogEntry

    assert not LogEntry.objects.filter(sku="LATER").exists()


def test_a_failed_handler_releases_the_key_so_a_retry_runs(api, setup, log_of, monkeypatch):
    product, main = setup
    from stockledger.ledger import api as ledger_api

    real = ledger_api.stock_adjust
    monkeypatch.setattr(ledger_api, "stock_adjust", lambda **kw: 1 / 0)
    api.client.raise_request_exception = False
    failed = adjust(api, main, "k-6")
    assert failed.status_code == 500
    assert failed.json() == {"detail": "internal server error"}
    assert not IdempotencyKey.objects.filter(key="k-6").exists()
    monkeypatch.setattr(ledger_api, "stock_adjust", real)
    retried = adjust(api, main, "k-6")
    assert retried.status_code == 201 and "Idempotent-Replayed" not in retried
    assert len(log_of(product)) == 1


def test_keys_are_scoped_per_user(api, other_api, setup, log_of):
    product, main = setup
    adjust(api, main, "shared-key")
    theirs = other_api.post(
        "/warehouses", {"name": "Theirs"}, headers={"HTTP_IDEMPOTENCY_KEY": "shared-key"}
    )
    assert theirs.status_code == 201 and "Idempotent-Replayed" not in theirs


def test_keys_are_kept_24_hours_then_purged(api, setup, log_of):
    product, main = setup
    adjust(api, main, "old")
    adjust(api, main, "young")
    IdempotencyKey.objects.filter(key="old").update(created_at=timezone.now() - timedelta(hours=25))
    IdempotencyKey.objects.filter(key="young").update(
        created_at=timezone.now() - timedelta(hours=23)
    )
    assert adjust(api, main, "young")["Idempotent-Replayed"] == "true"
    assert idempotency_keys_purge() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["young"]


def test_an_expired_key_not_yet_purged_counts_as_new(api, setup, log_of):
    product, main = setup
    adjust(api, main, "expired")
    IdempotencyKey.objects.filter(key="expired").update(
        created_at=timezone.now() - timedelta(hours=25)
    )
    r = adjust(api, main, "expired")
    assert r.status_code == 201 and "Idempotent-Replayed" not in r
    assert len(log_of(product)) == 2


@pytest.mark.parametrize("key", ["", "x" * 256, "tab\there"])
def test_an_invalid_key_is_422_and_runs_nothing(api, setup, key, db_dump):
    _, main = setup
    before = db_dump()
    r = adjust(api, main, key)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "Idempotency-Key"
    assert db_dump() == before


def test_without_a_valid_token_the_key_is_not_remembered(setup):
    r = ApiClient("slk_nope").post(
        "/warehouses", {"name": "X"}, headers={"HTTP_IDEMPOTENCY_KEY": "k"}
    )
    assert r.status_code == 401
    assert not IdempotencyKey.objects.exists()


def test_a_replayed_token_creation_never_hands_out_or_stores_the_raw_token(api):
    headers = {"HTTP_IDEMPOTENCY_KEY": "new-token"}
    first = api.post("/tokens", {"name": "ci"}, headers=headers)
    raw = first.json()["token"]
    again = api.post("/tokens", {"name": "ci"}, headers=headers)
    assert again.status_code == 201
    assert again.json() == {**first.json(), "token": None}
    assert raw.encode() not in bytes(IdempotencyKey.objects.get(key="new-token").response_body)
    assert ApiToken.objects.filter(name="ci").count() == 1


def test_keys_on_get_requests_are_ignored(api, setup):
    assert api.get("/warehouses", headers={"HTTP_IDEMPOTENCY_KEY": "g"}).status_code == 200
    assert not IdempotencyKey.objects.exists()


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
def test_ten_simultaneous_requests_with_one_key_run_once(
    tenant, warehouses, product_factory, log_of, stock_of
):
    product = product_factory("IDEM-1")
    main = warehouses[0]
    token = tenant[2]

    def send(i):
        r = adjust(ApiClient(token), main, "burst-key", change=3)
        return r.status_code, r.content, r.get("Idempotent-Replayed")

    results = run_at_once(10, send)
    executed = [r for r in results if r[0] == 201 and r[2] is None]
    assert len(executed) == 1
    for status, content, _replayed in results:
        assert status in (201, 409)
        if status == 201:
            assert content == executed[0][1]
    assert [r.quantity for r in log_of(product)] == [3]
    assert stock_of(product, main) == (3, 0)
