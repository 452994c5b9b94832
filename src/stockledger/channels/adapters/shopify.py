"""Shopify connector: the Admin GraphQL API (version pinned in shopify_client.API_VERSION).

- Read: `inventoryItems` by SKU with each item's `inventoryLevels` and their `available` and
  `on_hand` quantities, at the channel's mapped locations (the location mapping maps our
  warehouses to Shopify location ids; without a mapping, every location counts). What the
  channel shows for a SKU is the sum of `available` over those locations.
- Write: `inventorySetQuantities` of `available` with `changeFromQuantity` (Shopify's
  compare-and-set) = the quantity we read just before, and `referenceDocumentUri` =
  gid://stockledger/WritebackRun/<event id of the run's export rows>. When Shopify answers
  CHANGE_FROM_QUANTITY_STALE, something changed there after our read (a sale): we read
  again and write our quantity moved by that change, so the sale is never overwritten (it
  reaches our stock when its order is imported, and the next writeback agrees). Bounded:
  WRITE_ATTEMPTS rounds. Each mapped location gets its own quantity when the writeback
  gives them (QuantityToWrite.locations, `per_location`); otherwise the channel must map
  exactly one location, which gets the whole quantity.
- Orders: `orders` sorted by UPDATED_AT from a cursor (the safety net beside the
  orders/create, orders/cancelled and fulfillments/create webhooks, see channels/inbound.py).

The adapter reads its own settings (shop, token, mapping) and never writes the database.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from stockledger.core.secret_box import SecretUnreadable, secret_open

from .base import (
    ChannelAdapter,
    ChannelOrder,
    ChannelOrderLine,
    ChannelQuantity,
    Delivery,
    NotSupported,
    OrderPage,
    OrderState,
    QuantityToWrite,
)
from .shopify_client import ShopifyClient, ShopifyError

# Page sizes keep each query's requested cost under Shopify's 1,000-point maximum for one
# query (a connection costs its `first` times its nodes' cost): 20 items x 10 levels of
# 3 objects is about 640; 8 orders x 100 line items about 850.
SKUS_PER_QUERY = 20
WRITES_PER_MUTATION = 100
WRITE_ATTEMPTS = 3
ORDERS_PER_PAGE = 8
STALE = "CHANGE_FROM_QUANTITY_STALE"

LEVELS_QUERY = """
query StockledgerLevels($first: Int!, $after: String, $query: String) {
  inventoryItems(first: $first, after: $after, query: $query) {
    nodes {
      id
      sku
      inventoryLevels(first: 10) {
        nodes {
          location { id }
          quantities(names: ["available", "on_hand"]) { name quantity }
        }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}
""".strip()

SET_MUTATION = """
mutation StockledgerSetQuantities($input: InventorySetQuantitiesInput!) {
  inventorySetQuantities(input: $input) {
    inventoryAdjustmentGroup { reason referenceDocumentUri changes { name delta } }
    userErrors { code field message }
  }
}
""".strip()

ORDERS_QUERY = """
query StockledgerOrders($first: Int!, $after: String, $query: String) {
  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    nodes {
      id
      legacyResourceId
      name
      createdAt
      updatedAt
      cancelledAt
      displayFulfillmentStatus
      lineItems(first: 100) { nodes { sku quantity } }
      fulfillments(first: 5) { id createdAt }
    }
    pageInfo { hasNextPage endCursor }
  }
}
""".strip()


def location_gid(location: str) -> str:
    """Our mapping may hold Shopify's numeric location id or its GID: always the GID."""
    location = location.strip()
    return location if location.startswith("gid://") else f"gid://shopify/Location/{location}"


def reference_uri(event_id: str) -> str:
    return f"gid://stockledger/WritebackRun/{event_id}"


@dataclass
class Level:
    available: int
    on_hand: int


@dataclass
class Item:
    inventory_item_id: str
    levels: dict[str, Level] = field(default_factory=dict)  # location GID -> level


@dataclass(frozen=True)
class ShopifyFulfillment:
    fulfillment_id: str
    shipped_at: datetime | None
    lines: list[ChannelOrderLine] = field(default_factory=list)


@dataclass(frozen=True)
class ShopifyOrder(ChannelOrder):
    """A ChannelOrder with Shopify's order id and its fulfillments (partial shipments)."""

    external_id: str = ""
    fulfillments: list[ShopifyFulfillment] = field(default_factory=list)


def _search_value(sku: str) -> str:
    return '"' + sku.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


class ShopifyAdapter(ChannelAdapter):
    name = "shopify"
    label = "Shopify"
    pushes = True
    can_read = True
    can_poll_orders = True
    per_location = True  # writes QuantityToWrite.locations when the scheduler gives them

    def __init__(self, channel, *, client: ShopifyClient | None = None) -> None:
        super().__init__(channel)
        self._client = client

    # --- settings ---------------------------------------------------------------------------

    def client(self) -> ShopifyClient:
        if self._client is None:
            from stockledger.channels.models import ShopifySettings

            try:
                config = ShopifySettings.objects.get(channel_id=self.channel.pk)
            except ShopifySettings.DoesNotExist:
                raise ShopifyError("Shopify is not connected: set the shop and token") from None
            try:
                token = secret_open(config.access_token_sealed)
            except SecretUnreadable as exc:
                raise ShopifyError(str(exc)) from None
            if not token:
                raise ShopifyError("Shopify is not connected: set the access token")
            self._client = ShopifyClient(
                shop_domain=config.shop_domain,
                access_token=token,
                timeout=self.request_timeout(10.0),
            )
        return self._client

    def mapped_locations(self) -> list[str]:
        from stockledger.channels.models import ChannelLocation

        return [
            location_gid(loc)
            for loc in ChannelLocation.objects.filter(channel_id=self.channel.pk)
            .order_by("warehouse_id")
            .values_list("location", flat=True)
        ]

    # --- read -------------------------------------------------------------------------------

    def read_items(self, skus: Sequence[str] | None) -> dict[str, Item]:
        """Each SKU's inventory item and its levels (all SKUs with None)."""
        found: dict[str, Item] = {}
        batches: list[str | None]
        if skus is None:
            batches = [None]
        else:
            unique = sorted(set(skus))
            batches = [
                " OR ".join(f"sku:{_search_value(s)}" for s in unique[i : i + SKUS_PER_QUERY])
                for i in range(0, len(unique), SKUS_PER_QUERY)
            ]
        for search in batches:
            after = None
            while True:
                data = self.client().execute(
                    "StockledgerLevels",
                    LEVELS_QUERY,
                    {"first": SKUS_PER_QUERY, "after": after, "query": search},
                )
                connection = data.get("inventoryItems") or {}
                for node in connection.get("nodes") or []:
                    sku = node.get("sku") or ""
                    if not sku or (skus is not None and sku not in skus):
                        continue
                    item = Item(node["id"])
                    for level in (node.get("inventoryLevels") or {}).get("nodes") or []:
                        names = {q["name"]: int(q["quantity"]) for q in level.get("quantities", [])}
                        item.levels[level["location"]["id"]] = Level(
                            names.get("available", 0), names.get("on_hand", 0)
                        )
                    found[sku] = item
                page = connection.get("pageInfo") or {}
                if not page.get("hasNextPage"):
                    break
                after = page.get("endCursor")
        return found

    def read_quantities(self, skus: Sequence[str] | None = None) -> list[ChannelQuantity]:
        """`available` summed over the mapped locations (all locations without a mapping)."""
        mapped = set(self.mapped_locations())
        out = []
        for sku, item in sorted(self.read_items(skus).items()):
            levels = [lv for loc, lv in item.levels.items() if not mapped or loc in mapped]
            if levels:
                out.append(ChannelQuantity(sku, sum(lv.available for lv in levels)))
        return out

    # --- write ------------------------------------------------------------------------------

    def write_quantities(
        self, items: Sequence[QuantityToWrite], *, event_id: str
    ) -> list[Delivery]:
        """Each item to its locations: `item.locations` ((location id, quantity) per mapped
        warehouse) when the scheduler gives them (per_location), else the whole quantity to
        the one mapped location."""
        mapped = self.mapped_locations()
        units: dict[str, list[tuple[int, QuantityToWrite]]] = {}  # location -> (item, write)
        out: dict[int, list[tuple[str, Delivery]]] = {i: [] for i in range(len(items))}
        for index, item in enumerate(items):
            per_location = getattr(item, "locations", ()) or ()
            if per_location:
                for location, quantity in per_location:
                    units.setdefault(location_gid(location), []).append(
                        (index, QuantityToWrite(item.sku, quantity))
                    )
            elif len(mapped) == 1:
                units.setdefault(mapped[0], []).append((index, item))
            else:
                why = (
                    "map this channel's warehouse to a Shopify location first"
                    if not mapped
                    else "several Shopify locations are mapped: quantities per location needed"
                )
                out[index].append(("", Delivery("failed", f"failed: {why}", why)))
        for location, writes in units.items():
            for start in range(0, len(writes), WRITES_PER_MUTATION):
                batch = writes[start : start + WRITES_PER_MUTATION]
                keyed = list(enumerate(batch))
                try:
                    done = self._write_batch(
                        [(k, write) for k, (_index, write) in keyed], location, event_id
                    )
                except ShopifyError as exc:
                    failed = Delivery(
                        "failed", f"failed: {exc.message}", exc.message, unreachable=exc.retryable
                    )
                    done = {k: failed for k, _pair in keyed}
                for k, (index, _write) in keyed:
                    out[index].append((location, done[k]))
        return [_combine(out[i], several=len(units) > 1) for i in range(len(items))]

    def _write_batch(
        self, batch: list[tuple[int, QuantityToWrite]], location: str, event_id: str
    ) -> dict[int, Delivery]:
        done: dict[int, Delivery] = {}
        pending = dict(batch)
        moved: dict[int, int] = {}  # index -> change Shopify made after our first read
        first_read: dict[int, int] = {}
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            shown = self.read_items([item.sku for item in pending.values()])
            writes = []
            for index, item in pending.items():
                level = shown.get(item.sku)
                if level is None:
                    done[index] = Delivery(
                        "failed", "failed: SKU not found in Shopify", "unknown SKU"
                    )
                    continue
                current = level.levels.get(location)
                if current is None:
                    why = f"SKU not stocked at {location}"
                    done[index] = Delivery("failed", f"failed: {why}", why)
                    continue
                first_read.setdefault(index, current.available)
                moved[index] = current.available - first_read[index]
                target = item.quantity + moved[index]
                if current.available == target:
                    done[index] = Delivery("delivered", self._detail(item, target, current, moved))
                    continue
                writes.append((index, item, level.inventory_item_id, current.available, target))
            for index, *_rest in writes:
                pending.pop(index, None)
            for index in done:
                pending.pop(index, None)
            if not writes:
                return done
            stale = self._send(writes, location, event_id, done, moved, attempt)
            if not stale:
                return done
            pending = {index: item for index, item, *_rest in writes if index in stale}
            for index in stale:
                done.pop(index, None)
        for index in pending:
            why = f"Shopify kept changing during {WRITE_ATTEMPTS} attempts; not written"
            done[index] = Delivery("failed", f"failed: {why}", why)
        return done

    def _send(self, writes, location, event_id, done, moved, attempt) -> set[int]:
        """One inventorySetQuantities; the indexes refused as stale (to read and retry)."""
        variables = {
            "input": {
                "name": "available",
                "reason": "correction",
                "referenceDocumentUri": reference_uri(event_id),
                "quantities": [
                    {
                        "inventoryItemId": item_id,
                        "locationId": location,
                        "quantity": target,
                        "changeFromQuantity": read,
                    }
                    for _index, _item, item_id, read, target in writes
                ],
            }
        }
        data = self.client().execute("StockledgerSetQuantities", SET_MUTATION, variables)
        result = data.get("inventorySetQuantities") or {}
        errors = result.get("userErrors") or []
        if not errors:
            for index, item, _item_id, read, target in writes:
                done[index] = Delivery(
                    "delivered",
                    self._detail(
                        item, target, Level(read, 0), moved, written=True, attempt=attempt
                    ),
                )
            return set()
        stale: set[int] = set()
        refused: dict[int, str] = {}
        for error in errors:
            position = _position(error.get("field"))
            indexes = [writes[position][0]] if position is not None else [w[0] for w in writes]
            for index in indexes:
                if error.get("code") == STALE:
                    stale.add(index)
                else:
                    refused[index] = str(error.get("message") or error.get("code"))[:200]
        if not refused:
            # The mutation is all or nothing: read again and retry every write of it.
            return {w[0] for w in writes}
        for index, message in refused.items():
            done[index] = Delivery("failed", f"failed: Shopify refused: {message}", message)
        # The others were not applied (all or nothing): retry them.
        return {w[0] for w in writes if w[0] not in refused}

    @staticmethod
    def _detail(item, target, current, moved, *, written=False, attempt=1) -> str:
        index_moved = target - item.quantity
        if not written:
            text = f"delivered: Shopify already shows available {target}"
        else:
            text = f"delivered: available {target} (was {current.available})"
            if attempt > 1:
                text += f" on attempt {attempt}"
        if index_moved:
            text += f"; {item.quantity} moved by {index_moved:+d} Shopify made after our read"
        return text

    # --- orders -----------------------------------------------------------------------------

    def poll_orders(self, cursor: str) -> OrderPage:
        """Orders updated at or after the cursor's time (repeats are harmless: imports are
        idempotent), oldest change first; the cursor keeps Shopify's page cursor while a
        page of the same poll is waiting."""
        state = json.loads(cursor) if cursor.startswith("{") else {"since": cursor}
        since = state.get("since") or ""
        search = f"updated_at:>='{since}'" if since else None
        data = self.client().execute(
            "StockledgerOrders",
            ORDERS_QUERY,
            {"first": ORDERS_PER_PAGE, "after": state.get("after"), "query": search},
        )
        connection = data.get("orders") or {}
        orders: list[ChannelOrder] = [
            self.order_from_graphql(node) for node in connection.get("nodes") or []
        ]
        page = connection.get("pageInfo") or {}
        latest = max([since, *(o.updated_at.isoformat() for o in orders if o.updated_at)])
        if page.get("hasNextPage"):
            next_cursor = json.dumps(
                {"since": since, "after": page.get("endCursor"), "seen": latest}
            )
            return OrderPage(orders, next_cursor, more=True)
        return OrderPage(orders, max(latest, state.get("seen") or ""), more=False)

    def fetch_orders(self, since: datetime | None = None) -> list[ChannelOrder]:
        cursor = since.isoformat() if since else ""
        orders: list[ChannelOrder] = []
        for _page in range(100):
            page = self.poll_orders(cursor)
            orders.extend(page.orders)
            cursor = page.cursor
            if not page.more:
                break
        return orders

    @staticmethod
    def order_from_graphql(node: dict[str, Any]) -> ShopifyOrder:
        lines = [
            ChannelOrderLine(n.get("sku") or "", int(n.get("quantity") or 0))
            for n in (node.get("lineItems") or {}).get("nodes") or []
        ]
        fulfillments = [
            ShopifyFulfillment(
                str(f.get("id")),
                _when(f.get("createdAt")),
                [],  # which lines: from the fulfillments/create webhook
            )
            for f in node.get("fulfillments") or []
        ]
        return _order(
            external_id=str(node.get("legacyResourceId") or node.get("id")),
            name=node.get("name"),
            created_at=node.get("createdAt"),
            updated_at=node.get("updatedAt"),
            cancelled_at=node.get("cancelledAt"),
            fulfilled=node.get("displayFulfillmentStatus") == "FULFILLED",
            lines=lines,
            fulfillments=fulfillments,
            location="",
        )

    @staticmethod
    def order_from_webhook(payload: dict[str, Any]) -> ShopifyOrder:
        """An orders/create or orders/cancelled webhook body (Shopify's REST order shape)."""
        lines = [
            ChannelOrderLine(str(li.get("sku") or ""), int(li.get("quantity") or 0))
            for li in payload.get("line_items") or []
            if isinstance(li, dict)
        ]
        location = payload.get("location_id")
        return _order(
            external_id=str(payload.get("id") or ""),
            name=payload.get("name"),
            created_at=payload.get("created_at"),
            updated_at=payload.get("updated_at"),
            cancelled_at=payload.get("cancelled_at"),
            fulfilled=payload.get("fulfillment_status") == "fulfilled",
            lines=lines,
            fulfillments=[],
            location=location_gid(str(location)) if location else "",
        )

    @staticmethod
    def fulfillment_from_webhook(payload: dict[str, Any]) -> tuple[str, str, ShopifyFulfillment]:
        """A fulfillments/create webhook body: (order id, order name, the fulfillment)."""
        lines = [
            ChannelOrderLine(str(li.get("sku") or ""), int(li.get("quantity") or 0))
            for li in payload.get("line_items") or []
            if isinstance(li, dict)
        ]
        name = str(payload.get("name") or "")
        order_name = name.rsplit(".", 1)[0] if "." in name else ""
        return (
            str(payload.get("order_id") or ""),
            order_name,
            ShopifyFulfillment(
                str(payload.get("id") or ""), _when(payload.get("created_at")), lines
            ),
        )


def _order(
    *,
    external_id,
    name,
    created_at,
    updated_at,
    cancelled_at,
    fulfilled,
    lines,
    fulfillments,
    location,
) -> ShopifyOrder:
    placed = _when(created_at)
    if placed is None:
        raise NotSupported("a Shopify order without createdAt")
    shipped_at = max((f.shipped_at for f in fulfillments if f.shipped_at), default=None)
    state = OrderState.PLACED
    if cancelled_at:
        state = OrderState.CANCELLED
    elif fulfilled:
        state = OrderState.SHIPPED
    return ShopifyOrder(
        order_number=str(name or external_id),
        placed_at=placed,
        lines=lines,
        state=state,
        location=location,
        updated_at=_when(updated_at) or _when(cancelled_at) or placed,
        shipped_at=shipped_at,
        external_id=external_id,
        fulfillments=fulfillments,
    )


def _combine(parts: list[tuple[str, Delivery]], *, several: bool) -> Delivery:
    """One item's Delivery from its locations' (all must be delivered to count)."""
    if len(parts) == 1 and not several:
        return parts[0][1]
    failed = [d for _loc, d in parts if d.status == "failed"]

    def bare(d: Delivery) -> str:
        return d.detail.removeprefix("delivered: ").removeprefix("failed: ")

    detail = "; ".join(
        f"{loc.rsplit('/', 1)[-1]} {bare(d)}" if loc else bare(d) for loc, d in parts
    )
    if failed:
        return Delivery(
            "failed",
            f"failed: {detail}",
            failed[0].error or failed[0].detail,
            unreachable=all(d.unreachable for d in failed),
        )
    return Delivery("delivered", f"delivered: {detail}")


def _position(path: Any) -> int | None:
    """The index of the quantity a userError's field path names (["input","quantities","2",..])."""
    if isinstance(path, list) and len(path) >= 3 and path[1] == "quantities":
        try:
            return int(path[2])
        except (TypeError, ValueError):
            return None
    return None
