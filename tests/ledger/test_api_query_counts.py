"""Queries per API request stay flat as a product's log grows (counted, never timed)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from stockledger.core.models import ApiToken, AuthStamp
from stockledger.core.services import token_revoke
from stockledger.ledger.models import LogEntry
from stockledger.ledger.services import stock_adjust

# One query for the auth stamp (a token used before is remembered while it holds: core/auth.py),
# then the request's own work.
ON_HAND_QUERIES = {
    "auth": 1,  # the auth stamp, one query
    "lookup": 1,  # product and warehouse, one query
}
LOG_PAGE_QUERIES = 2  # the auth stamp, the page (its rows prove the product is ours)
TOKENS = ApiToken._meta.db_table
STAMP = AuthStamp._meta.db_table


def _grow_log(company, product, warehouse, rows):
    for i in range(rows):
        stock_adjust(
            company=company, product=product, warehouse=warehouse, change=1 if i % 2 else 2
        )


def _post_queries(api, body):
    with CaptureQueriesContext(connection) as captured:
        r = api.post("/stock/on-hand", body)
    assert r.status_code == 201, r.content
    return [q["sql"] for q in captured.captured_queries]


def _log_queries(api, product_id, params):
    with CaptureQueriesContext(connection) as captured:
        r = api.get(f"/products/{product_id}/log", params)
    assert r.status_code == 200, r.content
    return [q["sql"] for q in captured.captured_queries], r.json()


@pytest.fixture
def busy(company, warehouses, product_factory):
    return product_factory("COUNT-1"), warehouses[0]


def test_an_on_hand_change_runs_the_same_queries_with_a_short_or_long_log(
    api, company, busy, settings
):
    settings.STOCKLEDGER_RATE_LIMIT_ENABLED = True
    product, warehouse = busy
    body = {"sku": "COUNT-1", "warehouse_id": warehouse.id, "change": 1, "note": "n"}
    _post_queries(api, body)  # the token's first use writes last_used_at; later ones do not
    short = _post_queries(api, body)
    _grow_log(company, product, warehouse, 300)
    long = _post_queries(api, body)
    assert len(short) == len(long)
    # The stamp in one query (the token is remembered); product and warehouse in one more.
    assert sum(STAMP in q for q in long) == ON_HAND_QUERIES["auth"]
    assert not any(TOKENS in q for q in long)
    lookups = [q for q in long if "catalog_product" in q and "warehouses_warehouse" in q]
    assert len(lookups) == ON_HAND_QUERIES["lookup"]
    assert LogEntry.objects.filter(product=product, note="n").count() == 3


def test_a_log_page_runs_the_same_queries_with_a_short_or_long_log(api, company, busy):
    product, warehouse = busy
    _grow_log(company, product, warehouse, 5)
    _log_queries(api, product.id, {"limit": 50})
    short, page = _log_queries(api, product.id, {"limit": 50})
    assert len(page["items"]) == 5
    _grow_log(company, product, warehouse, 400)
    long, page = _log_queries(api, product.id, {"limit": 50})
    assert len(page["items"]) == 50 and page["next_cursor"]
    deep, _ = _log_queries(api, product.id, {"limit": 50, "cursor": page["next_cursor"]})
    assert len(short) == len(long) == len(deep) == LOG_PAGE_QUERIES


def test_an_empty_log_page_checks_the_product_is_the_companys(api, other_api, product_factory):
    empty = product_factory("EMPTY-1")
    _log_queries(api, empty.id, {"limit": 50})  # the token's first use writes last_used_at
    queries, page = _log_queries(api, empty.id, {"limit": 50})
    assert page == {"items": [], "next_cursor": None}
    assert len(queries) == LOG_PAGE_QUERIES + 1  # the product, for the 404 below
    assert other_api.get(f"/products/{empty.id}/log").status_code == 404
    assert api.get("/products/999999999/log").status_code == 404


def test_an_idempotent_post_looks_the_token_up_once(api, busy):
    _, warehouse = busy
    body = {"sku": "COUNT-1", "warehouse_id": warehouse.id, "change": 1}
    _post_queries(api, body)
    with CaptureQueriesContext(connection) as captured:
        r = api.post("/stock/on-hand", body, headers={"HTTP_IDEMPOTENCY_KEY": "k-1"})
    assert r.status_code == 201, r.content
    auth_queries = [q for q in captured.captured_queries if STAMP in q["sql"]]
    assert len(auth_queries) == 1


def test_revoking_a_token_refuses_the_very_next_request(api, user, busy):
    product, _ = busy
    assert api.get(f"/products/{product.id}/log").status_code == 200
    token_revoke(token=ApiToken.objects.get(user=user))
    assert api.get(f"/products/{product.id}/log").status_code == 401


def test_deactivating_a_user_refuses_their_token_on_the_next_request(api, user, busy):
    product, _ = busy
    assert api.get(f"/products/{product.id}/log").status_code == 200
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert api.get(f"/products/{product.id}/log").status_code == 401


def test_the_on_hand_answer_is_the_schema_rendering_of_its_log_row(api, busy):
    import json

    from django.core.serializers.json import DjangoJSONEncoder

    from stockledger.ledger.api import LogEntryOut, entry_out

    _, warehouse = busy
    body = {
        "sku": "count-1",
        "warehouse_id": warehouse.id,
        "change": 4,
        "note": 'é "q", =1',
        "reason": "damaged",
    }
    r = api.post("/stock/on-hand", body)
    assert r.status_code == 201, r.content
    entry = LogEntry.objects.get(pk=LogEntry.objects.latest("id").pk)
    expected = json.loads(
        json.dumps(LogEntryOut.model_validate(entry_out(entry)).model_dump(), cls=DjangoJSONEncoder)
    )
    assert r.json() == {"entry": expected}
    assert r.json()["entry"]["reason"] == "damaged" and r.json()["entry"]["quantity"] == 4
