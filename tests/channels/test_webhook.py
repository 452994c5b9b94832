"""The webhook adapter against a real HTTP server on 127.0.0.1: signed JSON, retries with
backoff, timeouts, and the failure visible on the channel and in the export rows."""

import hashlib
import hmac
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import connections

from stockledger.channels.models import ChannelSkuState
from tests.channel_jobs import run_channel_jobs

OK = "delivered: HTTP 200 OK on attempt 1"


class Receiver:
    """Answers POSTs by `plan` ((status, delay seconds) per request; 200 when empty)."""

    def __init__(self):
        self.requests = []  # (path, headers, body)
        self.plan = []
        self.on_request = None

    def sign(self, secret, body):
        return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()

    def bodies(self):
        return [json.loads(body) for _path, _headers, body in self.requests]


@pytest.fixture
def receiver(settings):
    settings.STOCKLEDGER_WEBHOOK_BACKOFF_SECONDS = 0.01
    settings.STOCKLEDGER_OUTBOUND_ALLOW = "127.0.0.1"  # the local receiver, allowed explicitly
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            state.requests.append((self.path, self.headers, body))
            if state.on_request:
                state.on_request()
            status, delay = state.plan.pop(0) if state.plan else (200, 0)
            time.sleep(delay)
            try:
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", "http://127.0.0.1:1/elsewhere")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
            except OSError:
                pass  # the client gave up (timeout)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_port}/hook?shop=1"
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def webhook_channel(api, channel, receiver, product_factory, warehouses, stock):
    widget = product_factory("W-1")
    gadget = product_factory("G-1")
    stock(widget, warehouses[0], 7)
    stock(gadget, warehouses[1], 3)
    response = api.put(f"/sales-channels/{channel.id}/webhook", {"url": receiver.url})
    assert response.status_code == 200, response.json()
    assert response.json()["adapter"] == "webhook"
    channel.refresh_from_db()
    return channel


def run(api, channel, body=None):
    """Ask for a run (queued at once), let the worker deliver it, return the finished run."""
    response = api.post(f"/sales-channels/{channel.id}/writeback-run", body or {})
    assert response.status_code == 202, response.json()
    assert response.json()["status"] == "queued"
    run_channel_jobs()
    return api.get(f"/sales-channels/{channel.id}/syncs/{response.json()['id']}").json()


def delivery_statuses(log_of, *products):
    return [r.delivery_status for p in products for r in log_of(p, event_type="export")]


def test_a_writeback_run_posts_signed_json_and_records_the_delivery(
    api, webhook_channel, receiver, log_of, verify_clean
):
    from stockledger.catalog.models import Product

    secret = api.get(f"/sales-channels/{webhook_channel.id}/webhook-secret").json()["secret"]
    result = run(api, webhook_channel)

    assert (result["status"], result["delivered"], result["failed"]) == ("delivered", 2, 0)
    [(path, headers, body)] = receiver.requests
    assert path == "/hook?shop=1"
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Stockledger-Signature"] == receiver.sign(secret, body)
    assert headers["X-Stockledger-Delivery"] == f"{result['event_id']}/1"
    payload = json.loads(body)
    assert payload["event"] == "quantities.writeback"
    assert payload["event_id"] == result["event_id"]
    assert (payload["batch"], payload["batches"]) == (1, 1)
    assert payload["channel"] == {
        "id": webhook_channel.id,
        "name": "Shopify US",
        "cart_type": "shopify",
    }
    assert payload["quantities"] == [{"sku": "W-1", "quantity": 7}, {"sku": "G-1", "quantity": 3}]
    widget, gadget = Product.objects.order_by("id")
    assert delivery_statuses(log_of, widget, gadget) == [OK, OK]
    detail = api.get(f"/sales-channels/{webhook_channel.id}").json()
    assert (detail["last_writeback_status"], detail["last_writeback_error"]) == ("delivered", "")
    assert detail["last_writeback_at"] is not None
    assert dict(ChannelSkuState.objects.values_list("product__sku", "last_written")) == {
        "W-1": 7,
        "G-1": 3,
    }
    verify_clean()


