"""The Inventory Log table on the product page: order, filters, pages, links, escaping."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from stockledger.channels.models import SalesChannel
from stockledger.channels.services import channel_create
from stockledger.ledger.api import encode_cursor, plain_log_entries
from stockledger.ledger.models import DocumentType, EventType
from stockledger.ledger.selectors import log_entries, log_page
from stockledger.ledger.services import (
    LogLine,
    ledger_record,
    stock_adjust,
    stock_set,
    write_transaction,
)
from stockledger.warehouses.models import Warehouse
from stockledger.web.log_rows import log_rows_html

pytestmark = pytest.mark.django_db

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def row_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr id="log-(\d+)"', html)]


def log_html(client, product, **params) -> str:
    response = client.get(reverse("web:product_log", args=[product.id]), params)
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def mug(product_factory):
    return product_factory("MUG")


def test_rows_come_newest_first_with_their_quantities(
    signed_in, company, warehouses, mug, log_of, user
):
    main = warehouses[0]
    stock_set(company=company, product=mug, warehouse=main, physical_on_hand=10, created_at=T0)
    stock_adjust(
        company=company,
        product=mug,
        warehouse=main,
        change=-3,
        user=user,
        note="broken",
        created_at=T0 + timedelta(hours=1),
    )
    first, second = log_of(mug)
    html = signed_in.get(reverse("web:product_detail", args=[mug.id])).content.decode()
    assert row_ids(html) == [second.id, first.id]
    row = html.split(f'id="log-{second.id}"')[1].split("</tr>")[0]
    assert "2025-03-01 10:00" in row
    assert "\u22123" in row  # quantity and change, with a real minus sign
    assert ">7<" in row  # physical after
    assert user.username in row
    assert "broken" in row


def test_filters_by_event_type_warehouse_channel_and_dates(
    signed_in, company, warehouses, mug, log_of
):
    main, east = warehouses
    shop = channel_create(company=company, cart_type="shopify", name="Shop")
    stock_set(company=company, product=mug, warehouse=main, physical_on_hand=5, created_at=T0)
    stock_set(
        company=company,
        product=mug,
        warehouse=east,
        physical_on_hand=2,
        created_at=T0 + timedelta(days=2),
    )

    @write_transaction
    def imported():
        ledger_record(
            company=company,
            event_type=EventType.IMPORT,
            lines=[LogLine(product=mug, quantity=4)],
            channel=shop,
            created_at=T0 + timedelta(days=4),
        )

    imported()
    at_main, at_east, read = log_of(mug)
    assert row_ids(log_html(signed_in, mug, event_type="on_hand")) == [at_east.id, at_main.id]
    assert row_ids(log_html(signed_in, mug, warehouse=east.id)) == [at_east.id]
    assert row_ids(log_html(signed_in, mug, channel=shop.id)) == [read.id]
    assert row_ids(log_html(signed_in, mug, since="2025-03-04", until="2025-03-05")) == [read.id]
    # `until` is a whole day, inclusive
    assert row_ids(log_html(signed_in, mug, since="2025-03-01", until="2025-03-03")) == [
        at_east.id,
        at_main.id,
    ]


def test_bad_filters_say_so_instead_of_showing_rows(signed_in, mug):
    html = log_html(signed_in, mug, since="2025-03-05", until="2025-03-01")
    assert "The end date is before the start date." in html
    html = log_html(signed_in, mug, event_type="teleport")
    assert "Select a valid choice" in html


def test_older_rows_load_by_keyset_cursor(signed_in, company, warehouses, mug, log_of):
    for i in range(55):
        stock_adjust(
            company=company,
            product=mug,
            warehouse=warehouses[0],
            change=1,
            created_at=T0 + timedelta(minutes=i),
        )
    ids = [e.id for e in log_of(mug)][::-1]
    first = log_html(signed_in, mug)
    assert row_ids(first) == ids[:50]
    cursor = re.search(r'hx-get="[^"]*cursor=([^"&]+)"', first).group(1)
    more = signed_in.get(
        reverse("web:product_log", args=[mug.id]), {"cursor": cursor}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "<table" not in more  # only the rows to append
    assert row_ids(more) == ids[50:]
    assert "Older rows" not in more


def test_document_rows_link_to_their_page_when_it_exists(signed_in, company, warehouses, mug):
    @write_transaction
    def received():
        ledger_record(
            company=company,
            event_type=EventType.PO_RECEIVED,
            lines=[
                LogLine(
                    product=mug,
                    warehouse=warehouses[0],
                    physical_change=5,
                    quantity=5,
                    fields={
                        "event_id": "PO-77",
                        "document_type": DocumentType.PURCHASE_ORDER,
                        "document_id": 77,
                    },
                )
            ],
        )

    received()
    html = log_html(signed_in, mug)
    assert "PO-77" in html
    from django.urls import NoReverseMatch

    try:
        url = reverse("web:po_detail", args=[77])
    except NoReverseMatch:
        assert "<a href" not in html.split("PO-77")[0].rsplit("<td", 1)[1]
    else:
        assert f'<a href="{url}">PO-77</a>' in html


def test_every_column_of_a_transfer_row_is_readable_and_escaped(
    signed_in, company, warehouses, mug
):
    main, east = warehouses
    stock_set(company=company, product=mug, warehouse=main, physical_on_hand=5)
    long_note = "<b>fragile</b> " + "very long note " * 30

    @write_transaction
    def moved():
        common = {
            "sending_warehouse_name": "Main",
            "receiving_warehouse_name": "East",
            "transfer_notes": long_note,
            "event_id": "T-1",
        }
        ledger_record(
            company=company,
            event_type=EventType.INVENTORY_TRANSFER,
            lines=[
                LogLine(
                    product=mug,
                    warehouse=main,
                    physical_change=-2,
                    quantity=2,
                    fields={**common, "line_notes": "line <i>one</i>"},
                ),
                LogLine(product=mug, warehouse=east, physical_change=2, quantity=2, fields=common),
            ],
        )

    moved()
    html = log_html(signed_in, mug)
    assert "<b>fragile</b>" not in html and "&lt;b&gt;fragile&lt;/b&gt;" in html
    assert "line &lt;i&gt;one&lt;/i&gt;" in html
    assert "<b>from</b> Main" in html and "<b>to</b> East" in html
    assert 'class="details"' in html  # the wrapping cell


def test_a_kits_log_includes_its_components_rows_by_default(
    signed_in, company, warehouses, product_factory, log_of
):
    mug = product_factory("MUG")
    kit = product_factory("KIT", components=[{"sku": "MUG", "quantity": 2}])
    stock_set(company=company, product=mug, warehouse=warehouses[0], physical_on_hand=4)
    [row] = log_of(mug)
    html = signed_in.get(reverse("web:product_detail", args=[kit.id])).content.decode()
    assert row_ids(html) == [row.id]
    assert '<td class="sku" data-label="SKU">MUG</td>' in html
    # Unticking "with components" (the form sends its other fields) shows the kit's own rows.
    assert row_ids(log_html(signed_in, kit, event_type="")) == []


def _page_queries(client, product, **params) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        html = log_html(client, product, **params)
    assert '<tr id="log-' in html
    return [q["sql"] for q in captured.captured_queries]


def test_a_page_of_rows_runs_the_same_few_queries_with_a_short_or_long_log(
    signed_in, company, warehouses, mug, log_of
):
    """The session with its user and company (one query: core/sessions.py), the product and
    the page: no warehouse or channel list (the filters' choices are read only when filters
    are given), whatever the log's length."""
    for _ in range(3):
        stock_adjust(company=company, product=mug, warehouse=warehouses[0], change=1)
    log_html(signed_in, mug)
    short = _page_queries(signed_in, mug)
    for i in range(120):
        stock_adjust(company=company, product=mug, warehouse=warehouses[i % 2], change=1)
    long = _page_queries(signed_in, mug)
    newest = log_of(mug)[-1]
    older = _page_queries(signed_in, mug, cursor=encode_cursor((newest.created_at, newest.id)))
    assert len(short) == len(long) == len(older) == 3, long
    tables = " ".join(long + older)
    assert Warehouse._meta.db_table not in tables and SalesChannel._meta.db_table not in tables
    filtered = _page_queries(signed_in, mug, warehouse=warehouses[1].id)
    assert any(Warehouse._meta.db_table in q for q in filtered)  # the choice is checked


