"""Role x operation: every API operation (from the OpenAPI schema) and every page action (from
the URL patterns) answers each role as core/permissions.py says.

Allowed -> anything but 403; denied -> 403 (the API's `detail` names the permission) and
nothing in the database changed. A new operation or page is covered automatically, and fails
here until it is put in the permission table.
"""

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from stockledger.api import api as ninja_api
from stockledger.core.permissions import (
    API_OPERATIONS,
    PAGE_ACTIONS,
    UNMAPPED,
    Role,
    page_permission,
    roles_for,
)
from tests.conftest import ApiClient, database_dump

SCHEMA = ninja_api.get_openapi_schema()
API_PREFIX = "/api/v1"
ROLES = [Role.VIEWER.value, Role.CLERK.value, Role.MANAGER.value, Role.OWNER.value]


def _api_operations() -> list[tuple[str, str, dict]]:
    out = []
    for path, operations in SCHEMA["paths"].items():
        for method, operation in operations.items():
            out.append((method.upper(), path.removeprefix(API_PREFIX), operation))
    return out


API_OPS = [op for op in _api_operations() if op[2].get("security")]


def _page_patterns() -> list[tuple[str, str]]:
    """(view name, route) of every page: the URL patterns outside /api/ and /admin/."""
    found = []

    def walk(patterns, prefix="", namespace=None):
        for p in patterns:
            route = prefix + str(p.pattern)
            if isinstance(p, URLResolver):
                if route.startswith(("api/", "admin/")):
                    continue
                ns = p.namespace or namespace
                walk(p.url_patterns, route, ns)
            elif isinstance(p, URLPattern) and p.name and route != "healthz":
                found.append((f"{namespace}:{p.name}" if namespace else p.name, route))

    walk(get_resolver().url_patterns)
    return found


PAGES = _page_patterns()
PAGE_CASES = [
    (name, route, key)
    for name, route in PAGES
    for key in PAGE_ACTIONS.get(name, {})
    if PAGE_ACTIONS[name][key] is not None
]


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(tenant, warehouses, product_factory):
    """One object of each kind, and a user of every role with an API token."""
    from stockledger.channels.services import channel_create
    from stockledger.core.models import User
    from stockledger.core.services import token_create, user_create
    from stockledger.exports.services import export_create
    from stockledger.ledger.services import stock_set
    from stockledger.manufacturing.services import mo_create
    from stockledger.orders.services import order_import
    from stockledger.purchasing.services import purchase_order_create
    from stockledger.returns.services import return_create
    from stockledger.transfers.services import transfer_create

    company, owner, owner_token = tenant
    main, east = warehouses
    part = product_factory("PART-1")
    made = product_factory("MADE-1", bom=[{"sku": "PART-1", "quantity": 1}])
    stock_set(company=company, product=part, warehouse=main, physical_on_hand=100, user=owner)
    channel = channel_create(company=company, cart_type="shopify", name="Shop")
    order, _ = order_import(
        company=company,
        channel=channel,
        order_number="1001",
        placed_at="2025-03-01T10:00:00Z",
        warehouse=main,
        lines=[{"sku": "PART-1", "quantity": 1}],
    )
    po = purchase_order_create(
        company=company, number="PO-1", warehouse=main, lines=[{"sku": "PART-1", "quantity": 5}]
    )
    transfer, _ = transfer_create(
        company=company,
        sending_warehouse=main,
        receiving_warehouse=east,
        lines=[{"sku": "PART-1", "quantity": 1}],
    )
    rma, _ = return_create(
        company=company,
        number="RMA-1",
        warehouse=main,
        lines=[{"sku": "PART-1", "expected_quantity": 1}],
    )
    mo = mo_create(company=company, number="MO-1", product=made, quantity=1, warehouse=main)
    export = export_create(company=company, user=owner, product_id=part.id)
    target = user_create(
        company=company, username="target-user", password="target-pw-9x", role="clerk"
    )
    users = {"owner": owner}
    tokens = {"owner": owner_token}
    victims = {}
    for role in ROLES:
        if role != "owner":
            users[role] = user_create(
                company=company, username=f"{role}-1", password="pw-rolecheck-7", role=role
            )
            tokens[role] = token_create(user=users[role])[1]
        # A second token per user: the one token operations may revoke.
        victims[role] = token_create(user=users[role], name="victim")[0].id
    assert User.objects.get(pk=owner.pk).role == "owner"
    from django.core.files.uploadedfile import SimpleUploadedFile

    from stockledger.channels.jobs import channel_writeback_enqueue
    from stockledger.imports.services import import_upload

    run = channel_writeback_enqueue(company=company, channel=channel)
    counts = SimpleUploadedFile(
        "counts.csv", f"sku,warehouse,quantity\nPART-1,{main.name},5\n".encode()
    )
    job = import_upload(company=company, user=owner, kind="counts", upload=counts)
    ids = {
        "product_id": part.id,
        "po_id": po.id,
        "transfer_id": transfer.id,
        "channel_id": channel.id,
        "order_id": order.id,
        "return_id": rma.id,
        "mo_id": mo.id,
        "export_id": export.id,
        "user_id": target.id,
        "warehouse_id": main.id,
        "sync_id": run.id,
        "import_id": job.id,
        "kind": "transfer",  # a line editor kind (web:line_row); an unknown hook kind
        "action": "x",
    }
    return {"users": users, "tokens": tokens, "victims": victims, "ids": ids}


