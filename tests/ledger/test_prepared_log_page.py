"""PostgreSQL: a product's log page runs as a server-side prepared statement with one
generic plan (ledger/prepared.py), and returns the rows the unprepared query returns.
SQLite: the same code runs Django's ordinary cursor (last test)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from stockledger.ledger.api import _PAGE_FIELDS, _page_row
from stockledger.ledger.models import LogEntry
from stockledger.ledger.prepared import PreparedCursor, prepared
from stockledger.ledger.selectors import log_entries, log_page
from stockledger.ledger.services import stock_adjust

postgres_only = pytest.mark.postgres_only


def _all(sql, params=None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _log_statements():
    """The log statements prepared on this connection: (text, parameter types, generic plans,
    custom plans)."""
    return _all(
        "SELECT statement, parameter_types::text[], generic_plans, custom_plans"
        " FROM pg_prepared_statements WHERE statement LIKE %s ORDER BY prepare_time",
        ["%ledger_logentry%"],
    )


@pytest.fixture
def widget(company, warehouses, product_factory):
    """A product with 23 rows over two days, 3 of them at one instant (ties on created_at)."""
    product = product_factory("PREP-1")
    t0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    for i in range(20):
        stock_adjust(
            company=company,
            product=product,
            warehouse=warehouses[i % 2],
            change=i + 1,
            created_at=t0 + timedelta(hours=i, microseconds=i * 1001),
        )
    for change in (1, -1, 2):
        stock_adjust(
            company=company,
            product=product,
            warehouse=warehouses[0],
            change=change,
            created_at=t0 + timedelta(days=1),
        )
    return product


def _expected(company, widget, order):
    """Every row of the product as the page renders it, through the ORM's own query (not
    prepared): the rows as they were before the pages were prepared."""
    sign = "-" if order == "desc" else ""
    qs = LogEntry.objects.filter(company=company, product=widget).order_by(
        f"{sign}created_at", f"{sign}id"
    )
    return [_page_row(values) for values in qs.values_list(*_PAGE_FIELDS)]


def _walk(api, widget, order, limit):
    items, params = [], {"limit": limit, "order": order}
    while True:
        page = api.get(f"/products/{widget.id}/log", params).json()
        items += page["items"]
        if not page["next_cursor"]:
            return items
        params["cursor"] = page["next_cursor"]


@postgres_only
def test_the_api_page_is_a_prepared_statement_with_a_generic_plan_and_the_same_rows(
    api, company, widget
):
    assert _all("SHOW plan_cache_mode") == [("force_generic_plan",)]
    for order in ("desc", "asc"):
        for limit in (1, 4, 50):
            assert _walk(api, widget, order, limit) == _expected(company, widget, order)

    statements = _log_statements()
    # One statement per shape (order, first page or later, limit): 2 x 2 x 3, less the
    # later pages of limit 50 (23 rows fit one page).
    assert len(statements) == 10
    for text, types, generic, custom in statements:
        assert text.startswith('SELECT "id", ') and 'FROM "ledger_logentry"' in text
        assert "$2" in text
        assert set(types) <= {"bigint", "timestamp with time zone"}  # ids always int8
        assert generic >= 1 and custom == 0  # planned once, then only executed

    # Reused, not prepared again: the deep pages of limit 1 ran 22 times on one statement.
    desc_keyed = [s for s in statements if "DESC" in s[0] and "<=" in s[0] and "LIMIT 2" in s[0]]
    assert [s[2] for s in desc_keyed] == [22]

    # Django's query log still shows the page's SQL (as prepared, with $n placeholders).
    with CaptureQueriesContext(connection) as captured:
        api.get(f"/products/{widget.id}/log", {"limit": 4})
    [first_page] = [s[0] for s in statements if s[0].endswith("DESC LIMIT 5") and "$3" not in s[0]]
    assert first_page in [q["sql"] for q in captured]


@postgres_only
def test_the_web_page_query_is_prepared_and_gives_the_orm_rows(company, widget):
    qs = log_entries(company=company, product_ids=[widget.id])
    unprepared = list(qs.order_by("-created_at", "-id").values_list("id", flat=True))
    seen, cursor = [], None
    while True:
        rows, cursor = log_page(qs, limit=5, cursor=cursor, newest_first=True)
        assert all(isinstance(row, LogEntry) for row in rows)
        seen += [row.id for row in rows]
        if cursor is None:
            break
    assert seen == unprepared
    (first, *_rest), (keyed, *_more) = (
        [s for s in _log_statements() if "<=" not in s[0]],
        [s for s in _log_statements() if "<=" in s[0]],
    )
    assert first[0].startswith('SELECT "ledger_logentry".') and first[0].endswith("LIMIT 6")
    assert (first[2], first[3]) == (1, 0)
    assert (keyed[2], keyed[3]) == (4, 0)


@postgres_only
def test_a_rolled_back_savepoint_leaves_the_statement_usable(api, company, widget):
    expected = _expected(company, widget, "desc")
    assert _walk(api, widget, "desc", 50) == expected
    with pytest.raises(DatabaseError), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 / 0")
    assert _walk(api, widget, "desc", 50) == expected
    [(_text, _types, generic, custom)] = _log_statements()
    assert (generic, custom) == (2, 0)


@postgres_only
def test_outside_the_block_queries_are_sent_as_before(widget):
    with prepared(connection), connection.cursor() as cursor:
        assert isinstance(cursor.cursor, PreparedCursor)
    with connection.cursor() as cursor:
        assert not isinstance(cursor.cursor, PreparedCursor)
    assert connection.connection.prepare_threshold is None  # Django's setting, put back
    LogEntry.objects.filter(product=widget).count()
    assert not [s for s in _log_statements() if "COUNT" in s[0]]


def test_sqlite_pages_use_the_ordinary_cursor(api, company, widget):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    with prepared(connection), connection.cursor() as cursor:
        assert not isinstance(getattr(cursor, "cursor", None), PreparedCursor)
    for order in ("desc", "asc"):
        assert _walk(api, widget, order, 4) == _expected(company, widget, order)
