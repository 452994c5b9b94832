"""Inbound channel webhooks: /hooks/<channel>/shopify and /hooks/<channel>/webhook.

Size capped before reading, signature checked before parsing, idempotent by delivery id and
by order id, answered 202 with the work left to the worker (a django-tasks job)."""

import base64
import hashlib
import hmac
import json
from pathlib import Path

import pytest
from django.test import Client
from django_tasks_db.models import DBTaskResult

from stockledger.catalog.models import Product
from stockledger.channels.inbound import inbound_process
from stockledger.channels.models import InboundWebhook
from stockledger.channels.services import channel_set_locations
from stockledger.channels.shopify_services import channel_connect_shopify
from stockledger.orders.models import Order

FIXTURES = Path(__file__).parent / "fixtures" / "shopify"
APP_SECRET = "shpss_app_client_secret_0123456789"


def body_of(name):
    data = json.loads((FIXTURES / name).read_text())
    data.pop("_follows")
    return json.dumps(data).encode()


def shopify_sign(body, secret=APP_SECRET):
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


@pytest.fixture
def client():
    return Client(enforce_csrf_checks=True)  # no CSRF token is sent: the hooks are exempt


@pytest.fixture
def hooked(company, channel, warehouses, product_factory, stock):
    widget = product_factory("W-1")
    stock(widget, warehouses[1], 10)
    channel_connect_shopify(
        company=company,
        channel=channel,
        shop_domain="acme.myshopify.com",
        access_token="shpat_token_0123456789",
        webhook_secret=APP_SECRET,
    )
    channel_set_locations(
        company=company,
        channel=channel,
        locations=[{"warehouse_id": warehouses[1].id, "location": "124656943"}],
    )
    return channel


def post_shopify(client, channel, topic, body, *, webhook_id="wh-1", signature=None):
    return client.post(
        f"/hooks/{channel.id}/shopify",
        data=body,
        content_type="application/json",
        headers={
            "X-Shopify-Topic": topic,
            "X-Shopify-Hmac-Sha256": signature or shopify_sign(body),
            "X-Shopify-Webhook-Id": webhook_id,
            "X-Shopify-Shop-Domain": "acme.myshopify.com",
        },
    )


def run_worker():
    """Run the queued jobs as the worker would (in this thread: the test's database)."""
    for job in DBTaskResult.objects.filter(status="READY").order_by("enqueued_at"):
        assert job.task_path == "stockledger.channels.inbound_tasks.process_inbound_webhook"
        job.task.call(*job.args_kwargs["args"], **job.args_kwargs["kwargs"])
        DBTaskResult.objects.filter(pk=job.pk).update(status="SUCCESSFUL")


def test_an_order_webhook_is_answered_202_and_imported_by_the_worker(
    client, hooked, warehouses, log_of, stock_of
):
    body = body_of("webhook_orders_create.json")
    response = post_shopify(client, hooked, "orders/create", body)

    assert response.status_code == 202, response.content
    [row] = InboundWebhook.objects.all()
    assert (row.topic, row.delivery_id, row.status, bytes(row.body)) == (
        "orders/create",
        "wh-1",
        "queued",
        body,
    )
    assert not Order.objects.exists()  # nothing done in the request thread
    assert DBTaskResult.objects.filter(status="READY").count() == 1

    run_worker()

    order = Order.objects.get()
    assert (order.order_number, order.warehouse_id, order.status) == (
        "#9999",
        warehouses[1].id,
        "open",
    )
    widget = Product.objects.get(sku="W-1")
    [imported] = log_of(widget, event_type="order")
    assert (imported.order_step, imported.quantity, imported.event_id) == ("imported", 3, "#9999")
    row.refresh_from_db()
    assert row.status == "done"
    assert row.outcome == "#9999: imported, left out (no SKU)"


