"""Vendure connector: a Vendure store's Admin GraphQL API (Vendure 3.x).

- Locations: our warehouses map to Vendure stock location ids (the channel's location mapping).
- Read-back: per SKU, the sum over mapped locations of stockOnHand - stockAllocated (what the
  store can still sell).
- Writeback: per mapped location, the store should be able to sell our quantity for that
  warehouse, so its stockOnHand becomes quantity + stockAllocated as read. The write goes
  through Stockledger's companion plugin (tests/stores/vendure/stock-guard-plugin.js), which
  locks the stock level and applies it only if stockOnHand and stockAllocated are still what
  we read. When the store changed in between (a sale, a fulfilment), our change (the delta
  from what we read) is applied again on top of what is there now, so the store's sale is
  kept, never overwritten; at most ATTEMPTS tries.
- Orders: polled by `updatedAt` / `orderPlacedAt` after the stored cursor (open carts
  excluded with `active: false`; an order's updatedAt can be earlier than its orderPlacedAt,
  so both are filtered and the cursor is the later of the two). Placed orders are imported
  (Vendure's allocation is our commit), Shipped / Delivered ones shipped, Cancelled ones
  cancelled. An order's stock location is not exposed per line: it is imported at the
  warehouse mapped first.

Credentials (admin URL, an administrator's username and password, or a bearer token) are
stored per channel (VendureSettings; the password and token encrypted, core/secret_box.py).
Each request's timeout is at most 10 s and within the run's budget. Every request goes
through core/outbound.py: only public addresses, or those the operator allows with
STOCKLEDGER_OUTBOUND_ALLOW, are reached, and a failure to connect reads only "delivery
failed" (never which internal port answered or how).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from stockledger.core.outbound import OutboundError, OutboundRefused, outbound_request
from stockledger.core.secret_box import SecretUnreadable

from .base import (
    ChannelAdapter,
    ChannelOrder,
    ChannelOrderLine,
    ChannelQuantity,
    Delivery,
    OrderPage,
    OrderState,
    QuantityToWrite,
)

ATTEMPTS = 3
PAGE = 100
TIMEOUT = 10.0
CURSOR_OVERLAP = timedelta(seconds=2)
_tokens: dict[tuple, str] = {}  # (channel id, url, username) -> session token, per process


class VendureError(Exception):
    """The store refused or could not be reached (message safe to show the merchant).
    `refused`: retrying cannot help (the address is not allowed, nothing was sent; or the
    stored secret cannot be decrypted)."""

    def __init__(self, message: str, *, refused: bool = False) -> None:
        super().__init__(message)
        self.refused = refused


MAX_ANSWER_BYTES = 20 * 1024 * 1024


def _post(url: str, body: dict, headers: dict[str, str], timeout: float) -> tuple[dict, dict]:
    """POST JSON through core/outbound.py; (decoded body, response headers with lower-case
    names). Raises VendureError (its text is safe to show a tenant)."""
    try:
        response = outbound_request(
            "POST",
            url,
            body=json.dumps(body).encode(),
            headers={"Content-Type": "application/json", "Accept": "application/json", **headers},
            timeout=timeout,
            max_response_bytes=MAX_ANSWER_BYTES,
        )
    except OutboundRefused as exc:
        raise VendureError(str(exc), refused=True) from None
    except OutboundError as exc:
        raise VendureError(str(exc)) from None
    if response.status >= 400:
        raise VendureError(f"the store answered HTTP {response.status}")
    try:
        decoded = json.loads(response.body)
    except ValueError:
        raise VendureError("the store's answer is not JSON") from None
    if not isinstance(decoded, dict):
        raise VendureError("the store's answer is not a JSON object")
    return decoded, {k.lower(): v for k, v in response.headers.items()}


def _opened(secret) -> str:
    """A stored secret in plain text (VendureSettings.password / .token); VendureError when
    it cannot be decrypted (the secrets key changed)."""
    try:
        return secret()
    except SecretUnreadable as exc:
        raise VendureError(str(exc), refused=True) from None


class VendureAdapter(ChannelAdapter):
    name = "vendure"
    label = "Vendure"
    pushes = True
    can_read = True
    can_poll_orders = True
    per_location = True

    # --- the Admin API ---------------------------------------------------------------------

    def _settings(self):
        from stockledger.channels.models import VendureSettings

        found = VendureSettings.objects.filter(channel=self.channel).first()
        if found is None:
            raise VendureError("connect the store first (admin URL and login)")
        return found

    def _key(self, settings) -> tuple:
        return (self.channel.pk, settings.admin_url, settings.username)

    def _login(self, settings) -> str:
        token = _opened(settings.token)
        if token:
            return token
        cached = _tokens.get(self._key(settings))
        if cached:
            return cached
        query = (
            "mutation($u: String!, $p: String!) { login(username: $u, password: $p) {"
            " __typename ... on ErrorResult { errorCode message } } }"
        )
        body, headers = _post(
            settings.admin_url,
            {
                "query": query,
                "variables": {"u": settings.username, "p": _opened(settings.password)},
            },
            {},
            self.request_timeout(TIMEOUT),
        )
        result = (body.get("data") or {}).get("login") or {}
        session = headers.get("vendure-auth-token")
        if result.get("__typename") != "CurrentUser" or not session:
            raise VendureError(f"the store refused the login ({result.get('errorCode', 'error')})")
        _tokens[self._key(settings)] = session
        return session

    def gql(self, query: str, variables: dict | None = None) -> dict:
        settings = self._settings()
        for attempt in (1, 2):
            token = self._login(settings)
            body, _headers = _post(
                settings.admin_url,
                {"query": query, "variables": variables or {}},
                {"Authorization": f"Bearer {token}"},
                self.request_timeout(TIMEOUT),
            )
            errors = body.get("errors") or []
            if (
                errors
                and attempt == 1
                and not settings.token_sealed
                and any((e.get("extensions") or {}).get("code") == "FORBIDDEN" for e in errors)
            ):
                _tokens.pop(self._key(settings), None)  # the session expired: log in again
                continue
            if errors:
                raise VendureError(f"the store refused the request: {errors[0].get('message')}")
            return body["data"]
        raise VendureError("the store refused the login")

    def _locations(self) -> list[str]:
        from stockledger.channels.models import ChannelLocation

        return list(
            ChannelLocation.objects.filter(channel=self.channel)
            .order_by("warehouse_id")
            .values_list("location", flat=True)
        )

    def _variants(self, skus: Sequence[str] | None) -> list[dict]:
        query = (
            "query($o: ProductVariantListOptions) { productVariants(options: $o) {"
            " totalItems items { id sku stockLevels { stockLocationId stockOnHand"
            " stockAllocated } } } }"
        )
        found: list[dict] = []
        if skus is not None:
            for start in range(0, len(skus), PAGE):
                part = list(skus[start : start + PAGE])
                options = {"filter": {"sku": {"in": part}}, "take": PAGE}
                found += self.gql(query, {"o": options})["productVariants"]["items"]
            return found
        skip = 0
        while True:
            page = self.gql(query, {"o": {"skip": skip, "take": PAGE}})["productVariants"]
            found += page["items"]
            skip += PAGE
            if skip >= page["totalItems"] or not page["items"]:
                return found

    # --- read-back -------------------------------------------------------------------------

    def read_quantities(self, skus: Sequence[str] | None = None) -> list[ChannelQuantity]:
        mapped = set(self._locations())
        out = []
        for variant in self._variants(skus):
            levels = [
                lv
                for lv in variant["stockLevels"]
                if not mapped or str(lv["stockLocationId"]) in mapped
            ]
            out.append(
                ChannelQuantity(
                    variant["sku"], sum(lv["stockOnHand"] - lv["stockAllocated"] for lv in levels)
                )
            )
        return out

    # --- writeback -------------------------------------------------------------------------

    def write_quantities(
        self, items: Sequence[QuantityToWrite], *, event_id: str
    ) -> list[Delivery]:
        try:
            if not self._locations():
                raise VendureError("map a warehouse to a Vendure stock location first")
            variants = {v["sku"]: v for v in self._variants([i.sku for i in items])}
        except VendureError as exc:
            return [Delivery("failed", f"failed: {exc}", str(exc), not exc.refused)] * len(items)
        out: list[Delivery] = []
        for item in items:
            variant = variants.get(item.sku)
            if variant is None:
                what = "the store has no variant with this SKU"
                out.append(Delivery("failed", f"failed: {what}", what))
                continue
            try:
                out.append(self._write_one(variant, item))
            except VendureError as exc:
                out.append(Delivery("failed", f"failed: {exc}", str(exc), not exc.refused))
        return out

    def _write_one(self, variant: dict, item: QuantityToWrite) -> Delivery:
        levels = {str(lv["stockLocationId"]): lv for lv in variant["stockLevels"]}
        pending = []
        for location, quantity in item.locations:
            level = levels.get(location, {"stockOnHand": 0, "stockAllocated": 0})
            target = quantity + level["stockAllocated"]
            if target != level["stockOnHand"]:
                pending.append(
                    {
                        "productVariantId": variant["id"],
                        "stockLocationId": location,
                        "expectedOnHand": level["stockOnHand"],
                        "expectedAllocated": level["stockAllocated"],
                        "delta": target - level["stockOnHand"],
                    }
                )
        if not pending:
            return Delivery("delivered", "delivered: the store already shows it")
        retried = 0
        for _attempt in range(ATTEMPTS):
            results = self._guarded_write(pending)
            refused = []
            for want, got in zip(pending, results, strict=True):
                if not got["applied"]:
                    # The store sold or fulfilled meanwhile: apply our change on top of that.
                    refused.append(
                        {
                            **want,
                            "expectedOnHand": got["stockOnHand"],
                            "expectedAllocated": got["stockAllocated"],
                        }
                    )
            if not refused:
                note = f" after {retried} store change(s) in between" if retried else ""
                return Delivery("delivered", f"delivered: stock set{note}")
            retried += len(refused)
            pending = refused
        what = f"the store kept changing the level ({ATTEMPTS} attempts)"
        return Delivery("failed", f"failed: {what}", what)

    def _guarded_write(self, pending: list[dict]) -> list[dict]:
        mutation = (
            "mutation($i: [StockledgerGuardedStockInput!]!) { stockledgerSetStockLevels(input:"
            " $i) { applied stockOnHand stockAllocated } }"
        )
        payload = [
            {
                "productVariantId": p["productVariantId"],
                "stockLocationId": p["stockLocationId"],
                "expectedOnHand": p["expectedOnHand"],
                "expectedAllocated": p["expectedAllocated"],
                "stockOnHand": p["expectedOnHand"] + p["delta"],
            }
            for p in pending
        ]
        return self.gql(mutation, {"i": payload})["stockledgerSetStockLevels"]

    # --- orders ----------------------------------------------------------------------------

    def poll_orders(self, cursor: str) -> OrderPage:
        since = _parse(cursor) if cursor else datetime(2000, 1, 1, tzinfo=UTC)
        after = (since - CURSOR_OVERLAP).isoformat()
        query = (
            "query($o: OrderListOptions) { orders(options: $o) { totalItems items { code state"
            " orderPlacedAt updatedAt lines { quantity orderPlacedQuantity productVariant"
            " { sku } } } } }"
        )
        orders: list[ChannelOrder] = []
        newest = since
        skip = 0
        while True:
            options: dict[str, Any] = {
                "filter": {"active": {"eq": False}},
                "filterOperator": "AND",
                "sort": {"updatedAt": "ASC"},
                "skip": skip,
                "take": PAGE,
            }
            options["filter"]["_or"] = [
                {"orderPlacedAt": {"after": after}},
                {"updatedAt": {"after": after}},
            ]
            page = self.gql(query, {"o": options})["orders"]
            for raw in page["items"]:
                order = _order(raw)
                if order is None:
                    continue
                orders.append(order)
                newest = max(newest, order.updated_at or since, order.placed_at)
            skip += PAGE
            left = self.time_left()
            if skip >= page["totalItems"] or not page["items"] or left == 0:
                return OrderPage(orders, newest.isoformat(), more=skip < page["totalItems"])


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


SHIPPED_STATES = {"Shipped", "Delivered"}


def _order(raw: dict) -> ChannelOrder | None:
    if not raw.get("orderPlacedAt"):
        return None
    state = raw["state"]
    if state == "Cancelled":
        kind = OrderState.CANCELLED
    elif state in SHIPPED_STATES:
        kind = OrderState.SHIPPED
    else:
        kind = OrderState.PLACED
    lines = [
        ChannelOrderLine(line["productVariant"]["sku"], line["orderPlacedQuantity"])
        for line in raw["lines"]
        if line.get("productVariant") and line["orderPlacedQuantity"] > 0
    ]
    updated = _parse(raw["updatedAt"])
    return ChannelOrder(
        order_number=raw["code"],
        placed_at=_parse(raw["orderPlacedAt"]),
        lines=lines,
        state=kind,
        updated_at=updated,
        shipped_at=updated if kind == OrderState.SHIPPED else None,
    )
