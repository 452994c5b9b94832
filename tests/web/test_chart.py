"""The chart of physical and available over time, read back from the log."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from stockledger.ledger.models import EventType
from stockledger.ledger.services import (
    LogLine,
    ledger_record,
    stock_adjust,
    stock_set,
    write_transaction,
)
from stockledger.web import chart as charts

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def days_ago(n: float) -> datetime:
    return NOW - timedelta(days=n)


@write_transaction
def commit(company, product, warehouse, quantity, at):
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


def test_the_chart_ends_at_todays_quantities_and_starts_where_the_window_begins(
    company, warehouses, product_factory
):
    main, east = warehouses
    mug = product_factory("MUG")
    stock_set(
        company=company, product=mug, warehouse=main, physical_on_hand=10, created_at=days_ago(200)
    )
    stock_set(
        company=company, product=mug, warehouse=east, physical_on_hand=4, created_at=days_ago(50)
    )
    commit(company, mug, main, 3, days_ago(10))
    chart = charts.build_chart(mug, days=90, now=NOW)
    assert (chart.last_physical, chart.last_available) == (14, 11)
    assert chart.rows == 2  # the count 200 days ago is before the window
    # The window starts with the 10 counted 200 days ago: the path begins there.
    assert chart.physical_path.startswith(f"M{float(chart.plot_left)},{chart.y_of(10)}H")
    assert not chart.truncated


def test_one_warehouse_is_charted_from_its_own_quantities(company, warehouses, product_factory):
    main, east = warehouses
    mug = product_factory("MUG")
    stock_set(
        company=company, product=mug, warehouse=main, physical_on_hand=10, created_at=days_ago(5)
    )
    stock_set(
        company=company, product=mug, warehouse=east, physical_on_hand=4, created_at=days_ago(4)
    )
    commit(company, mug, east, 1, days_ago(3))
    chart = charts.build_chart(mug, warehouse=east, days=30, now=NOW)
    assert (chart.last_physical, chart.last_available) == (4, 3)


def test_a_kits_chart_is_derived_from_its_components(company, warehouses, product_factory):
    main, east = warehouses
    mug = product_factory("MUG")
    spork = product_factory("SPORK")
    kit = product_factory(
        "KIT", components=[{"sku": "MUG", "quantity": 2}, {"sku": "SPORK", "quantity": 1}]
    )
    stock_set(
        company=company, product=mug, warehouse=main, physical_on_hand=9, created_at=days_ago(5)
    )
    stock_set(
        company=company, product=mug, warehouse=east, physical_on_hand=3, created_at=days_ago(5)
    )
    stock_set(
        company=company, product=spork, warehouse=east, physical_on_hand=50, created_at=days_ago(4)
    )
    commit(company, spork, east, 46, days_ago(3))
    chart = charts.build_chart(kit, days=30, now=NOW)
    # Per warehouse, as the ledger derives it: Main has no SPORK (0 kits); East makes
    # min(3 // 2, 50) = 1 physical and min(3 // 2, 4) = 1 available.
    assert (chart.last_physical, chart.last_available) == (1, 1)
    east_only = charts.build_chart(kit, warehouse=east, days=30, now=NOW)
    assert (east_only.last_physical, east_only.last_available) == (1, 1)


def test_a_long_history_is_read_only_up_to_the_newest_rows(
    company, warehouses, product_factory, monkeypatch
):
    monkeypatch.setattr(charts, "MAX_ROWS", 5)
    mug = product_factory("MUG")
    for i in range(8):
        stock_adjust(
            company=company,
            product=mug,
            warehouse=warehouses[0],
            change=1,
            created_at=days_ago(8 - i),
        )
    chart = charts.build_chart(mug, days=30, now=NOW)
    assert chart.truncated
    assert chart.rows == 5
    assert chart.last_physical == 8
    assert chart.since == days_ago(6)  # the oldest row left out sets where the line starts
    assert chart.physical_path.startswith(f"M{float(chart.plot_left)},{chart.y_of(3)}H")


def test_many_changes_fold_into_a_bounded_path(company, warehouses, product_factory):
    mug = product_factory("MUG")
    stock_set(
        company=company,
        product=mug,
        warehouse=warehouses[0],
        physical_on_hand=1000,
        created_at=days_ago(2),
    )
    for i in range(600):
        stock_adjust(
            company=company,
            product=mug,
            warehouse=warehouses[0],
            change=-1,
            created_at=days_ago(1) + timedelta(seconds=i),
        )
    chart = charts.build_chart(mug, days=30, now=NOW)
    assert chart.rows == 601
    assert chart.physical_path.count("V") <= 3 * charts.BUCKETS
    assert chart.last_physical == 400
    assert len(chart.hovers) == charts.BUCKETS
    busy = [label for _, _, label in chart.hovers if "600 changes" in label]
    assert busy and "physical 400..999" in busy[0]


def test_the_chart_view_escapes_names_and_offers_warehouses(
    signed_in, company, warehouse_factory, product_factory
):
    odd = warehouse_factory("<script>wh</script>")
    mug = product_factory("MUG", "<img src=x>")
    stock_set(company=company, product=mug, warehouse=odd, physical_on_hand=3)
    url = reverse("web:product_chart", args=[mug.id])
    for params in ({}, {"warehouse": odd.id, "range": "all"}, {"warehouse": "x", "range": "?"}):
        html = signed_in.get(url, params).content.decode()
        assert "<svg" in html
        assert "<script>wh" not in html and "&lt;script&gt;wh&lt;/script&gt;" in html
    assert (
        "in &lt;script&gt;wh&lt;/script&gt;: physical"
        in signed_in.get(url, {"warehouse": odd.id}).content.decode()
    )


def test_a_product_without_history_says_so(signed_in, product_factory):
    mug = product_factory("MUG")
    html = signed_in.get(reverse("web:product_chart", args=[mug.id])).content.decode()
    assert "No stock history yet." in html
