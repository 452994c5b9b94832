"""Every API operation (from the OpenAPI schema) and every page (from the URL patterns), and a
company with one of everything to point them at.

`populate(company, user, marker)` creates, through the services, one object of every kind a
path can name, every text carrying `marker` (so another company's data is recognisable in any
response). `Ids` maps each path parameter name to the object it names; `VALID_BODIES` holds a
valid body for each write operation, so a request can be made wrong in exactly one way.
A new endpoint or page fails these tests until it is added here: that is deliberate.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from django.urls import URLPattern, URLResolver, get_resolver

PLACED = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
_numbers = itertools.count(1)


@dataclass(frozen=True)
class Operation:
    method: str
    template: str  # /api/v1/orders/{order_id}/ship
    spec: dict

    @property
    def path_params(self) -> list[str]:
        return re.findall(r"{(\w+)}", self.template)

    @property
    def query_params(self) -> list[dict]:
        return [p for p in self.spec.get("parameters", []) if p["in"] == "query"]

    @property
    def writes(self) -> bool:
        return self.method != "GET"

    def path(self, ids: dict) -> str:
        return re.sub(r"{(\w+)}", lambda m: str(ids[m.group(1)]), self.template)

    def __str__(self) -> str:
        return f"{self.method} {self.template}"


# Operations the catalogue's objects may be unable to do, and what the owner may get: its channel
# starts manual (nothing to poll: 409) and becomes a Vendure one when that operation runs.
OWNER_REFUSALS = {"POST /api/v1/sales-channels/{channel_id}/sync-run": (202, 409)}


def api_operations() -> list[Operation]:
    from stockledger.api import api

    schema = api.get_openapi_schema()
    return [
        Operation(method.upper(), template, spec)
        for template, methods in schema["paths"].items()
        for method, spec in methods.items()
    ]


def openapi_schema() -> dict:
    from stockledger.api import api

    return api.get_openapi_schema()


def page_patterns() -> list[tuple[str, URLPattern]]:
    """(route, pattern) of every page: the URL tree without the API, the admin, static and the
    channels' signed webhook endpoints (hooks/: no session, no company page; their tenancy is
    the signature, see tests/channels/test_inbound_hooks.py)."""
    out: list[tuple[str, URLPattern]] = []

    def walk(resolver: URLResolver, prefix: str) -> None:
        for entry in resolver.url_patterns:
            route = prefix + str(entry.pattern)
            if route.startswith("hooks/"):
                continue
            if isinstance(entry, URLResolver):
                if route.startswith(("api/", "admin/")):
                    continue
                walk(entry, route)
            else:
                out.append((route, entry))

    walk(get_resolver(), "")
    return out


@dataclass
class Company:
    company: object
    user: object
    token: str
    marker: str
    ids: dict  # path parameter name -> id
    objects: dict  # name -> object

    def sku(self, name: str) -> str:
        return f"{self.marker}-{name}"

    def fresh(self, params) -> dict:
        """The ids for a path with these parameters, with a new spare API token when it names
        one (revoking or deleting a token uses it up; the client's own token is never named)."""
        if "token_id" in params:
            from stockledger.core.services import token_create

            token, _ = token_create(user=self.user, name=f"{self.marker} spare")
            self.ids["token_id"] = token.id
        if "warehouse_id" in params:
            # A warehouse of its own: archiving one that holds stock is refused (409).
            from stockledger.warehouses.services import warehouse_create

            spare = warehouse_create(
                company=self.company, name=f"{self.marker} Spare {next(_numbers)}"
            )
            self.ids["warehouse_id"] = spare.id
        if "user_id" in params:
            # A user of its own: deactivating uses one up.
            self.ids["user_id"] = _spare_user(self).id
        if "import_id" in params:
            # A checked import not yet applied: applying uses it up.
            self.ids["import_id"] = _spare_import(self).id
        if "po_id" in params:
            # A PO nothing is received against and not closed: editing and closing use it up.
            from stockledger.purchasing.services import purchase_order_create

            po = purchase_order_create(
                company=self.company,
                number=self.sku(f"PO-F{next(_numbers)}"),
                warehouse=self.objects["main"],
                lines=[{"sku": self.objects["a"].sku, "quantity": 5}],
            )
            self.ids["po_id"] = po.id
        return self.ids


def _spare_user(c: Company):
    from stockledger.core.services import user_create

    return user_create(
        company=c.company,
        username=f"{c.marker}-clerk-{next(_numbers)}",
        password="a-Long-clerk-pass-9271",
        role="clerk",
    )


def _spare_import(c: Company):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from stockledger.imports.services import import_upload

    main, a = c.objects["main"], c.objects["a"]
    counts = f"sku,warehouse,quantity\n{a.sku},{main.name},{next(_numbers)}\n".encode()
    upload = SimpleUploadedFile(f"{c.marker}-counts.csv", counts)
    return import_upload(company=c.company, user=c.user, kind="counts", upload=upload)


def populate(company, user, token, marker: str) -> Company:
    """One of everything, through the services."""
    from stockledger.catalog.services import product_create
    from stockledger.channels.services import (
        channel_create,
        channel_rule_set,
        channel_set_locations,
        channel_set_writeback_warehouses,
    )
    from stockledger.channels.sync import channel_quantities_import, channel_writeback_run
    from stockledger.core.services import token_create
    from stockledger.exports.services import export_create
    from stockledger.exports.tasks import run_export
    from stockledger.ledger.services import stock_set
    from stockledger.manufacturing.services import mo_create, mo_finish
    from stockledger.orders.services import order_import
    from stockledger.purchasing.services import purchase_order_create, purchase_order_receive
    from stockledger.returns.services import return_create, return_receive
    from stockledger.transfers.services import transfer_create
    from stockledger.warehouses.services import warehouse_create

    m = marker
    main = warehouse_create(company=company, name=f"{m} Main")
    east = warehouse_create(company=company, name=f"{m} East")
    a = product_create(company=company, sku=f"{m}-A", name=f"{m} widget")
    b = product_create(company=company, sku=f"{m}-B", name=f"{m} gadget")
    kit = product_create(
        company=company,
        sku=f"{m}-KIT",
        name=f"{m} kit",
        components=[{"sku": a.sku, "quantity": 1}, {"sku": b.sku, "quantity": 2}],
    )
    table = product_create(
        company=company,
        sku=f"{m}-TABLE",
        name=f"{m} table",
        bom=[{"sku": a.sku, "quantity": 2}, {"sku": b.sku, "quantity": 1}],
    )
    for product in (a, b):
        stock_set(
            company=company,
            product=product,
            warehouse=main,
            physical_on_hand=500,
            user=user,
            note=f"{m} count",
        )
    channel = channel_create(company=company, cart_type="shopify", name=f"{m} Shop")
    orders = [
        order_import(
            company=company,
            channel=channel,
            order_number=f"{m}-SO-{i}",
            placed_at=PLACED,
            warehouse=main,
            lines=[{"sku": a.sku, "quantity": 1}, {"sku": kit.sku, "quantity": 1}],
            user=user,
        )[0]
        for i in (1, 2)
    ]
    po = purchase_order_create(
        company=company,
        number=f"{m}-PO-1",
        warehouse=main,
        lines=[{"sku": a.sku, "quantity": 10}, {"sku": b.sku, "quantity": 5}],
        user=user,
    )
    purchase_order_receive(
        company=company,
        purchase_order=po,
        number=f"{m}-GR-1",
        lines=[{"sku": a.sku, "quantity": 3}],
        user=user,
    )
    transfer, _ = transfer_create(
        company=company,
        sending_warehouse=main,
        receiving_warehouse=east,
        lines=[{"sku": a.sku, "quantity": 2, "notes": f"{m} line"}],
        notes=f"{m} transfer",
        number=f"{m}-T-1",
        user=user,
    )
    rma, _ = return_create(
        company=company,
        number=f"{m}-RMA-1",
        warehouse=main,
        lines=[{"sku": a.sku, "expected_quantity": 30}],
        user=user,
    )
    return_receive(
        company=company,
        return_order=rma,
        lines=[{"sku": a.sku, "received_quantity": 1, "restocked_quantity": 1}],
        user=user,
    )
    mo = mo_create(
        company=company, number=f"{m}-MO-1", product=table, quantity=30, warehouse=main, user=user
    )
    mo_finish(company=company, mo=mo, quantity=1, user=user)
    export = export_create(company=company, user=user, product_id=a.id)
    run_export.call(export.id, 1)
    export.refresh_from_db()
    assert export.status == "complete", export.error
    spare, _ = token_create(user=user, name=f"{m} spare")
    # The channel's settings and syncs: cart_warehouse, import and export rows.
    channel_set_writeback_warehouses(
        company=company, channel=channel, warehouse_ids=[main.id], user=user
    )
    channel_set_locations(
        company=company,
        channel=channel,
        locations=[{"warehouse_id": main.id, "location": f"{m}-loc"}],
        user=user,
    )
    rule = channel_rule_set(company=company, channel=channel, product=a, maximum=400)
    channel_quantities_import(
        company=company, channel=channel, quantities=[{"sku": a.sku, "quantity": 7}]
    )
    run = channel_writeback_run(company=company, channel=channel)
    ids = {
        "sync_id": run.id,
        "product_id": a.id,
        "warehouse_id": main.id,
        "channel_id": channel.id,
        "order_id": orders[0].id,
        "po_id": po.id,
        "transfer_id": transfer.id,
        "return_id": rma.id,
        "mo_id": mo.id,
        "export_id": export.id,
        "token_id": spare.id,
    }
    objects = {
        "main": main,
        "east": east,
        "a": a,
        "b": b,
        "kit": kit,
        "table": table,
        "channel": channel,
        "orders": orders,
        "po": po,
        "transfer": transfer,
        "rma": rma,
        "mo": mo,
        "export": export,
        "rule": rule,
    }
    made = Company(company, user, token, marker, ids, objects)
    ids["user_id"] = _spare_user(made).id
    ids["import_id"] = _spare_import(made).id
    return made


def valid_body(operation: Operation, c: Company):
    """A body the operation accepts for company `c` (None: no body). KeyError: unknown."""
    n = next(_numbers)
    o = c.objects

    def order():
        return {
            "channel_id": o["channel"].id,
            "order_number": c.sku(f"SO-N{next(_numbers)}"),
            "placed_at": "2025-03-01T09:30:00Z",
            "warehouse_id": o["main"].id,
            "lines": [{"sku": o["a"].sku, "quantity": 1}, {"sku": o["kit"].sku, "quantity": 1}],
        }

    bodies = {
        "POST /api/v1/tokens": lambda: {"name": f"{c.marker} token {n}"},
        "POST /api/v1/users": lambda: {
            "username": f"{c.marker}-user-{n}",
            "password": "a-Long-user-pass-9271",
            "role": "viewer",
        },
        "PATCH /api/v1/users/{user_id}": lambda: {"role": "viewer"},
        "POST /api/v1/users/{user_id}/deactivate": lambda: None,
        # The company_factory's password, set again: every later request still signs in.
        "POST /api/v1/me/password": lambda: {
            "current_password": "pw-123456",
            "new_password": "pw-123456",
        },
        "PATCH /api/v1/company": lambda: {"name": f"{c.marker} Company", "time_zone": "UTC"},
        # Multipart (a file): no JSON body to vary; tests/imports sends real files.
        "POST /api/v1/imports": lambda: {},
        "POST /api/v1/imports/{import_id}/apply": lambda: {"confirm_repeat": True},
        "POST /api/v1/tokens/{token_id}/revoke": lambda: None,
        "DELETE /api/v1/tokens/{token_id}": lambda: None,
        "POST /api/v1/orders/bulk": lambda: {"orders": [order(), order()]},
        "POST /api/v1/warehouses": lambda: {"name": f"{c.marker} Depot {n}"},
        "PUT /api/v1/sales-channels/{channel_id}/writeback": lambda: {
            "warehouse_ids": [o["main"].id, o["east"].id][: 1 + n % 2]
        },
        "PUT /api/v1/sales-channels/{channel_id}/locations": lambda: {
            "locations": [{"warehouse_id": o["main"].id, "location": f"{c.marker}-loc-{n}"}]
        },
        "PUT /api/v1/sales-channels/{channel_id}/webhook": lambda: {"url": None},
        "POST /api/v1/sales-channels/{channel_id}/webhook-secret": lambda: None,
        "PUT /api/v1/sales-channels/{channel_id}/shopify": lambda: {
            "shop_domain": f"shop-{n}.myshopify.com",
            "access_token": f"shpat_{n}_0123456789",
        },
        "PUT /api/v1/sales-channels/{channel_id}/rules": lambda: {
            "sku": o["a"].sku,
            "maximum": 300 + n,
        },
        "DELETE /api/v1/sales-channels/{channel_id}/rules/{product_id}": lambda: None,
        "POST /api/v1/sales-channels/{channel_id}/quantities": lambda: {
            "quantities": [{"sku": o["a"].sku, "quantity": n}, {"sku": o["kit"].sku, "quantity": 1}]
        },
        "POST /api/v1/sales-channels/{channel_id}/writeback-run": lambda: {"only_changed": False},
        "POST /api/v1/sales-channels/{channel_id}/sync-run": lambda: {"kind": "orders"},
        "POST /api/v1/sales-channels/{channel_id}/resume": lambda: None,
        "PUT /api/v1/sales-channels/{channel_id}/vendure": lambda: {
            "admin_url": "https://shop.example/admin-api",
            "username": f"{c.marker}-admin",
            "password": "secret",
        },
        "POST /api/v1/products": lambda: {"sku": c.sku(f"P{n}"), "name": f"{c.marker} thing"},
        "PATCH /api/v1/products/{product_id}": lambda: {"name": f"{c.marker} widget {n}"},
        "PUT /api/v1/products/{product_id}": lambda: {
            "sku": o["a"].sku,
            "name": f"{c.marker} widget {n}",
        },
        "POST /api/v1/products/{product_id}/archive": lambda: None,
        "POST /api/v1/products/{product_id}/unarchive": lambda: None,
        "PATCH /api/v1/warehouses/{warehouse_id}": lambda: {"name": f"{c.marker} Depot {n}"},
        "POST /api/v1/warehouses/{warehouse_id}/archive": lambda: None,
        "POST /api/v1/warehouses/{warehouse_id}/unarchive": lambda: None,
        "POST /api/v1/stock/on-hand": lambda: {
            "sku": o["a"].sku,
            "warehouse_id": o["main"].id,
            "change": 1,
            "note": "counted",
        },
        "POST /api/v1/purchase-orders": lambda: {
            "number": c.sku(f"PO-N{n}"),
            "warehouse_id": o["main"].id,
            "lines": [{"sku": o["a"].sku, "quantity": 2}],
        },
        "PUT /api/v1/purchase-orders/{po_id}": lambda: {
            "number": c.sku(f"PO-E{n}"),
            "warehouse_id": o["east"].id,
            "supplier": f"{c.marker} supplier",
            "lines": [{"sku": o["b"].sku, "quantity": 3}],
        },
        "PATCH /api/v1/purchase-orders/{po_id}": lambda: {
            "lines": [{"sku": o["a"].sku, "quantity": 4}]
        },
        "POST /api/v1/purchase-orders/{po_id}/close": lambda: None,
        "POST /api/v1/orders/manual": lambda: {
            "warehouse_id": o["main"].id,
            "lines": [{"sku": o["a"].sku, "quantity": 1}],
        },
        "POST /api/v1/purchase-orders/{po_id}/receipts": lambda: {
            "number": c.sku(f"GR-N{n}"),
            "lines": [{"sku": o["a"].sku, "quantity": 1}],
        },
        "POST /api/v1/transfers": lambda: {
            "sending_warehouse_id": o["main"].id,
            "receiving_warehouse_id": o["east"].id,
            "notes": "move",
            "lines": [{"sku": o["a"].sku, "quantity": 1, "notes": "line"}],
        },
        "POST /api/v1/sales-channels": lambda: {"cart_type": "shopify", "name": f"Shop {n}"},
        "POST /api/v1/orders": order,
        "POST /api/v1/orders/{order_id}/ship": lambda: {
            "lines": [{"sku": o["a"].sku, "quantity": 1}]
        },
        "POST /api/v1/orders/{order_id}/cancel": lambda: {
            "lines": [{"sku": o["kit"].sku, "quantity": 1}]
        },
        "POST /api/v1/returns": lambda: {
            "number": c.sku(f"RMA-N{n}"),
            "warehouse_id": o["main"].id,
            "lines": [{"sku": o["a"].sku, "expected_quantity": 2}],
        },
        "POST /api/v1/returns/{return_id}/receive": lambda: {
            "lines": [{"sku": o["a"].sku, "received_quantity": 1, "restocked_quantity": 1}]
        },
        "POST /api/v1/manufacturing-orders": lambda: {
            "number": c.sku(f"MO-N{n}"),
            "sku": o["table"].sku,
            "quantity": 2,
            "warehouse_id": o["main"].id,
        },
        "POST /api/v1/manufacturing-orders/{mo_id}/finish": lambda: {"quantity": 1},
        "POST /api/v1/exports": lambda: {"product_id": o["a"].id},
    }
    return bodies[str(operation)]()