def test_rows_from_the_fixed_query_read_as_rows_from_the_orm(
    signed_in, company, warehouses, mug, user
):
    """The page's unfiltered rows (named tuples, no model methods) give the HTML the ORM's
    LogEntry objects give: reasons by their label, notes escaped, in the company's time
    zone."""
    stock_set(
        company=company,
        product=mug,
        warehouse=warehouses[0],
        physical_on_hand=2,
        reason="cycle_count",
        note='<b>"counted"</b> & =SUM(A1)',
        user=user,
        created_at=T0,
    )
    stock_adjust(
        company=company,
        product=mug,
        warehouse=warehouses[0],
        change=-1,
        reason="damaged",
        created_at=T0 + timedelta(microseconds=1),
    )
    company.time_zone = "America/Los_Angeles"
    company.save()
    html = log_html(signed_in, mug)
    assert "<b>reason</b> Damaged" in html and "<b>reason</b> Cycle count" in html
    assert "&lt;b&gt;&quot;counted&quot;&lt;/b&gt; &amp; =SUM(A1)" in html
    assert 'title="2025-03-01T01:00:00-08:00">2025-03-01 01:00</td>' in html
    plain, _ = plain_log_entries(company_id=company.id, product_id=mug.id, limit=50, cursor=None)
    orm, _ = log_page(
        log_entries(company=company, product_ids=[mug.id]), limit=50, cursor=None, newest_first=True
    )
    assert [type(e).__name__ for e in plain] == ["LogEntryRow"] * 2
    with timezone.override("America/Los_Angeles"):
        for show_sku in (False, True):
            rows = log_rows_html(plain, show_sku=show_sku)
            assert rows == log_rows_html(orm, show_sku=show_sku)
            assert rows in html or show_sku


