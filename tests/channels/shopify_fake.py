"""A fake Shopify Admin GraphQL endpoint on 127.0.0.1 for the contract tests.

It answers in the shapes of the fixtures under fixtures/shopify/ (written from Shopify's
documentation, see the README there), keeps inventory levels as state, applies
inventorySetQuantities with its compare-and-set, and checks every request as Shopify
would: the pinned API path, the access token header, JSON, and for the mutation an explicit
changeFromQuantity, a reason and our referenceDocumentUri. Anything off is recorded in
`problems` (and answered 400) so a test fails on it.
"""

from __future__ import annotations

import copy
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures" / "shopify"
API_PATH = "/admin/api/2026-01/graphql.json"
REASONS = {"correction", "cycle_count_available", "received", "restock", "other"}


def fixture(name: str) -> dict:
    data = json.loads((FIXTURES / name).read_text())
    data.pop("_follows", None)
    return data


class FakeShopify:
    def __init__(self, token: str) -> None:
        self.token = token
        self.levels: dict[str, dict[str, dict[str, int]]] = {}  # sku -> location -> names
        self.item_ids: dict[str, str] = {}
        self.requests: list[dict] = []  # {"operation", "variables"}
        self.problems: list[str] = []
        self.throttle_next = 0  # answer this many requests THROTTLED
        self.sell_before_next_write = 0  # units "sold" in Shopify after our read
        self.orders = fixture("orders.json")
        self.lock = threading.Lock()

    def stock(self, sku: str, location: str, available: int, on_hand: int | None = None) -> None:
        self.item_ids.setdefault(
            sku, f"gid://shopify/InventoryItem/{30322695 + len(self.item_ids)}"
        )
        self.levels.setdefault(sku, {})[location] = {
            "available": available,
            "on_hand": available if on_hand is None else on_hand,
        }

    def operations(self) -> list[str]:
        return [r["operation"] for r in self.requests]

    # --- answers ----------------------------------------------------------------------------

    def answer(self, path: str, headers, body: bytes) -> tuple[int, dict]:
        with self.lock:
            if path == API_PATH and headers.get("X-Shopify-Access-Token") != self.token:
                # As Shopify answers a bad token (HTTP 401, documented status codes).
                return 401, {"errors": "[API] Invalid API key or access token"}
            problem = self._check_transport(path, headers)
            if problem:
                self.problems.append(problem)
                return 400, {"errors": problem}
            payload = json.loads(body)
            query, variables = payload.get("query", ""), payload.get("variables") or {}
            match = re.match(r"\s*(query|mutation)\s+(\w+)", query)
            operation = match.group(2) if match else "?"
            self.requests.append({"operation": operation, "variables": variables})
            if self.throttle_next:
                self.throttle_next -= 1
                return 200, fixture("throttled.json")
            if operation == "StockledgerLevels":
                return 200, self._levels(variables)
            if operation == "StockledgerSetQuantities":
                return 200, self._set(variables)
            if operation == "StockledgerOrders":
                return 200, self._orders(variables)
            self.problems.append(f"unexpected operation {operation}")
            return 400, {"errors": "unknown"}

    def _check_transport(self, path: str, headers) -> str:
        if path != API_PATH:
            return f"path {path} is not the pinned API version's"
        if headers.get("X-Shopify-Access-Token") != self.token:
            return "missing or wrong X-Shopify-Access-Token"
        if not (headers.get("Content-Type") or "").startswith("application/json"):
            return "not JSON"
        return ""

    def _levels(self, variables: dict) -> dict:
        answer = fixture("inventory_items.json")
        template = answer["data"]["inventoryItems"]["nodes"][0]
        wanted = None
        if variables.get("query"):
            wanted = set(re.findall(r'sku:"((?:[^"\\]|\\.)*)"', variables["query"]))
            if not wanted:
                self.problems.append(f"bad inventoryItems search {variables['query']!r}")
        nodes = []
        for sku in sorted(self.levels):
            if wanted is not None and sku not in wanted:
                continue
            node = copy.deepcopy(template)
            node["id"], node["sku"] = self.item_ids[sku], sku
            level_template = node["inventoryLevels"]["nodes"][0]
            node["inventoryLevels"]["nodes"] = []
            for location, names in self.levels[sku].items():
                level = copy.deepcopy(level_template)
                level["location"]["id"] = location
                level["quantities"] = [
                    {"name": "available", "quantity": names["available"]},
                    {"name": "on_hand", "quantity": names["on_hand"]},
                ]
                node["inventoryLevels"]["nodes"].append(level)
            nodes.append(node)
        answer["data"]["inventoryItems"]["nodes"] = nodes
        return answer

    def _set(self, variables: dict) -> dict:
        data = variables.get("input") or {}
        if data.get("name") != "available":
            self.problems.append("name must be available")
        if data.get("reason") not in REASONS:
            self.problems.append(f"reason {data.get('reason')!r} is not one of Shopify's")
        if not str(data.get("referenceDocumentUri", "")).startswith("gid://stockledger/"):
            self.problems.append("no referenceDocumentUri pointing back at us")
        by_item = {v: k for k, v in self.item_ids.items()}
        if self.sell_before_next_write:
            # A sale in Shopify after our read: the first quantity's level drops.
            first = data["quantities"][0]
            sku = by_item[first["inventoryItemId"]]
            level = self.levels[sku][first["locationId"]]
            level["available"] -= self.sell_before_next_write
            level["on_hand"] -= self.sell_before_next_write
            self.sell_before_next_write = 0
        errors = []
        for i, quantity in enumerate(data.get("quantities") or []):
            if "changeFromQuantity" not in quantity:
                self.problems.append("changeFromQuantity must be passed explicitly")
            sku = by_item.get(quantity.get("inventoryItemId"))
            level = self.levels.get(sku, {}).get(quantity.get("locationId"))
            if level is None:
                self.problems.append(f"unknown item/location {quantity}")
                continue
            if quantity.get("changeFromQuantity") != level["available"]:
                stale = fixture("set_quantities_stale.json")["data"]["inventorySetQuantities"]
                error = stale["userErrors"][0]
                error["field"] = ["input", "quantities", str(i), "changeFromQuantity"]
                errors.append(error)
        if errors:
            answer = fixture("set_quantities_stale.json")
            answer["data"]["inventorySetQuantities"]["userErrors"] = errors
            return answer  # all or nothing: nothing applied
        changes = []
        for quantity in data["quantities"]:
            level = self.levels[by_item[quantity["inventoryItemId"]]][quantity["locationId"]]
            delta = quantity["quantity"] - level["available"]
            level["available"] += delta
            level["on_hand"] += delta
            changes.append({"name": "available", "delta": delta})
        answer = fixture("set_quantities_ok.json")
        group = answer["data"]["inventorySetQuantities"]["inventoryAdjustmentGroup"]
        group["referenceDocumentUri"] = data["referenceDocumentUri"]
        group["changes"] = changes
        return answer

    def _orders(self, variables: dict) -> dict:
        search = variables.get("query")
        if search is not None and not re.fullmatch(r"updated_at:>='[^']+'", search):
            self.problems.append(f"bad orders search {search!r}")
        answer = copy.deepcopy(self.orders)
        if search:
            since = search.split("'")[1]
            nodes = answer["data"]["orders"]["nodes"]
            answer["data"]["orders"]["nodes"] = [
                n for n in nodes if n["updatedAt"].replace("Z", "+00:00") >= since
            ]
        return answer


def serve(fake: FakeShopify):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            status, payload = fake.answer(self.path, self.headers, body)
            raw = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