def test_a_redelivery_or_the_same_order_again_changes_nothing(client, hooked, log_of):
    body = body_of("webhook_orders_create.json")
    assert post_shopify(client, hooked, "orders/create", body).status_code == 202
    again = post_shopify(client, hooked, "orders/create", body)  # same webhook id
    assert again.status_code == 200 and again.json()["detail"] == "already received"
    # Another delivery (new webhook id) of the same order: idempotent by order id.
    assert post_shopify(client, hooked, "orders/create", body, webhook_id="wh-2").status_code == 202
    run_worker()
    assert Order.objects.count() == 1
    assert len(log_of(Product.objects.get(sku="W-1"), event_type="order")) == 1
    assert list(InboundWebhook.objects.order_by("id").values_list("outcome", flat=True)) == [
        "#9999: imported, left out (no SKU)",
        "#9999: already imported",
    ]


def test_fulfillment_and_cancellation_webhooks_ship_and_cancel(client, hooked, log_of):
    post_shopify(client, hooked, "orders/create", body_of("webhook_orders_create.json"))
    body = body_of("webhook_fulfillments_create.json")
    post_shopify(client, hooked, "fulfillments/create", body, webhook_id="wh-2")
    post_shopify(client, hooked, "fulfillments/create", body, webhook_id="wh-3")  # same one
    post_shopify(
        client,
        hooked,
        "orders/cancelled",
        body_of("webhook_orders_cancelled.json"),
        webhook_id="wh-4",
    )
    run_worker()
    rows = log_of(Product.objects.get(sku="W-1"), event_type="order")
    assert [(r.order_step, r.quantity) for r in rows] == [
        ("imported", 3),
        ("shipped", 2),
        ("cancelled", 1),
    ]
    assert Order.objects.get().status == "shipped"  # 2 shipped, the rest cancelled
    outcomes = list(InboundWebhook.objects.order_by("id").values_list("outcome", flat=True))
    assert outcomes[2] == "#9999: fulfillment 123456 already applied"


@pytest.mark.parametrize(
    "signature",
    [
        "",
        "bm90IGEgc2lnbmF0dXJl",
        shopify_sign(b"another body"),
        shopify_sign(body_of("webhook_orders_create.json"), secret="wrong secret"),
    ],
)
def test_a_webhook_with_a_bad_signature_is_refused_before_parsing(
    client, hooked, signature, db_dump
):
    before = db_dump()
    body = body_of("webhook_orders_create.json")
    response = post_shopify(client, hooked, "orders/create", body, signature=signature or " ")
    assert response.status_code == 401
    assert db_dump() == before


def test_an_unsigned_garbage_body_is_refused_without_being_parsed(client, hooked, monkeypatch):
    import stockledger.channels.inbound as inbound

    monkeypatch.setattr(inbound.json, "loads", lambda *a, **k: pytest.fail("parsed"))
    response = post_shopify(client, hooked, "orders/create", b"{not json", signature="x")
    assert response.status_code == 401


def test_the_body_size_is_capped_before_reading(client, hooked, settings, monkeypatch):
    settings.STOCKLEDGER_HOOK_MAX_BYTES = 100
    big = b"{" + b" " * 200 + b"}"
    response = post_shopify(client, hooked, "orders/create", big)
    assert response.status_code == 413
    assert not InboundWebhook.objects.exists()


def test_a_body_longer_than_its_content_length_says_is_read_only_up_to_the_cap(
    hooked, settings, rf
):
    from io import BytesIO

    from stockledger.channels.inbound import hook_receive

    settings.STOCKLEDGER_HOOK_MAX_BYTES = 100
    stream = BytesIO(b"x" * 10_000)
    request = rf.post(f"/hooks/{hooked.id}/shopify", data=b"", content_type="application/json")
    request.META["CONTENT_LENGTH"] = "50"
    request.META["wsgi.input"] = stream
    request._stream = None
    from django.core.handlers.wsgi import LimitedStream

    request._stream = LimitedStream(stream, 50)
    response = hook_receive(request, hooked.id, "shopify")
    assert response.status_code == 401  # read 50 bytes, signature does not match
    assert stream.tell() <= 101


