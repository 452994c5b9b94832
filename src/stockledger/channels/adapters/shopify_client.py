"""A small client for Shopify's Admin GraphQL API (pinned version), cost-aware.

Shopify limits each app and store by calculated query cost (a leaky bucket): every answer
carries `extensions.cost` with `requestedQueryCost` and `throttleStatus` {maximumAvailable,
currentlyAvailable, restoreRate}. Before a query whose cost we have seen, the client waits
until the bucket (as last reported, refilled at restoreRate since) covers it; a `THROTTLED`
answer (HTTP 200 with errors[].extensions.code, or HTTP 429) is retried after the refill it
needs, with exponential backoff, a bounded number of times. 5xx and network failures are
retried the same way. The access token travels only in the X-Shopify-Access-Token header
and is never logged or put in an error message.

All traffic goes through core/outbound.py: only public addresses (or the operator's
STOCKLEDGER_OUTBOUND_ALLOW) are reached.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from stockledger.core.outbound import OutboundError, OutboundRefused, outbound_request

logger = logging.getLogger(__name__)

API_VERSION = "2026-01"
MAX_ATTEMPTS = 5
BACKOFF_SECONDS = 1.0
MAX_WAIT_SECONDS = 30.0
_sleep = time.sleep  # tests replace both
_clock = time.monotonic


class ShopifyError(Exception):
    """Shopify did not do what was asked; `str()` is safe to show the merchant."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable


@dataclass
class Bucket:
    maximum: float = 0.0
    available: float = 0.0
    restore_rate: float = 0.0
    seen_at: float = 0.0

    def available_now(self, now: float) -> float:
        return min(self.maximum, self.available + self.restore_rate * max(0.0, now - self.seen_at))

    def wait_for(self, cost: float, now: float) -> float:
        """Seconds until the bucket covers `cost` (0 when it does or nothing is known)."""
        if not self.restore_rate or cost <= 0:
            return 0.0
        missing = min(cost, self.maximum or cost) - self.available_now(now)
        return max(0.0, missing / self.restore_rate)


class ShopifyClient:
    def __init__(
        self,
        *,
        shop_domain: str,
        access_token: str,
        timeout: float = 10.0,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.shop_domain = shop_domain
        self._token = access_token
        self.timeout = timeout
        self.sleep = sleep or (lambda seconds: _sleep(seconds))
        self.clock = clock or (lambda: _clock())
        self.bucket = Bucket()
        self.costs: dict[str, float] = {}  # operation name -> last requestedQueryCost
        self.throttled = 0  # THROTTLED answers seen (for tests and the run's detail)
        self.waited = 0.0  # seconds spent waiting for the bucket

    def __repr__(self) -> str:  # never the token
        return f"ShopifyClient({self.shop_domain!r})"

    @property
    def url(self) -> str:
        scheme = getattr(settings, "STOCKLEDGER_SHOPIFY_SCHEME", "https")
        return f"{scheme}://{self.shop_domain}/admin/api/{API_VERSION}/graphql.json"

    def _wait(self, seconds: float) -> None:
        seconds = min(seconds, MAX_WAIT_SECONDS)
        if seconds > 0:
            self.waited += seconds
            self.sleep(seconds)

    def execute(self, operation: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        """Run one query or mutation; return its `data`. Raises ShopifyError."""
        body = json.dumps({"query": query, "variables": variables}).encode()
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": "Stockledger/1",
            "X-Shopify-Access-Token": self._token,
        }
        last = "Shopify did not answer"
        for attempt in range(1, MAX_ATTEMPTS + 1):
            self._wait(self.bucket.wait_for(self.costs.get(operation, 0.0), self.clock()))
            try:
                response = outbound_request(
                    "POST", self.url, body=body, headers=headers, timeout=self.timeout
                )
            except OutboundRefused as exc:
                raise ShopifyError(str(exc)) from None
            except OutboundError as exc:
                last = str(exc)
                self._wait(BACKOFF_SECONDS * 2 ** (attempt - 1))
                continue
            payload = self._json(response.body)
            self._note_cost(operation, payload)
            if response.status == 429 or _throttled(payload):
                self.throttled += 1
                last = "Shopify throttled the request (rate limit)"
                cost = self.costs.get(operation, 0.0)
                wait = max(self.bucket.wait_for(cost, self.clock()), BACKOFF_SECONDS)
                self._wait(wait * 2 ** (attempt - 1) if attempt > 1 else wait)
                continue
            if response.status >= 500:
                last = f"Shopify answered HTTP {response.status}"
                self._wait(BACKOFF_SECONDS * 2 ** (attempt - 1))
                continue
            if response.status in (401, 403):
                raise ShopifyError(
                    f"Shopify refused the access token (HTTP {response.status}); "
                    "check the token and its scopes"
                )
            if response.status != 200:
                raise ShopifyError(f"Shopify answered HTTP {response.status}")
            errors = payload.get("errors") if isinstance(payload, dict) else None
            if errors:
                first = errors[0] if isinstance(errors, list) and errors else errors
                message = first.get("message") if isinstance(first, dict) else str(first)
                raise ShopifyError(f"Shopify refused the query: {str(message)[:200]}")
            data = payload.get("data") if isinstance(payload, dict) else None
            if not isinstance(data, dict):
                raise ShopifyError("Shopify answered without data")
            return data
        raise ShopifyError(f"{last} after {MAX_ATTEMPTS} attempts", retryable=True)

    @staticmethod
    def _json(raw: bytes) -> dict[str, Any]:
        try:
            value = json.loads(raw or b"{}")
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}

    def _note_cost(self, operation: str, payload: dict[str, Any]) -> None:
        cost = (payload.get("extensions") or {}).get("cost") if payload else None
        if not isinstance(cost, dict):
            return
        requested = cost.get("requestedQueryCost")
        if isinstance(requested, (int, float)):
            self.costs[operation] = float(requested)
        status = cost.get("throttleStatus")
        if isinstance(status, dict):
            try:
                self.bucket = Bucket(
                    maximum=float(status["maximumAvailable"]),
                    available=float(status["currentlyAvailable"]),
                    restore_rate=float(status["restoreRate"]),
                    seen_at=self.clock(),
                )
            except (KeyError, TypeError, ValueError):
                pass


def _throttled(payload: dict[str, Any]) -> bool:
    errors = payload.get("errors") if isinstance(payload, dict) else None
    if not isinstance(errors, list):
        return False
    for error in errors:
        if isinstance(error, dict):
            code = (error.get("extensions") or {}).get("code")
            if code == "THROTTLED" or error.get("message") == "Throttled":
                return True
    return False
