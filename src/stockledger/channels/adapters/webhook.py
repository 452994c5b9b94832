"""HTTP webhook channel: quantities are POSTed as signed JSON to a URL the merchant sets.

Each request body is JSON:

    {"event": "quantities.writeback", "event_id": "export-12", "batch": 1, "batches": 1,
     "sent_at": "2026-01-02T03:04:05+00:00",
     "channel": {"id": 3, "name": "Webshop", "cart_type": "other"},
     "quantities": [{"sku": "W-1", "quantity": 8}, ...]}

with the header `X-Stockledger-Signature: sha256=<hex HMAC-SHA256 of the raw body, keyed with
the channel's webhook secret>` so the receiver can trust it (compare in constant time; the
`sent_at` inside the signed body lets it refuse old replays).

Delivery: at most `STOCKLEDGER_WEBHOOK_BATCH` (1000) quantities per request; each request
gets `STOCKLEDGER_WEBHOOK_ATTEMPTS` (3) attempts, waiting `STOCKLEDGER_WEBHOOK_BACKOFF_SECONDS`
(1 s) x 2^n between them, each with the channel's timeout (5 s by default, at most 10 s; it bounds
the connect and every read), all within the run's time budget (adapter.deadline). Connection errors, timeouts, 408, 429 and 5xx are retried; other
answers outside 2xx are final (the receiver refused). Redirects are not followed. When a batch
fails every attempt, the later batches are not sent (the receiver is down) and say so.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import time
from collections.abc import Sequence
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone

from stockledger.core.errors import InvalidInput
from stockledger.core.outbound import (
    OutboundError,
    OutboundRefused,
    check_outbound_host,
    outbound_request,
)

from .base import ChannelAdapter, Delivery, QuantityToWrite

SIGNATURE_HEADER = "X-Stockledger-Signature"
MAX_URL = 2000
RETRYABLE = {408, 429}
REFUSED = -1  # the address is not allowed: nothing was sent, not retried


def _setting(name: str, default):
    return getattr(settings, name, default)


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def check_webhook_url(url: object, *, field: str = "url") -> str:
    """A webhook URL: http or https with a host, no credentials in it."""
    if not isinstance(url, str) or not url.strip():
        raise InvalidInput("webhook URL must be a non-empty string", field=field)
    url = url.strip()
    if len(url) > MAX_URL:
        raise InvalidInput(f"webhook URL is longer than {MAX_URL} characters", field=field)
    if any(ord(ch) < 33 for ch in url):
        raise InvalidInput("webhook URL must not contain spaces or control characters", field=field)
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise InvalidInput("webhook URL is not a valid URL", field=field) from None
    if parts.scheme not in ("http", "https"):
        raise InvalidInput("webhook URL must start with http:// or https://", field=field)
    if not parts.hostname:
        raise InvalidInput("webhook URL must name a host", field=field)
    if parts.username or parts.password:
        raise InvalidInput(
            "webhook URL must not carry credentials; the receiver checks the signature",
            field=field,
        )
    try:
        check_outbound_host(parts.hostname)
    except OutboundRefused:
        raise InvalidInput(
            "webhook URL must point to a public address (not loopback, private, link-local "
            "or reserved); an operator may allow hosts with STOCKLEDGER_OUTBOUND_ALLOW",
            field=field,
        ) from None
    return url


def _post_once(url: str, body: bytes, headers: dict[str, str], timeout: float) -> tuple[int, str]:
    """One POST: (HTTP status, "") or (0, what a tenant may read; retried) or (REFUSED, why;
    final). Only public addresses are reached (core/outbound.py); no redirect is followed."""
    try:
        response = outbound_request(
            "POST", url, body=body, headers=headers, timeout=timeout, max_response_bytes=1024 * 1024
        )
    except OutboundRefused as exc:
        return REFUSED, str(exc)
    except OutboundError as exc:
        return 0, str(exc)
    return response.status, ""


def _describe(status: int, error: str) -> str:
    if status > 0:
        reason = http.client.responses.get(status, "")
        return f"HTTP {status}{' ' + reason if reason else ''}"
    return error


class WebhookAdapter(ChannelAdapter):
    name = "webhook"
    label = "Webhook"
    pushes = True

    def write_quantities(
        self, items: Sequence[QuantityToWrite], *, event_id: str
    ) -> list[Delivery]:
        batch_size = max(1, int(_setting("STOCKLEDGER_WEBHOOK_BATCH", 1000)))
        batches = [items[i : i + batch_size] for i in range(0, len(items), batch_size)]
        out: list[Delivery] = []
        down: Delivery | None = None
        for number, batch in enumerate(batches, start=1):
            if down is not None:
                out.extend([down] * len(batch))
                continue
            delivery = self._deliver(batch, event_id=event_id, number=number, of=len(batches))
            out.extend([delivery] * len(batch))
            if delivery.unreachable:
                down = Delivery(
                    "failed",
                    f"failed: not sent, batch {number} of {len(batches)} failed",
                    delivery.error,
                )
        return out

    def _deliver(
        self, batch: Sequence[QuantityToWrite], *, event_id: str, number: int, of: int
    ) -> Delivery:
        channel = self.channel
        try:
            url = check_webhook_url(channel.webhook_url)
        except InvalidInput as exc:
            return Delivery("failed", f"failed: {exc.message}", exc.message)
        body = json.dumps(
            {
                "event": "quantities.writeback",
                "event_id": event_id,
                "batch": number,
                "batches": of,
                "sent_at": timezone.now().isoformat(),
                "channel": {
                    "id": channel.id,
                    "name": channel.name,
                    "cart_type": channel.cart_type,
                },
                "quantities": [{"sku": i.sku, "quantity": i.quantity} for i in batch],
            },
            separators=(",", ":"),
        ).encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Stockledger-Webhook/1",
            "X-Stockledger-Event": "quantities.writeback",
            "X-Stockledger-Delivery": f"{event_id}/{number}",
            SIGNATURE_HEADER: sign(channel.webhook_secret, body),
        }
        attempts = max(1, int(_setting("STOCKLEDGER_WEBHOOK_ATTEMPTS", 3)))
        backoff = float(_setting("STOCKLEDGER_WEBHOOK_BACKOFF_SECONDS", 1.0))
        where = f" (batch {number} of {of})" if of > 1 else ""
        for attempt in range(1, attempts + 1):
            if self.time_left() == 0:
                what = "the run's time budget is used up"
                return Delivery("failed", f"failed: not sent, {what}{where}", what, True)
            timeout = self.request_timeout(float(channel.webhook_timeout_seconds or 5.0))
            status, error = _post_once(url, body, headers, timeout)
            what = _describe(status, error)
            if 200 <= status < 300:
                return Delivery("delivered", f"delivered: {what} on attempt {attempt}{where}")
            retryable = status == 0 or status >= 500 or status in RETRYABLE
            if not retryable:
                return Delivery("failed", f"failed: {what}, not retried{where}", what)
            if attempt < attempts:
                pause = backoff * 2 ** (attempt - 1)
                left = self.time_left()
                time.sleep(pause if left is None else min(pause, left))
        return Delivery(
            "failed", f"failed after {attempts} attempts: {what}{where}", what, unreachable=True
        )