def test_a_failing_receiver_is_retried_and_the_failure_shows_on_channel_and_rows(
    api, company, webhook_channel, receiver, log_of, warehouses, stock, verify_clean
):
    from stockledger.catalog.models import Product

    widget, gadget = Product.objects.order_by("id")
    run(api, webhook_channel)  # delivered: the channel shows 7 and 3
    stock(widget, warehouses[0], 2)
    receiver.requests.clear()
    receiver.plan = [(500, 0), (500, 0), (503, 0)]

    result = run(api, webhook_channel)

    assert (result["status"], result["delivered"], result["failed"]) == ("failed", 0, 2)
    assert len(receiver.requests) == 3  # bounded: 3 attempts of the same signed body
    assert len({(h["X-Stockledger-Signature"], b) for _p, h, b in receiver.requests}) == 1
    failed = "failed after 3 attempts: HTTP 503 Service Unavailable"
    assert delivery_statuses(log_of, widget, gadget) == [OK, failed, OK, failed]
    [_first, second] = log_of(widget, event_type="export")
    assert (second.quantity, second.available_on_hand) == (2, 2)
    detail = api.get(f"/sales-channels/{webhook_channel.id}").json()
    assert detail["last_writeback_status"] == "failed"
    assert detail["last_writeback_error"] == (
        "2 of 2 quantities not delivered: HTTP 503 Service Unavailable"
    )
    # The channel still shows what was last delivered: an import says it differs from ours.
    assert ChannelSkuState.objects.get(product=widget).last_written == 7
    api.post(
        f"/sales-channels/{webhook_channel.id}/quantities",
        {"quantities": [{"sku": "W-1", "quantity": 7}]},
    )
    [imported] = log_of(widget, event_type="import")
    assert (imported.channel_last_written, imported.channel_differs) == (7, False)
    assert imported.available_on_hand == 2
    verify_clean()


def test_a_receiver_that_recovers_within_the_attempts_gets_the_quantities(
    api, webhook_channel, receiver, log_of
):
    from stockledger.catalog.models import Product

    receiver.plan = [(502, 0), (429, 0)]
    result = run(api, webhook_channel, {"skus": ["W-1"]})
    assert result["status"] == "delivered"
    assert len(receiver.requests) == 3
    [row] = log_of(Product.objects.get(sku="W-1"), event_type="export")
    assert row.delivery_status == "delivered: HTTP 200 OK on attempt 3"


def test_a_slow_receiver_times_out_and_is_retried(api, company, webhook_channel, receiver, log_of):
    from stockledger.catalog.models import Product

    response = api.put(
        f"/sales-channels/{webhook_channel.id}/webhook",
        {"url": receiver.url, "timeout_seconds": 0.2},
    )
    assert response.json()["webhook_timeout_seconds"] == 0.2
    receiver.plan = [(200, 1.0)] * 3
    started = time.monotonic()
    result = run(api, webhook_channel, {"skus": ["G-1"]})
    assert time.monotonic() - started < 3
    assert result["status"] == "failed"
    assert len(receiver.requests) == 3
    [row] = log_of(Product.objects.get(sku="G-1"), event_type="export")
    assert row.delivery_status == "failed after 3 attempts: delivery failed: timed out after 0.2 s"
    assert not ChannelSkuState.objects.exists()


@pytest.mark.parametrize(
    "status, detail",
    [
        (400, "failed: HTTP 400 Bad Request, not retried"),
        (401, "failed: HTTP 401 Unauthorized, not retried"),
        (302, "failed: HTTP 302 Found, not retried"),  # redirects are not followed
    ],
)
def test_a_receiver_that_refuses_is_not_retried(
    api, webhook_channel, receiver, log_of, status, detail
):
    from stockledger.catalog.models import Product

    receiver.plan = [(status, 0)]
    result = run(api, webhook_channel, {"skus": ["W-1"]})
    assert result["status"] == "failed"
    assert len(receiver.requests) == 1
    [row] = log_of(Product.objects.get(sku="W-1"), event_type="export")
    assert row.delivery_status == detail


def test_large_runs_go_in_signed_batches_and_stop_when_the_receiver_is_down(
    api, settings, webhook_channel, receiver, product_factory, log_of
):
    from stockledger.catalog.models import Product

    settings.STOCKLEDGER_WEBHOOK_BATCH = 2
    product_factory("Z-1")
    secret = webhook_channel.webhook_secret
    run(api, webhook_channel)
    assert [(b["batch"], b["batches"], len(b["quantities"])) for b in receiver.bodies()] == [
        (1, 2, 2),
        (2, 2, 1),
    ]
    for _path, headers, body in receiver.requests:
        assert headers["X-Stockledger-Signature"] == receiver.sign(secret, body)

    receiver.requests.clear()
    receiver.plan = [(500, 0)] * 3
    result = run(api, webhook_channel)
    assert (result["status"], result["failed"]) == ("failed", 3)
    assert len(receiver.requests) == 3  # batch 2 was not sent
    products = Product.objects.order_by("id")
    assert [log_of(p, event_type="export")[-1].delivery_status for p in products] == [
        "failed after 3 attempts: HTTP 500 Internal Server Error (batch 1 of 2)",
        "failed after 3 attempts: HTTP 500 Internal Server Error (batch 1 of 2)",
        "failed: not sent, batch 1 of 2 failed",
    ]