def test_unknown_channels_kinds_and_methods(client, hooked, channel):
    body = body_of("webhook_orders_create.json")
    assert client.get(f"/hooks/{hooked.id}/shopify").status_code == 405
    assert (
        client.post(
            f"/hooks/{hooked.id + 1000}/shopify", data=body, content_type="application/json"
        ).status_code
        == 404
    )
    assert (
        client.post(
            f"/hooks/{hooked.id}/nothing", data=body, content_type="application/json"
        ).status_code
        == 404
    )
    ignored = post_shopify(client, hooked, "products/update", body)
    assert ignored.status_code == 200 and not InboundWebhook.objects.exists()


def test_another_companys_secret_does_not_open_this_channel(client, hooked, company_factory):
    from stockledger.channels.models import SalesChannel

    other, _user, _token = company_factory("Other Co")
    theirs = SalesChannel.objects.create(company=other, cart_type="shopify", name="Theirs")
    channel_connect_shopify(
        company=other,
        channel=theirs,
        shop_domain="other.myshopify.com",
        access_token="shpat_other_0123456789",
        webhook_secret="their-secret-0123456789",
    )
    body = body_of("webhook_orders_create.json")
    response = post_shopify(
        client,
        hooked,
        "orders/create",
        body,
        signature=shopify_sign(body, "their-secret-0123456789"),
    )
    assert response.status_code == 401


def test_the_generic_signed_endpoint_imports_and_ships(client, hooked, log_of):
    def post(event, payload, delivery):
        body = json.dumps(payload).encode()
        signature = (
            "sha256=" + hmac.new(hooked.webhook_secret.encode(), body, hashlib.sha256).hexdigest()
        )
        return client.post(
            f"/hooks/{hooked.id}/webhook",
            data=body,
            content_type="application/json",
            headers={
                "X-Stockledger-Event": event,
                "X-Stockledger-Signature": signature,
                "X-Stockledger-Delivery": delivery,
            },
        )

    order = {
        "order_number": "W-100",
        "placed_at": "2026-01-12T10:00:00+00:00",
        "lines": [{"sku": "W-1", "quantity": 2}],
    }
    assert post("order.created", {"order": order}, "d-1").status_code == 202
    assert post("order.shipped", {"order": {"order_number": "W-100"}}, "d-2").status_code == 202
    bad = client.post(
        f"/hooks/{hooked.id}/webhook",
        data=b"{}",
        content_type="application/json",
        headers={"X-Stockledger-Event": "order.created", "X-Stockledger-Signature": "sha256=00"},
    )
    assert bad.status_code == 401
    run_worker()
    rows = log_of(Product.objects.get(sku="W-1"), event_type="order")
    assert [(r.event_id, r.order_step, r.quantity) for r in rows] == [
        ("W-100", "imported", 2),
        ("W-100", "shipped", 2),
    ]


def test_a_stored_webhook_is_processed_once(client, hooked):
    post_shopify(client, hooked, "orders/create", body_of("webhook_orders_create.json"))
    row = InboundWebhook.objects.get()
    first = inbound_process(inbound_id=row.pk)
    assert inbound_process(inbound_id=row.pk) == first
    assert Order.objects.count() == 1


def test_processed_webhooks_older_than_a_week_are_pruned(client, hooked):
    from datetime import timedelta

    from django.utils import timezone

    post_shopify(client, hooked, "orders/create", body_of("webhook_orders_create.json"))
    old = InboundWebhook.objects.get()
    inbound_process(inbound_id=old.pk)
    InboundWebhook.objects.filter(pk=old.pk).update(received_at=timezone.now() - timedelta(days=8))
    body = body_of("webhook_orders_cancelled.json")
    post_shopify(client, hooked, "orders/cancelled", body, webhook_id="wh-2")
    inbound_process(inbound_id=InboundWebhook.objects.get(delivery_id="wh-2").pk)
    assert list(InboundWebhook.objects.values_list("delivery_id", flat=True)) == ["wh-2"]
