"""GET /products/{id}/log: keyset pages, and the JSON the schema promises."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.core.serializers.json import DjangoJSONEncoder

from stockledger.ledger.api import LogEntryOut, entry_out, plain_log_entries
from stockledger.ledger.models import LogEntry
from stockledger.ledger.selectors import log_entries, log_page
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


AWKWARD = 'tab\there "quoted" back\\slash \x01\x1f\x7f line\u2028sep é 😀 </script>'


def _copy_row(source: LogEntry, **values) -> int:
    """Append a copy of a log row with some columns set (raw SQL: awkward values the
    services never write, such as a channel_differs or a timestamp in another text form)."""
    from django.db import connection

    qn = connection.ops.quote_name
    fields = [f for f in LogEntry._meta.concrete_fields if f.column != "id"]
    select, params = [], []
    for f in fields:
        if f.name in values:
            value = values[f.name]
            if isinstance(value, datetime):  # as Django stores it (text on SQLite)
                value = connection.ops.adapt_datetimefield_value(value)
            select.append("%s")
            params.append(value)
        else:
            select.append(qn(f.column))
    table = qn(LogEntry._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(qn(f.column) for f in fields)}) "
            f"SELECT {', '.join(select)} FROM {table} WHERE {qn('id')} = %s",
            [*params, source.id],
        )
    return (
        LogEntry.objects.filter(product=source.product)
        .order_by("-id")
        .values_list("id", flat=True)[0]
    )


def _walk_bodies(api, product_id, params):
    bodies, params = [], dict(params)
    for _ in range(100):
        r = api.get(f"/products/{product_id}/log", params)
        assert r.status_code == 200, r.content
        bodies.append(r.content)
        cursor = json.loads(r.content)["next_cursor"]
        if cursor is None:
            return bodies
        params["cursor"] = cursor
    raise AssertionError("paging did not end")


def _no_python_path(**kwargs):
    raise AssertionError("the page went through the Python path")


def test_the_plain_page_is_byte_for_byte_the_encoding_of_its_rows(
    api, company, user, warehouses, product_factory, monkeypatch
):
    """The unfiltered page (on SQLite written as JSON by the database) is the same bytes as
    orjson's encoding of the same rows read as values, with awkward text, both booleans and
    null, an import time, in both orders and at every page size."""
    import orjson
    from django.db import connection

    from stockledger.ledger import api as log_api
    from stockledger.ledger.api import encode_cursor, plain_log_page, plain_log_page_json

    widget = _product_with_rows(company, user, warehouses, product_factory)
    source = LogEntry.objects.filter(product=widget).order_by("id").first()
    at = datetime(2026, 1, 7, 8, 0, 0, 654321, tzinfo=UTC)
    _copy_row(source, note=AWKWARD, channel_differs=True, imported_at=at, created_at=at)
    _copy_row(source, line_notes=AWKWARD, channel_differs=False, created_at=at)
    for newest_first in (True, False):
        for limit in (1, 2, 50):
            cursor = None
            for _ in range(100):
                args = dict(
                    company_id=company.id,
                    product_id=widget.id,
                    limit=limit,
                    cursor=cursor,
                    newest_first=newest_first,
                )
                items, cursor = plain_log_page(**args)
                with monkeypatch.context() as patch:
                    if connection.vendor == "sqlite":  # the rows' JSON comes from SQLite
                        patch.setattr(log_api, "plain_log_page", _no_python_path)
                    body = plain_log_page_json(**args)
                expected = orjson.dumps({"items": items, "next_cursor": encode_cursor(cursor)})
                assert body == expected
                if cursor is None:
                    break
            assert cursor is None
    items = json.loads(plain_log_page_json(**{**args, "limit": 50, "cursor": None}))["items"]
    awkward = [i for i in items if AWKWARD in (i["note"], i["line_notes"])]
    assert [i["channel_differs"] for i in awkward] == [True, False] or [
        i["channel_differs"] for i in awkward
    ] == [False, True]
    assert {i["imported_at"] for i in awkward} == {"2026-01-07T08:00:00.654Z", None}


def test_a_timestamp_stored_in_another_form_pages_the_same(
    api, company, user, warehouses, product_factory
):
    """SQLite holds timestamps as text; a row whose text is not Django's own form (written
    by another tool, say) sends its page through the Python path: same JSON as filtered."""
    from django.db import connection

    widget = _product_with_rows(company, user, warehouses, product_factory)
    source = LogEntry.objects.filter(product=widget).order_by("id").first()
    other_form = (
        "2026-01-08 10:00:00.5"
        if connection.vendor == "sqlite"
        else datetime(2026, 1, 8, 10, 0, 0, 500000, tzinfo=UTC)
    )
    _copy_row(source, created_at=other_form, recorded_at=other_form)
    every_type = sorted(
        set(LogEntry.objects.filter(product=widget).values_list("event_type", flat=True))
    )
    for order in ("asc", "desc"):
        plain = _walk_bodies(api, widget.id, {"limit": 4, "order": order})
        filtered = _walk_bodies(
            api, widget.id, {"limit": 4, "order": order, "event_type": every_type}
        )
        assert [json.loads(b) for b in plain] == [json.loads(b) for b in filtered]
    newest = json.loads(plain[-1] if order == "asc" else plain[0])["items"]
    assert "2026-01-08T10:00:00.500Z" in [i["created_at"] for i in newest]


def test_timestamps_of_every_precision_page_as_the_filtered_path_writes_them(
    api, company, user, warehouses, product_factory
):
    """Whole seconds, microseconds under a millisecond and 999,999 of them: the plain page
    (on PostgreSQL formatted by the database) writes each as the filtered path does."""
    widget = _product_with_rows(company, user, warehouses, product_factory)
    source = LogEntry.objects.filter(product=widget).order_by("id").first()
    for micro in (0, 123, 999_999, 654_321):
        at = datetime(2026, 1, 7, 8, 0, 5, micro, tzinfo=UTC)
        _copy_row(source, created_at=at, imported_at=at)
    every_type = sorted(
        set(LogEntry.objects.filter(product=widget).values_list("event_type", flat=True))
    )
    seen = set()
    for order in ("asc", "desc"):
        plain = {"limit": 2, "order": order}
        filtered = {**plain, "event_type": every_type}
        while True:
            a = api.get(f"/products/{widget.id}/log", plain).json()
            b = api.get(f"/products/{widget.id}/log", filtered).json()
            assert a == b
            seen |= {i["imported_at"] for i in a["items"]}
            if not a["next_cursor"]:
                break
            plain["cursor"] = filtered["cursor"] = a["next_cursor"]
    stamps = {"2026-01-07T08:00:05Z", "2026-01-07T08:00:05.000Z", "2026-01-07T08:00:05.999Z"}
    assert stamps | {"2026-01-07T08:00:05.654Z"} <= seen


def _fields(entry: LogEntry) -> dict:
    return {f.attname: getattr(entry, f.attname) for f in LogEntry._meta.concrete_fields}


@pytest.mark.parametrize("newest_first", [True, False])
def test_plain_entries_are_the_log_pages_rows_field_for_field(
    company, user, warehouses, product_factory, newest_first
):
    """The product page's fixed query gives rows with the fields of the LogEntry objects the
    ORM page gives, every field converted alike (timestamps with microseconds and ties,
    booleans, notes), and the same next key, page after page."""
    widget = _product_with_rows(company, user, warehouses, product_factory)
    product_factory("OTHER-1")  # another product's rows stay out
    cursor, pages = None, 0
    while True:
        plain, plain_next = plain_log_entries(
            company_id=company.id,
            product_id=widget.id,
            limit=3,
            cursor=cursor,
            newest_first=newest_first,
        )
        orm, orm_next = log_page(
            log_entries(company=company, product_ids=[widget.id]),
            limit=3,
            cursor=cursor,
            newest_first=newest_first,
        )
        assert [_fields(e) for e in plain] == [_fields(e) for e in orm]
        assert plain_next == orm_next
        assert all(isinstance(e.went_negative, bool) for e in plain)
        assert [e.pk for e in plain] == [e.pk for e in orm]
        pages += 1
        if plain_next is None:
            break
        cursor = plain_next
    assert pages == 4  # 10 rows, 3 a page
    assert plain_log_entries(
        company_id=company.id + 1, product_id=widget.id, limit=3, cursor=None
    ) == ([], None)
