"""Body size limit (413 before parsing) and per-token rate limit (429 with Retry-After)."""

import http.client
import json
from urllib.parse import urlsplit

import pytest

from stockledger.core.ratelimit import DatabaseStore, MemoryStore
from tests.conftest import ApiClient


@pytest.fixture
def small_limit(settings):
    settings.STOCKLEDGER_MAX_BODY_BYTES = 1000
    return 1000


def big_product(size):
    return {"sku": "BIG", "name": "x" * 10, "padding": "p" * size}


def test_a_body_above_the_limit_is_413_json_and_writes_nothing(api, small_limit, db_dump):
    before = db_dump()
    r = api.post("/products", big_product(small_limit))
    assert r.status_code == 413
    assert r.json()["detail"] == "request body is larger than the limit of 1000 bytes"
    assert db_dump() == before
    assert api.post("/products", big_product(small_limit - 100)).status_code == 201


def test_the_default_limit_is_5_mb(settings):
    assert settings.STOCKLEDGER_MAX_BODY_BYTES == 5 * 1024 * 1024


def test_a_body_without_content_length_is_read_only_up_to_the_limit(tenant, small_limit, wsgi_call):
    auth = {"HTTP_AUTHORIZATION": f"Bearer {tenant[2]}", "HTTP_TRANSFER_ENCODING": "chunked"}
    status, _, content = wsgi_call(
        "POST", "/api/v1/products", json.dumps(big_product(5000)).encode(), auth
    )
    assert status == 413 and json.loads(content)["detail"].startswith("request body is larger")
    status, _, content = wsgi_call(
        "POST", "/api/v1/products", json.dumps({"sku": "SMALL", "name": "Small"}).encode(), auth
    )
    assert status == 201, content
    assert json.loads(content)["sku"] == "SMALL"


def chunked_post(base_url, path, token, payload: bytes, chunk=256):
    parts = urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    conn.putrequest("POST", path)
    conn.putheader("Authorization", f"Bearer {token}")
    conn.putheader("Content-Type", "application/json")
    conn.putheader("Transfer-Encoding", "chunked")
    conn.endheaders()
    for i in range(0, len(payload), chunk):
        piece = payload[i : i + chunk]
        conn.send(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
    conn.send(b"0\r\n\r\n")
    response = conn.getresponse()
    result = response.status, response.getheader("Content-Type"), response.read()
    conn.close()
    return result


def test_chunked_bodies_through_the_real_server(waitress_url, tenant, small_limit):
    token = tenant[2]
    status, content_type, body = chunked_post(
        waitress_url, "/api/v1/products", token, json.dumps(big_product(5000)).encode()
    )
    assert (status, content_type) == (413, "application/json")
    status, _, body = chunked_post(
        waitress_url, "/api/v1/products", token, json.dumps({"sku": "C-1", "name": "C"}).encode()
    )
    assert status == 201, body


@pytest.fixture
def tight_rate(settings):
    settings.STOCKLEDGER_RATE_LIMIT_PER_SECOND = 1
    settings.STOCKLEDGER_RATE_LIMIT_BURST = 3
    return settings


@pytest.mark.parametrize("store", ["memory", "database"])
def test_a_token_over_its_rate_gets_429_with_retry_after(api, other_api, tight_rate, store):
    tight_rate.STOCKLEDGER_RATE_LIMIT_STORE = store
    assert [api.get("/me").status_code for _ in range(3)] == [200, 200, 200]
    refused = api.get("/me")
    assert refused.status_code == 429
    assert refused["Retry-After"] == "1"
    assert refused.json()["detail"].startswith("too many requests")
    assert api.post("/warehouses", {"name": "W"}).status_code == 429
    assert other_api.get("/me").status_code == 200  # per token


def test_rate_limiting_can_be_switched_off(api, tight_rate):
    tight_rate.STOCKLEDGER_RATE_LIMIT_ENABLED = False
    assert {api.get("/me").status_code for _ in range(6)} == {200}


def test_requests_without_a_token_are_not_rate_limited_but_401(tight_rate):
    assert {ApiClient(None).get("/me").status_code for _ in range(6)} == {401}


def test_defaults_allow_50_per_second_sustained_with_bursts_of_500(settings):
    assert settings.STOCKLEDGER_RATE_LIMIT_ENABLED
    store = MemoryStore()
    now = 1_000_000.0
    assert all(store.hit("t", now).allowed for _ in range(500))
    refused = store.hit("t", now)
    assert not refused.allowed and refused.retry_after == pytest.approx(0.02)
    # After one second, 50 more; then refused again.
    assert all(store.hit("t", now + 1).allowed for _ in range(50))
    assert not store.hit("t", now + 1).allowed
    # A steady 50 per second is never refused.
    t = now + 100
    assert all(store.hit("steady", t + i / 50).allowed for i in range(5000))


@pytest.mark.parametrize("store_class", [MemoryStore, DatabaseStore])
def test_the_bucket_refills_at_the_rate(db, tight_rate, store_class):
    store = store_class()
    now = 2_000_000.0
    assert [store.hit("k", now).allowed for _ in range(4)] == [True, True, True, False]
    assert store.hit("k", now).retry_after == pytest.approx(1.0)
    assert store.hit("k", now + 1).allowed
    assert not store.hit("k", now + 1).allowed
    assert [store.hit("k", now + 10).allowed for _ in range(4)] == [True, True, True, False]
