"""A real Vendure store beside the tests (tests/stores/vendure): started on a free port with its
own PostgreSQL database, seeded through its Admin API, driven through its Shop API."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

STORE_DIR = Path(__file__).resolve().parent / "vendure"
PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pg_admin(sql: str) -> None:
    import psycopg

    url = os.environ.get("VENDURE_PG_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql)


def unavailable_reason() -> str | None:
    """Why the store cannot run here (None: it can)."""
    if shutil.which("node") is None:
        return "Node.js is not installed"
    if not (STORE_DIR / "node_modules" / "@vendure" / "core").is_dir():
        return "tests/stores/vendure is not installed (make install runs npm ci)"
    try:
        _pg_admin("SELECT 1")
    except Exception as exc:  # noqa: BLE001
        return f"no PostgreSQL server for Vendure ({exc.__class__.__name__})"
    return None


class Gql:
    def __init__(self, url: str):
        self.url = url
        self.token = ""

    def __call__(self, query: str, variables: dict | None = None, *, token: str | None = None):
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        headers = {"Content-Type": "application/json"}
        bearer = self.token if token is None else token
        if bearer:
            headers["Authorization"] = f"Bearer {bearer}"
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                data = json.loads(response.read())
                new_token = response.headers.get("vendure-auth-token")
        except urllib.error.HTTPError as exc:
            raise AssertionError(f"{self.url}: HTTP {exc.code}: {exc.read()[:2000]!r}") from None
        if data.get("errors"):
            raise AssertionError(f"{self.url}: {data['errors']}")
        return data["data"], new_token


class VendureStore:
    def __init__(self, port: int, database: str, process: subprocess.Popen):
        self.port, self.database, self.process = port, database, process
        self.admin_url = f"http://127.0.0.1:{port}/admin-api"
        self.admin = Gql(self.admin_url)
        self.shop = Gql(f"http://127.0.0.1:{port}/shop-api")
        self.password = "superadmin"
        self.location_id = "1"
        self.shipping_method_id = ""
        self.variants: dict[str, str] = {}  # sku -> variant id

    # --- setup ----------------------------------------------------------------------------

    def login(self) -> None:
        data, token = self.admin(
            'mutation { login(username: "superadmin", password: "superadmin") { __typename } }'
        )
        assert data["login"]["__typename"] == "CurrentUser"
        self.admin.token = token

    def seed(self) -> None:
        self.login()
        a = self.admin
        en = "en"
        country = a(
            "mutation($i: CreateCountryInput!) { createCountry(input: $i) { id } }",
            {
                "i": {
                    "code": "US",
                    "enabled": True,
                    "translations": [{"languageCode": en, "name": "US"}],
                }
            },
        )[0]["createCountry"]["id"]
        zone = a(
            "mutation($i: CreateZoneInput!) { createZone(input: $i) { id } }",
            {"i": {"name": "US", "memberIds": [country]}},
        )[0]["createZone"]["id"]
        a(
            "mutation($i: UpdateChannelInput!) { updateChannel(input: $i) { __typename } }",
            {"i": {"id": "1", "defaultTaxZoneId": zone, "defaultShippingZoneId": zone}},
        )
        category = a(
            "mutation($i: CreateTaxCategoryInput!) { createTaxCategory(input: $i) { id } }",
            {"i": {"name": "Standard", "isDefault": True}},
        )[0]["createTaxCategory"]["id"]
        a(
            "mutation($i: CreateTaxRateInput!) { createTaxRate(input: $i) { id } }",
            {
                "i": {
                    "name": "Zero",
                    "enabled": True,
                    "value": 0,
                    "categoryId": category,
                    "zoneId": zone,
                }
            },
        )
        self.shipping_method_id = a(
            "mutation($i: CreateShippingMethodInput!) { createShippingMethod(input: $i) { id } }",
            {
                "i": {
                    "code": "standard",
                    "fulfillmentHandler": "manual-fulfillment",
                    "checker": {
                        "code": "default-shipping-eligibility-checker",
                        "arguments": [{"name": "orderMinimum", "value": "0"}],
                    },
                    "calculator": {
                        "code": "default-shipping-calculator",
                        "arguments": [
                            {"name": "rate", "value": "0"},
                            {"name": "includesTax", "value": "auto"},
                            {"name": "taxRate", "value": "0"},
                        ],
                    },
                    "translations": [{"languageCode": en, "name": "Standard", "description": ""}],
                }
            },
        )[0]["createShippingMethod"]["id"]
        a(
            "mutation($i: CreatePaymentMethodInput!) { createPaymentMethod(input: $i) { id } }",
            {
                "i": {
                    "code": "dummy",
                    "enabled": True,
                    "handler": {
                        "code": "dummy-payment-handler",
                        "arguments": [{"name": "automaticSettle", "value": "true"}],
                    },
                    "translations": [{"languageCode": en, "name": "Dummy", "description": ""}],
                }
            },
        )

    def add_product(self, sku: str, stock: int = 0) -> str:
        """A product with one variant `sku` and `stock` on hand at the default location."""
        product = self.admin(
            "mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }",
            {
                "i": {
                    "translations": [
                        {"languageCode": "en", "name": sku, "slug": sku.lower(), "description": ""}
                    ]
                }
            },
        )[0]["createProduct"]["id"]
        variant = self.admin(
            "mutation($i: [CreateProductVariantInput!]!) { createProductVariants(input: $i)"
            " { id } }",
            {
                "i": [
                    {
                        "productId": product,
                        "sku": sku,
                        "price": 1000,
                        "optionIds": [],
                        "translations": [{"languageCode": "en", "name": sku}],
                        "stockLevels": [
                            {"stockLocationId": self.location_id, "stockOnHand": stock}
                        ],
                    }
                ]
            },
        )[0]["createProductVariants"][0]["id"]
        self.variants[sku] = variant
        return variant

    # --- the store's own actions ------------------------------------------------------------

    def level(self, sku: str) -> tuple[int, int]:
        """(stockOnHand, stockAllocated) at the default location."""
        data, _ = self.admin(
            "query($id: ID!) { productVariant(id: $id) { stockLevels { stockLocationId"
            " stockOnHand stockAllocated } } }",
            {"id": self.variants[sku]},
        )
        for lv in data["productVariant"]["stockLevels"]:
            if str(lv["stockLocationId"]) == self.location_id:
                return lv["stockOnHand"], lv["stockAllocated"]
        return 0, 0

    def saleable(self, sku: str) -> int:
        on_hand, allocated = self.level(sku)
        return on_hand - allocated

    def set_on_hand_by_hand(self, sku: str, quantity: int) -> None:
        self.admin(
            "mutation($i: [UpdateProductVariantInput!]!) { updateProductVariants(input: $i)"
            " { id } }",
            {
                "i": [
                    {
                        "id": self.variants[sku],
                        "stockLevels": [
                            {"stockLocationId": self.location_id, "stockOnHand": quantity}
                        ],
                    }
                ]
            },
        )

    def place_order(self, lines: dict[str, int]) -> str:
        """Guest checkout through the Shop API; returns the order code."""
        token = ""
        for sku, quantity in lines.items():
            data, new = self.shop(
                "mutation($v: ID!, $q: Int!) { addItemToOrder(productVariantId: $v, quantity:"
                " $q) { __typename ... on ErrorResult { errorCode message } } }",
                {"v": self.variants[sku], "q": quantity},
                token=token,
            )
            assert data["addItemToOrder"]["__typename"] == "Order", data
            token = token or new
        steps = [
            (
                "mutation { setCustomerForOrder(input: {emailAddress: "
                f'"c{secrets.token_hex(4)}@example.com", firstName: "A", lastName: "B"}})'
                " { __typename } }",
                {},
            ),
            (
                'mutation { setOrderShippingAddress(input: {streetLine1: "1 Main St",'
                ' countryCode: "US"}) { __typename } }',
                {},
            ),
            (
                "mutation($m: [ID!]!) { setOrderShippingMethod(shippingMethodId: $m)"
                " { __typename } }",
                {"m": [self.shipping_method_id]},
            ),
            (
                'mutation { transitionOrderToState(state: "ArrangingPayment") { __typename'
                " ... on OrderStateTransitionError { transitionError } } }",
                {},
            ),
        ]
        for query, variables in steps:
            self.shop(query, variables, token=token)
        data, _ = self.shop(
            'mutation { addPaymentToOrder(input: {method: "dummy", metadata: {}}) {'
            " __typename ... on Order { code state } ... on ErrorResult { message } } }",
            token=token,
        )
        paid = data["addPaymentToOrder"]
        assert paid.get("state") == "PaymentSettled", paid
        return paid["code"]

    def _order(self, code: str) -> dict:
        data, _ = self.admin(
            "query($c: String!) { orders(options: {filter: {code: {eq: $c}}}) { items"
            " { id state lines { id quantity } } } }",
            {"c": code},
        )
        [order] = data["orders"]["items"]
        return order

    def fulfil(self, code: str) -> None:
        order = self._order(code)
        data, _ = self.admin(
            "mutation($i: FulfillOrderInput!) { addFulfillmentToOrder(input: $i) { __typename"
            " ... on Fulfillment { id } ... on ErrorResult { message } } }",
            {
                "i": {
                    "lines": [
                        {"orderLineId": li["id"], "quantity": li["quantity"]}
                        for li in order["lines"]
                    ],
                    "handler": {
                        "code": "manual-fulfillment",
                        "arguments": [
                            {"name": "method", "value": "post"},
                            {"name": "trackingCode", "value": "T1"},
                        ],
                    },
                }
            },
        )
        fulfillment = data["addFulfillmentToOrder"]
        assert fulfillment["__typename"] == "Fulfillment", fulfillment
        data, _ = self.admin(
            'mutation($id: ID!) { transitionFulfillmentToState(id: $id, state: "Shipped") {'
            " __typename } }",
            {"id": fulfillment["id"]},
        )
        assert self._order(code)["state"] == "Shipped"

    def cancel(self, code: str) -> None:
        order = self._order(code)
        data, _ = self.admin(
            "mutation($i: CancelOrderInput!) { cancelOrder(input: $i) { __typename"
            " ... on ErrorResult { message } } }",
            {"i": {"orderId": order["id"], "reason": "test"}},
        )
        assert data["cancelOrder"]["__typename"] == "Order", data


def start_store() -> VendureStore:
    port = free_port()
    database = f"vendure_{secrets.token_hex(4)}"
    _pg_admin(f'CREATE DATABASE "{database}"')
    env = {**os.environ, "VENDURE_PORT": str(port), "VENDURE_DB": database}
    log = open(STORE_DIR / f"store-{port}.log", "wb")  # noqa: SIM115
    process = subprocess.Popen(
        ["node", "store.js"], cwd=STORE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    store = VendureStore(port, database, process)
    store.log_path = STORE_DIR / f"store-{port}.log"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Vendure exited: {store.log_path.read_text()[-2000:]}")
        try:
            store.shop("{ __typename }")
            break
        except Exception:  # noqa: BLE001 - not up yet
            time.sleep(0.5)
    else:
        stop_store(store)
        raise RuntimeError("Vendure did not answer within 120 s")
    store.seed()
    return store


def stop_store(store: VendureStore) -> None:
    store.process.terminate()
    try:
        store.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        store.process.kill()
        store.process.wait(timeout=10)
    try:
        _pg_admin(f'DROP DATABASE IF EXISTS "{store.database}" WITH (FORCE)')
    except Exception:  # noqa: BLE001
        pass
    store.log_path.unlink(missing_ok=True)