def _fill(path: str, ids: dict, role: str, victims: dict) -> str:
    def value(match):
        name = match.group(1)
        return str(victims[role] if name == "token_id" else ids[name])

    return re.sub(r"\{(\w+)\}", value, path)


def test_every_api_operation_is_in_the_permission_table():
    unmapped = [f"{m} {p}" for m, p, _ in API_OPS if f"{m} {p}" not in API_OPERATIONS]
    assert unmapped == [], f"add these operations to core/permissions.API_OPERATIONS: {unmapped}"
    stale = set(API_OPERATIONS) - {f"{m} {p}" for m, p, _ in API_OPS}
    assert stale == set(), f"operations in the table that no longer exist: {stale}"


def test_the_schema_names_each_operations_permission_and_documents_403():
    for method, path, operation in API_OPS:
        perm = API_OPERATIONS[f"{method} {path}"]
        assert operation["x-permission"] == perm
        assert f"`{perm}`" in operation["description"]
        if roles_for(perm) != set(ROLES):
            assert 403 in operation["responses"], f"{method} {path}"


@pytest.mark.parametrize(("method", "path"), [(m, p) for m, p, _ in API_OPS])
def test_api_operation_answers_each_role_by_the_permission_table(method, path, world):
    perm = API_OPERATIONS.get(f"{method} {path}", UNMAPPED)
    allowed = roles_for(perm)
    for role in ROLES:
        client = ApiClient(world["tokens"][role])
        url = _fill(path, world["ids"], role, world["victims"])
        body = {} if method in ("POST", "PUT", "PATCH") else None
        before = database_dump() if role not in allowed else None
        response = client.request(method, url, body)
        if role in allowed:
            assert response.status_code != 403, (role, response.content)
        else:
            assert response.status_code == 403, (role, response.status_code, response.content)
            assert perm in response.json()["detail"]
            assert database_dump() == before, f"{role} changed something"


def test_every_page_is_in_the_permission_table():
    unmapped = sorted(name for name, _ in PAGES if name not in PAGE_ACTIONS)
    assert unmapped == [], f"add these pages to core/permissions.PAGE_ACTIONS: {unmapped}"


def _page_url(route: str, ids: dict, victim: int = 0) -> str:
    def value(match):
        return str(victim if match.group(1) == "token_id" else ids[match.group(1)])

    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", value, route)


@pytest.mark.parametrize(("name", "route", "key"), PAGE_CASES)
def test_page_action_answers_each_role_by_the_permission_table(name, route, key, world):
    method, _, action = key.partition(" ")
    ids = dict(world["ids"], action=action or "x")
    allowed = roles_for(PAGE_ACTIONS[name][key])
    for role in ROLES:
        url = _page_url(route, ids, world["victims"][role])
        client = Client()
        client.force_login(world["users"][role])
        before = database_dump() if role not in allowed else None
        response = client.get(url) if method == "GET" else client.post(url, {})
        if role in allowed:
            assert response.status_code != 403, (role, url)
        else:
            assert response.status_code == 403, (role, url, response.status_code)
            assert database_dump() == before, f"{role} changed something at {url}"


@pytest.mark.parametrize(("name", "route"), PAGES)
def test_a_method_a_page_does_not_list_is_refused_to_all_but_owners(name, route, world):
    methods = {key.split(" ")[0] for key in PAGE_ACTIONS.get(name, {})}
    for method in sorted({"GET", "POST"} - methods):
        assert page_permission(name, method)[0] is False
        for role in ROLES:
            client = Client()
            client.force_login(world["users"][role])
            url = _page_url(route, world["ids"], world["victims"][role])
            before = database_dump()
            response = client.get(url) if method == "GET" else client.post(url, {})
            if role == "owner":
                assert response.status_code != 403, (method, url)
            else:
                assert response.status_code == 403, (role, method, url)
                assert database_dump() == before
