"""GET /products/{id}/log: keyset pages, and the JSON the schema promises."""

import json
from datetime import UTC, datetime, timedelta

from django.core.serializers.json import DjangoJSONEncoder

from stockledger.ledger.api import LogEntryOut, entry_out
from stockledger.ledger.models import LogEntry
from stockledger.ledger.services import stock_adjust, stock_set


def _product_with_rows(company, user, warehouses, product_factory):
    widget = product_factory("PAGE-1")
    t0 = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
    stock_set(
        company=company,
        product=widget,
        warehouse=warehouses[0],
        physical_on_hand=50,
        user=user,
        note='=SUM(A1) "quoted", comma',
        created_at=t0,
    )
    # Three rows at one instant (ties broken by sequence), one with microseconds, then more.
    for change in (1, -2, 3):
        stock_adjust(
            company=company,
            product=widget,
            warehouse=warehouses[1 if change == 3 else 0],
            change=change,
            created_at=t0 + timedelta(hours=1),
        )
    stock_adjust(
        company=company,
        product=widget,
        warehouse=warehouses[0],
        change=-1,
        created_at=t0 + timedelta(hours=2, microseconds=123456),
    )
    stock_adjust(  # under a millisecond: the renderer writes .000
        company=company,
        product=widget,
        warehouse=warehouses[1],
        change=-3,
        created_at=t0 + timedelta(hours=3, microseconds=500),
    )
    for i in range(4):
        stock_adjust(
            company=company,
            product=widget,
            warehouse=warehouses[0],
            change=1,
            created_at=t0 + timedelta(days=1, minutes=i),
        )
    return widget


def _walk(api, product_id, order, limit):
    seen, cursor = [], None
    while True:
        params = {"limit": limit, "order": order}
        if cursor:
            params["cursor"] = cursor
        r = api.get(f"/products/{product_id}/log", params)
        assert r.status_code == 200, r.content
        page = r.json()
        assert len(page["items"]) <= limit
        seen += [item["sequence"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return seen


def test_paging_visits_every_row_once_in_order_across_ties(
    api, company, user, warehouses, product_factory
):
    widget = _product_with_rows(company, user, warehouses, product_factory)
    rows = list(LogEntry.objects.filter(product=widget).order_by("created_at", "id"))
    oldest_first = [r.id for r in rows]
    assert len(oldest_first) == 10
    for limit in (1, 2, 3, 50):
        assert _walk(api, widget.id, "asc", limit) == oldest_first
        assert _walk(api, widget.id, "desc", limit) == oldest_first[::-1]


def test_log_items_are_exactly_what_the_response_schema_renders(
    api, company, user, warehouses, product_factory
):
    widget = _product_with_rows(company, user, warehouses, product_factory)
    r = api.get(f"/products/{widget.id}/log", {"limit": 50})
    assert r.status_code == 200
    assert r["Content-Type"].startswith("application/json")
    items = json.loads(r.content)["items"]
    entries = list(LogEntry.objects.filter(product=widget).order_by("-created_at", "-id"))
    expected = [
        json.loads(
            json.dumps(LogEntryOut.model_validate(entry_out(e)).model_dump(), cls=DjangoJSONEncoder)
        )
        for e in entries
    ]
    assert items == expected
    assert [list(i) for i in items] == [list(LogEntryOut.model_fields)] * len(items)
    with_micro = next(i for i in items if i["quantity"] == -1 and i["warehouse_id"])
    assert with_micro["created_at"] == "2026-01-05T11:30:00.123Z"  # the renderer's format
    tiny = next(i for i in items if i["quantity"] == -3)
    assert tiny["created_at"] == "2026-01-05T12:30:00.000Z"
    assert items[0]["created_at"] == "2026-01-06T09:33:00Z"
    first = items[-1]
    assert first["note"] == '=SUM(A1) "quoted", comma'  # JSON carries text as is
    assert first["went_negative"] is False and first["channel_differs"] is None


def test_the_unfiltered_page_and_the_filtered_path_give_the_same_json(
    api, company, user, warehouses, product_factory
):
    """The plain page is one fixed query; any filter goes through log_entries: same rows,
    same values, same cursors, both ways."""
    widget = _product_with_rows(company, user, warehouses, product_factory)
    every_type = sorted(
        set(LogEntry.objects.filter(product=widget).values_list("event_type", flat=True))
    )
    for order in ("asc", "desc"):
        for limit in (1, 3, 50):
            plain = {"limit": limit, "order": order}
            filtered = {**plain, "event_type": every_type}
            while True:
                a = api.get(f"/products/{widget.id}/log", plain).json()
                b = api.get(f"/products/{widget.id}/log", filtered).json()
                assert a == b
                if not a["next_cursor"]:
                    break
                plain["cursor"] = filtered["cursor"] = a["next_cursor"]
