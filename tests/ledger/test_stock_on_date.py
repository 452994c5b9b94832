"""Stock on a date: the log's answer at any past moment equals a full replay of the log."""

import csv
import io
import random
from datetime import UTC, datetime, timedelta

import openpyxl
import pytest
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from stockledger.catalog.kits import kit_in_warehouse
from stockledger.catalog.models import KitComponent, Product
from stockledger.core.errors import InvalidInput
from stockledger.ledger.models import EventType, LogEntry
from stockledger.ledger.services import LogLine, ledger_record, stock_adjust, write_transaction
from stockledger.ledger.stock_on_date import quantities_as_of, stock_on_date
from stockledger.transfers.services import transfer_create
from stockledger.warehouses.models import Stock, Warehouse
from stockledger.web.demo.history import clock

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 1, tzinfo=UTC)
SPAN = timedelta(days=30)


@write_transaction
def _commit(company, product, warehouse, quantity, at):
    ledger_record(
        company=company,
        event_type=EventType.ORDER,
        lines=[
            LogLine(
                product=product, warehouse=warehouse, committed_change=quantity, quantity=quantity
            )
        ],
        created_at=at,
    )


@pytest.fixture
def history(company, warehouses, warehouse_factory, product_factory):
    """A month of counts, adjustments, orders and transfers over three warehouses, recorded
    one after another through the month, their created_at in another order (events entered
    late, backdated)."""
    main, east = warehouses
    west = warehouse_factory("West")
    all_warehouses = [main, east, west]
    products = [product_factory(f"P{i}") for i in range(4)]
    product_factory("KIT", components=[{"sku": "P0", "quantity": 1}, {"sku": "P1", "quantity": 2}])
    rng = random.Random(13)
    for i in range(120):
        with clock(T0 + SPAN * i / 120):
            _one_event(company, rng, products, all_warehouses)
    return company


def _one_event(company, rng, products, all_warehouses):
    product = rng.choice(products)
    warehouse = rng.choice(all_warehouses)
    at = T0 + timedelta(seconds=rng.randrange(int(SPAN.total_seconds())))
    action = rng.random()
    if action < 0.5:
        stock_adjust(
            company=company,
            product=product,
            warehouse=warehouse,
            change=rng.randint(1, 9),
            created_at=at,
        )
    elif action < 0.75:
        _commit(company, product, warehouse, rng.randint(1, 3), at)
    else:
        other = rng.choice([w for w in all_warehouses if w != warehouse])
        try:
            transfer_create(
                company=company,
                sending_warehouse=warehouse,
                receiving_warehouse=other,
                lines=[{"sku": product.sku, "quantity": 1}],
                transferred_at=at,
            )
        except InvalidInput:  # nothing there to send: refused, nothing written
            pass


def _replay_as_of(at):
    """The full replay: every row's quantities from its signed changes, in sequence order;
    then per product x warehouse those after the last row recorded at or before `at`."""
    running: dict[tuple[int, int], list[int]] = {}
    after: dict[int, tuple[int, int]] = {}
    rows = list(
        LogEntry.objects.exclude(warehouse=None)
        .exclude(product__kind="kit")
        .order_by("id")
        .values_list("id", "product_id", "warehouse_id", "physical_change", "committed_change")
    )
    for pk, product_id, warehouse_id, d_physical, d_committed in rows:
        state = running.setdefault((product_id, warehouse_id), [0, 0])
        state[0] += d_physical
        state[1] += d_committed
        after[pk] = (state[0], state[1])
    last: dict[tuple[int, int], tuple] = {}
    for pk, product_id, warehouse_id, created_at in LogEntry.objects.exclude(
        warehouse=None
    ).values_list("id", "product_id", "warehouse_id", "recorded_at"):
        if pk in after and created_at <= at:
            key = (product_id, warehouse_id)
            if key not in last or (created_at, pk) > last[key]:
                last[key] = (created_at, pk)
    return {key: after[pk] for key, (_at, pk) in last.items()}


