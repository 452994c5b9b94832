"""Cursor pagination: every list walks by keyset, stable while rows are inserted."""

import base64
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from stockledger.core.errors import InvalidInput
from stockledger.core.models import ApiToken
from stockledger.core.pagination import encode_cursor, keyset_page
from stockledger.core.services import token_create


def walk(api, path, limit, between_pages=None, **params):
    seen, cursor, pages = [], None, 0
    while True:
        query = {"limit": limit, **params, **({"cursor": cursor} if cursor else {})}
        r = api.get(path, query)
        assert r.status_code == 200, r.content
        page = r.json()
        assert len(page["items"]) <= limit
        seen += page["items"]
        cursor = page["next_cursor"]
        pages += 1
        if cursor is None:
            return seen, pages
        if between_pages:
            between_pages(pages)


def test_warehouses_walk_is_stable_while_warehouses_are_added(api, warehouse_factory):
    names = [f"W{i:02d}" for i in range(0, 20, 2)]
    for name in names:
        warehouse_factory(name)

    def insert(page_number):
        # One before the walk's position (not seen) and one after it (seen in order).
        warehouse_factory(f"W00-{page_number}")
        warehouse_factory(f"W99-{page_number}")

    items, pages = walk(api, "/warehouses", 3, between_pages=insert)
    walked = [w["name"] for w in items]
    assert [n for n in walked if n in names] == names  # every original once, in order
    assert len(walked) == len(set(walked))
    assert walked == sorted(walked)
    assert not any(n.startswith("W00-") for n in walked)
    assert pages >= 4


def test_products_walk_by_sku_with_filters(api, product_factory):
    for i in range(7):
        product_factory(f"P-{i}")
    product_factory("OTHER")
    items, pages = walk(api, "/products", 2, search="P-")
    assert [p["sku"] for p in items] == [f"P-{i}" for i in range(7)]
    assert pages == 4
    assert api.get("/products", {"sku": "P-3"}).json()["items"][0]["sku"] == "P-3"


def test_sales_channels_walk(api, company):
    from stockledger.channels.services import channel_create

    for i in range(5):
        channel_create(company=company, cart_type="shopify", name=f"Shop {i}")
    items, _ = walk(api, "/sales-channels", 2)
    assert [c["name"] for c in items] == [f"Shop {i}" for i in range(5)]


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage!",
        base64.urlsafe_b64encode(b"not json").decode(),
        encode_cursor(("-id",), [5]),  # a cursor of another list
        encode_cursor(("name", "id"), ["A", "x"]),  # id not a number
        encode_cursor(("name", "id"), ["A", 10**30]),  # out of range
        encode_cursor(("name", "id"), ["A\x00", 1]),
        base64.urlsafe_b64encode(json.dumps({"o": "name,id", "v": [["A"], 1]}).encode()).decode(),
    ],
)
def test_a_cursor_this_list_did_not_return_is_422(api, warehouses, cursor):
    r = api.get("/warehouses", {"cursor": cursor})
    assert r.status_code == 422, r.content
    assert r.json()["errors"] == [{"field": "cursor", "message": r.json()["detail"]}]


@pytest.mark.parametrize("limit", [0, -1, 501, "many"])
def test_limits_outside_1_to_500_are_422(api, limit):
    r = api.get("/warehouses", {"limit": limit})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "limit"


def test_keyset_page_descends_by_timestamp_and_id(user):
    now = timezone.now()
    tokens = [token_create(user=user, name=f"t{i}")[0] for i in range(5)]
    # Two tokens share a timestamp: the id breaks the tie.
    for i, token in enumerate(tokens):
        ApiToken.objects.filter(pk=token.pk).update(created_at=now - timedelta(minutes=i // 2))
    qs = ApiToken.objects.filter(pk__in=[t.pk for t in tokens])
    order = ("-created_at", "-id")
    names, cursor = [], None
    while True:
        page = keyset_page(qs, order=order, limit=2, cursor=cursor)
        names += [t.name for t in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert names == ["t1", "t0", "t3", "t2", "t4"]
    with pytest.raises(InvalidInput):
        keyset_page(qs, order=("name", "id"), limit=2, cursor=encode_cursor(order, [now, 1]))


def test_a_documents_log_rows_page_in_recorded_order(api, company, warehouses, product_factory):
    from stockledger.ledger.services import stock_set

    main, east = warehouses
    skus = [f"T-{i}" for i in range(3)]
    for sku in skus:
        stock_set(company=company, product=product_factory(sku), warehouse=main, physical_on_hand=5)
    r = api.post(
        "/transfers",
        {
            "sending_warehouse_id": main.id,
            "receiving_warehouse_id": east.id,
            "notes": "",
            "lines": [{"sku": sku, "quantity": 1, "notes": ""} for sku in skus],
        },
    )
    assert r.status_code == 201, r.content
    items, pages = walk(api, f"/transfers/{r.json()['id']}/log", 4)
    assert pages == 2
    assert [i["sequence"] for i in items] == sorted(i["sequence"] for i in items)
    assert sorted((i["sku"], i["warehouse_name"]) for i in items) == sorted(
        (sku, w) for sku in skus for w in ("Main", "East")
    )
