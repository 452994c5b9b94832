"""Webhooks channels send us: `POST /hooks/<channel id>/<kind>`.

Kinds: `shopify` (Shopify's orders/create, orders/cancelled and fulfillments/create topics,
signed `X-Shopify-Hmac-Sha256` = base64 HMAC-SHA256 of the raw body with the app's client
secret) and `webhook` (integrators: `X-Stockledger-Signature: sha256=<hex HMAC-SHA256>` with
the channel's webhook secret, the same scheme our own outgoing webhook uses; events
order.created, order.cancelled, order.shipped).

The request thread only guards and enqueues, in this order, and answers fast:
1. the body size is capped BEFORE reading: no or a too large Content-Length is refused
   (411 / 413) and at most the cap is read;
2. the signature is checked (constant-time) before anything is parsed: 401 otherwise; a
   channel that does not exist or has no secret for the kind is 404 (the same for both, so
   ids cannot be probed);
3. idempotent: the delivery id (X-Shopify-Webhook-Id / X-Stockledger-Delivery) is stored
   once per channel; a redelivery answers 200 and enqueues nothing;
4. the raw body is stored and a django-tasks job enqueued in the same transaction; 202.
The worker parses and applies it (`inbound_process`); by order id it is idempotent too.
No session, no CSRF token: the signature is the authentication.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from stockledger.core.errors import DomainError
from stockledger.core.secret_box import SecretUnreadable, secret_open

from .adapters import ChannelOrder, ChannelOrderLine, OrderState
from .adapters.shopify import ShopifyAdapter, ShopifyFulfillment
from .models import InboundWebhook, SalesChannel, ShopifySettings
from .order_events import channel_fulfillment_apply, channel_order_apply

logger = logging.getLogger(__name__)

SHOPIFY_TOPICS = ("orders/create", "orders/cancelled", "fulfillments/create")
GENERIC_EVENTS = ("order.created", "order.cancelled", "order.shipped")
DELIVERY_ID_MAX = 200
# Kept this long for idempotency (Shopify retries a delivery for up to 48 hours), then
# pruned by the worker: the bodies hold customers' order details.
RETENTION_DAYS = 7


def _answer(status: int, detail: str) -> JsonResponse:
    return JsonResponse({"detail": detail}, status=status)


def _shopify_secret(channel: SalesChannel) -> str:
    config = ShopifySettings.objects.filter(channel=channel).first()
    if config is None:
        return ""
    try:
        return secret_open(config.webhook_secret_sealed)
    except SecretUnreadable:
        return ""


def shopify_signature(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def _signed(kind: str, channel: SalesChannel, request: HttpRequest, body: bytes) -> bool | None:
    """True / False for a good / bad signature; None when the channel cannot receive `kind`."""
    if kind == "shopify":
        secret = _shopify_secret(channel)
        if not secret:
            return None
        given = request.headers.get("X-Shopify-Hmac-Sha256", "")
        return hmac.compare_digest(given.encode(), shopify_signature(secret, body).encode())
    if kind == "webhook":
        if not channel.webhook_secret:
            return None
        given = request.headers.get("X-Stockledger-Signature", "")
        expected = (
            "sha256=" + hmac.new(channel.webhook_secret.encode(), body, hashlib.sha256).hexdigest()
        )
        return hmac.compare_digest(given.encode(), expected.encode())
    return None


@csrf_exempt
def hook_receive(request: HttpRequest, channel_id: int, kind: str) -> JsonResponse:
    if request.method != "POST":
        response = _answer(405, "POST only")
        response["Allow"] = "POST"
        return response
    cap = int(getattr(settings, "STOCKLEDGER_HOOK_MAX_BYTES", 1024 * 1024))
    length = request.META.get("CONTENT_LENGTH") or ""
    if not length.isdigit():
        return _answer(411, "a Content-Length is required")
    if int(length) > cap:
        return _answer(413, f"body is larger than the limit of {cap} bytes")
    body = request.read(cap + 1)
    if len(body) > cap:
        return _answer(413, f"body is larger than the limit of {cap} bytes")
    channel = SalesChannel.objects.filter(pk=channel_id).first()
    signed = None if channel is None else _signed(kind, channel, request, body)
    if channel is None or signed is None:
        return _answer(404, "no such webhook")
    if not signed:
        logger.info("hook %s/%s: bad signature", channel_id, kind)
        return _answer(401, "signature does not match")
    if kind == "shopify":
        topic = request.headers.get("X-Shopify-Topic", "")
        delivery = request.headers.get("X-Shopify-Webhook-Id") or request.headers.get(
            "X-Shopify-Event-Id", ""
        )
        known = SHOPIFY_TOPICS
    else:
        topic = request.headers.get("X-Stockledger-Event", "")
        delivery = request.headers.get("X-Stockledger-Delivery", "")
        known = GENERIC_EVENTS
    if topic not in known:
        return _answer(200, f"topic {topic[:100]!r} is not used; ignored")
    if not delivery:
        delivery = "sha256:" + hashlib.sha256(body).hexdigest()
    delivery = delivery[:DELIVERY_ID_MAX]
    from .inbound_tasks import process_inbound_webhook

    try:
        with transaction.atomic():
            row = InboundWebhook.objects.create(
                company_id=channel.company_id,
                channel=channel,
                kind=kind,
                topic=topic,
                delivery_id=delivery,
                body=body,
                received_at=timezone.now(),
            )
            process_inbound_webhook.enqueue(row.pk)
    except IntegrityError:
        return _answer(200, "already received")
    return _answer(202, "accepted")


# --- the worker's side ----------------------------------------------------------------------


def inbound_process(*, inbound_id: int) -> str:
    """Parse and apply one stored webhook (the worker runs it); records the outcome on its
    row (done / failed with the reason) and returns it. Runs once per row."""
    row = InboundWebhook.objects.select_related("channel", "company").get(pk=inbound_id)
    if row.status != InboundWebhook.Status.QUEUED:
        return row.outcome
    status = InboundWebhook.Status.DONE
    try:
        payload = json.loads(bytes(row.body))
        if not isinstance(payload, dict):
            raise ValueError("not a JSON object")
        outcome = _apply(row, payload)
    except (ValueError, TypeError, KeyError) as exc:
        status, outcome = InboundWebhook.Status.FAILED, f"unreadable body: {exc}"[:500]
    except DomainError as exc:
        status, outcome = InboundWebhook.Status.FAILED, exc.message[:500]
    now = timezone.now()
    InboundWebhook.objects.filter(pk=row.pk).update(
        status=status, outcome=outcome, processed_at=now
    )
    InboundWebhook.objects.filter(
        channel_id=row.channel_id, received_at__lt=now - timedelta(days=RETENTION_DAYS)
    ).exclude(status=InboundWebhook.Status.QUEUED).delete()
    return outcome


def inbound_take_over(*, inbound_id: int, lost) -> str:
    """Its worker was lost while applying this webhook (core/workers.py): process it again
    (applying an order is idempotent), or end it failed with the reason. Runs inside the
    reaper's transaction."""
    from stockledger.core.workers import again_or_failed

    from .inbound_tasks import process_inbound_webhook

    queued = InboundWebhook.objects.filter(pk=inbound_id, status=InboundWebhook.Status.QUEUED)
    if lost.give_up:
        failed = queued.update(
            status=InboundWebhook.Status.FAILED,
            outcome=again_or_failed(lost)[:500],
            processed_at=timezone.now(),
        )
        return "failed" if failed else "already processed"
    if not queued.exists():
        return "already processed"
    process_inbound_webhook.enqueue(inbound_id)
    return "queued again"