def test_stock_on_date_equals_a_full_replay_at_200_random_moments(history):
    company = history
    kit = Product.objects.get(company=company, sku="KIT")
    parts = list(
        KitComponent.objects.filter(kit=kit)
        .order_by("component_id")
        .values_list("component_id", "quantity")
    )
    warehouse_ids = list(Warehouse.objects.filter(company=company).values_list("id", flat=True))

    @settings(max_examples=200, deadline=None, database=None)
    @given(offset=st.integers(min_value=-3600, max_value=int(SPAN.total_seconds()) + 3600))
    def check(offset):
        at = T0 + timedelta(seconds=offset, microseconds=offset % 7)
        expected = _replay_as_of(at)
        assert quantities_as_of(company=company, at=at) == expected
        report = stock_on_date(company=company, at=at)
        got = {
            (r.product_id, r.warehouse_id): (r.physical_on_hand, r.committed) for r in report.rows
        }
        for key, value in expected.items():
            assert got[key] == value
        kit_total = 0
        for w in warehouse_ids:
            kit_total += kit_in_warehouse(
                parts, lambda c, w=w: expected.get((c, w), (0, 0))
            ).available_on_hand
        [kit_row] = [t for t in report.totals if t.sku == "KIT"]
        assert kit_row.available_on_hand == kit_total

    check()


def test_before_any_row_everything_is_zero_and_now_matches_todays_stock(history, stock_of):
    company = history
    early = stock_on_date(company=company, at=T0 - timedelta(days=1))
    assert all(t.physical_on_hand == t.committed == 0 for t in early.totals)
    late = stock_on_date(company=company, at=T0 + SPAN + timedelta(days=1))
    for stock in Stock.objects.filter(company=company):
        [row] = [
            r
            for r in late.rows
            if (r.product_id, r.warehouse_id) == (stock.product_id, stock.warehouse_id)
        ]
        assert (row.physical_on_hand, row.committed) == (stock.physical_on_hand, stock.committed)


def test_the_api_answers_one_sku_and_warehouse_and_refuses_a_naive_time(history, api):
    company = history
    main = Warehouse.objects.get(company=company, name="Main")
    at = (T0 + timedelta(days=15)).isoformat()
    body = api.get("/reports/stock-on-date", {"at": at, "sku": "P0", "warehouse_id": main.id})
    assert body.status_code == 200, body.content
    data = body.json()
    assert {i["warehouse_id"] for i in data["items"]} <= {main.id}
    [total] = data["totals"]
    assert total["sku"] == "P0"
    expected = _replay_as_of(T0 + timedelta(days=15)).get((total["product_id"], main.id), (0, 0))
    assert (total["physical_on_hand"], total["committed"]) == expected
    naive = api.get("/reports/stock-on-date", {"at": "2026-11-15T00:00:00"})
    assert naive.status_code == 422
    unknown = api.get("/reports/stock-on-date", {"at": at, "sku": "NOPE"})
    assert unknown.status_code in (400, 422) and "sku" in unknown.content.decode()


def test_the_report_downloads_as_csv_and_xlsx_a_spreadsheet_opens(history, api, tmp_path):
    at = (T0 + timedelta(days=20)).isoformat()
    response = api.get("/reports/stock-on-date/file", {"at": at, "format": "csv"})
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows and rows[0]["as_of"] == "2026-11-21T00:00:00.000000+00:00"
    assert {r["warehouse_name"] for r in rows} >= {"(all warehouses)"}
    xlsx = api.get(
        "/reports/stock-on-date/file",
        {"at": at, "format": "xlsx", "timezone": "America/New_York"},
    )
    path = tmp_path / "s.xlsx"
    path.write_bytes(xlsx.content)
    sheet = openpyxl.load_workbook(path, read_only=True).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][0] == "as_of (America/New_York)"
    assert values[1][0] == datetime(2026, 11, 20, 19, 0)
    assert len(values) == len(rows) + 1


def test_the_page_shows_the_report_in_the_chosen_zone(history, client, user):
    client.force_login(user)
    url = reverse("web:stock_on_date")
    empty = client.get(url)
    assert empty.status_code == 200 and 'id="stock-on-date-form"' in empty.content.decode()
    page = client.get(
        url, {"at": "2026-11-20T19:00", "timezone": "America/New_York", "sku": "P1"}
    ).content.decode()
    assert "As of 2026-11-20 19:00:00 (America/New_York)" in page
    assert 'id="stock-on-date-totals"' in page and ">P1<" in page
    download = client.get(url, {"at": "2026-11-20T19:00", "format": "csv"})
    assert download["Content-Disposition"].endswith('.csv"')