def test_every_text_a_row_shows_is_escaped(signed_in, company, warehouses, product_factory):
    """Each text column of a row (the ones escaped once a page as well as the others) comes
    out escaped, from the fixed query's rows and from LogEntry objects alike."""
    names = [
        "warehouse_name",
        "user_name",
        "cart_name",
        "cart_type",
        "order_step",
        "event_id",
        "sku",
        "note",
        "kit_sku",
    ]
    # Short enough for every column (order_step holds 12 characters).
    texts = {name: f'<i id="{n}">' for n, name in enumerate(names)}
    marks = {name: f"&lt;i id=&quot;{n}&quot;&gt;" for n, name in enumerate(names)}
    mug = product_factory(texts.pop("sku"))  # (the row takes its product's SKU)

    @write_transaction
    def hostile():
        ledger_record(
            company=company,
            event_type=EventType.ON_HAND,
            lines=[
                LogLine(
                    product=mug,
                    warehouse=warehouses[0],
                    physical_change=1,
                    quantity=1,
                    fields=texts,
                )
            ],
        )

    hostile()
    plain, _ = plain_log_entries(company_id=company.id, product_id=mug.id, limit=50, cursor=None)
    orm, _ = log_page(
        log_entries(company=company, product_ids=[mug.id]), limit=50, cursor=None, newest_first=True
    )
    every = [*texts, "sku"]
    for html, columns in (
        (log_html(signed_in, mug), list(texts)),  # a product's own log shows no SKU column
        (log_rows_html(plain, show_sku=True), every),
        (log_rows_html(orm, show_sku=True), every),
    ):
        assert "<i " not in html
        assert [name for name in every if marks[name] in html] == columns