def test_a_receiver_that_is_not_listening_is_a_recorded_failure(
    api, channel, product_factory, log_of, settings
):
    settings.STOCKLEDGER_WEBHOOK_BACKOFF_SECONDS = 0.01
    settings.STOCKLEDGER_OUTBOUND_ALLOW = "127.0.0.1"
    widget = product_factory("W-1")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    api.put(f"/sales-channels/{channel.id}/webhook", {"url": f"http://127.0.0.1:{port}/"})
    result = run(api, channel)
    assert result["status"] == "failed"
    [row] = log_of(widget, event_type="export")
    # A tenant reads that delivery failed, not "connection refused" (that maps ports).
    assert row.delivery_status == "failed after 3 attempts: delivery failed"
    detail = api.get(f"/sales-channels/{channel.id}").json()
    assert detail["last_writeback_status"] == "failed"
    assert detail["last_writeback_error"] == "1 of 1 quantities not delivered: delivery failed"


def test_the_secret_is_shown_at_creation_readable_by_the_owner_and_rotatable(
    api, other_api, receiver, product_factory
):
    product_factory("W-1")
    created = api.post("/sales-channels", {"cart_type": "other", "name": "Hooked"}).json()
    secret = created["webhook_secret"]
    assert len(secret) == 64
    url = f"/sales-channels/{created['id']}/webhook-secret"
    assert api.get(url).json() == {
        "secret": secret,
        "signature_header": "X-Stockledger-Signature",
    }
    assert "webhook_secret" not in api.get(f"/sales-channels/{created['id']}").json()
    assert other_api.get(url).status_code == 404
    assert other_api.post(url).status_code == 404
    rotated = api.post(url).json()["secret"]
    assert rotated != secret and api.get(url).json()["secret"] == rotated
    api.put(f"/sales-channels/{created['id']}/webhook", {"url": receiver.url})
    response = api.post(f"/sales-channels/{created['id']}/writeback-run", {})
    run_channel_jobs()
    finished = api.get(f"/sales-channels/{created['id']}/syncs/{response.json()['id']}")
    assert finished.json()["status"] == "delivered"
    [(_path, headers, body)] = receiver.requests
    assert headers["X-Stockledger-Signature"] == receiver.sign(rotated, body)
    # A second channel has its own secret.
    other_channel = api.post("/sales-channels", {"cart_type": "other", "name": "Two"}).json()
    assert other_channel["webhook_secret"] not in (secret, rotated)


@pytest.mark.parametrize(
    "body",
    [
        {"url": "ftp://example.com/hook"},
        {"url": "javascript:alert(1)"},
        {"url": "file:///etc/passwd"},
        {"url": "http://"},
        {"url": "http://user:pw@example.com/hook"},
        {"url": "http://exa mple.com/"},
        {"url": "http://example.com:99999/"},
        {"url": "example.com/hook"},
        {"url": "https://example.com/" + "a" * 2000},
        {"url": "https://example.com/", "timeout_seconds": 0},
        {"url": "https://example.com/", "timeout_seconds": 31},
    ],
)
def test_only_http_and_https_webhook_urls_are_accepted(api, channel, db_dump, body):
    before = db_dump()
    response = api.put(f"/sales-channels/{channel.id}/webhook", body)
    assert response.status_code == 422, response.json()
    assert db_dump() == before


def test_setting_the_url_to_null_goes_back_to_manual(api, channel, receiver, product_factory):
    product_factory("W-1")
    api.put(f"/sales-channels/{channel.id}/webhook", {"url": receiver.url})
    response = api.put(f"/sales-channels/{channel.id}/webhook", {"url": None})
    assert (response.json()["adapter"], response.json()["webhook_url"]) == ("manual", "")
    assert run(api, channel)["status"] == "recorded"
    assert receiver.requests == []


@pytest.mark.django_db(transaction=True)
def test_no_database_transaction_is_open_while_the_webhook_is_called(
    api, channel, receiver, product_factory
):
    product_factory("W-1")
    api.put(f"/sales-channels/{channel.id}/webhook", {"url": receiver.url})
    main_connection = connections["default"]  # the connection of this (the caller's) thread
    seen = []
    receiver.on_request = lambda: seen.append(main_connection.in_atomic_block)
    assert run(api, channel)["status"] == "delivered"
    assert seen == [False]