def _apply(row: InboundWebhook, payload: dict) -> str:
    company, channel = row.company, row.channel
    if row.kind == "shopify":
        if row.topic == "fulfillments/create":
            order_id, order_name, fulfillment = ShopifyAdapter.fulfillment_from_webhook(payload)
            return channel_fulfillment_apply(
                company=company,
                channel=channel,
                external_order_id=order_id,
                order_number=order_name,
                fulfillment=fulfillment,
            )
        order = ShopifyAdapter.order_from_webhook(payload)
        if row.topic == "orders/cancelled":
            order = _with_state(order, OrderState.CANCELLED)
        return str(
            channel_order_apply(
                company=company, channel=channel, order=order, external_id=order.external_id
            )
        )
    return _apply_generic(row, payload)


def _with_state(order, state: str):
    from dataclasses import replace

    return replace(order, state=state)


def _apply_generic(row: InboundWebhook, payload: dict) -> str:
    data = payload.get("order")
    if not isinstance(data, dict):
        raise ValueError("an 'order' object is required")
    number = str(data.get("order_number") or "")
    lines = [
        ChannelOrderLine(str(line.get("sku") or ""), int(line.get("quantity") or 0))
        for line in data.get("lines") or []
        if isinstance(line, dict)
    ]
    if row.topic == "order.shipped" and lines:
        fulfillment = ShopifyFulfillment(
            f"{row.delivery_id}", _parse_time(data.get("shipped_at")), lines
        )
        return channel_fulfillment_apply(
            company=row.company,
            channel=row.channel,
            external_order_id="",
            order_number=number,
            fulfillment=fulfillment,
        )
    placed = _parse_time(data.get("placed_at")) or row.received_at
    state = {
        "order.cancelled": OrderState.CANCELLED,
        "order.shipped": OrderState.SHIPPED,
    }.get(row.topic, OrderState.PLACED)
    order = ChannelOrder(
        order_number=number,
        placed_at=placed,
        lines=lines,
        state=state,
        location=str(data.get("location") or ""),
        updated_at=row.received_at,
        shipped_at=_parse_time(data.get("shipped_at")),
    )
    return str(channel_order_apply(company=row.company, channel=row.channel, order=order))


def _parse_time(value) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None
