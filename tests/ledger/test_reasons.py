"""Adjustment reasons: stored on the on_hand row, exported, filterable, chosen on the page."""

import csv
import io

import openpyxl
import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from stockledger.core.errors import InvalidInput
from stockledger.exports.xlsx_writer import write_log_xlsx
from stockledger.ledger.columns import COLUMNS, EXTENSION_COLUMNS
from stockledger.ledger.csv_writer import LogRows
from stockledger.ledger.models import AdjustmentReason
from stockledger.ledger.selectors import log_entries
from stockledger.ledger.services import stock_adjust, stock_set


def test_the_reason_is_stored_on_the_log_row_of_a_count_and_an_adjustment(
    company, user, warehouses, product_factory, log_of
):
    main = warehouses[0]
    widget = product_factory("R-1")
    stock_set(
        company=company,
        product=widget,
        warehouse=main,
        physical_on_hand=10,
        user=user,
        reason=AdjustmentReason.CYCLE_COUNT,
    )
    stock_adjust(
        company=company, product=widget, warehouse=main, change=-2, user=user, reason="damaged"
    )
    stock_adjust(company=company, product=widget, warehouse=main, change=1, user=user)
    assert [(r.quantity, r.reason) for r in log_of(widget)] == [
        (10, "cycle_count"),
        (-2, "damaged"),
        (1, None),
    ]


def test_an_unknown_reason_is_refused_naming_the_field_and_writes_nothing(
    company, warehouses, product_factory, log_of
):
    widget = product_factory("R-2")
    with pytest.raises(InvalidInput) as err:
        stock_adjust(
            company=company, product=widget, warehouse=warehouses[0], change=1, reason="theft"
        )
    assert err.value.field == "reason"
    assert log_of(widget) == []


def test_reason_is_the_last_extension_column_of_csv_and_xlsx(
    company, warehouses, product_factory, tmp_path
):
    assert EXTENSION_COLUMNS[-1] == "reason" and EXTENSION_COLUMNS[-2] == "recorded_at"
    widget = product_factory("R-3")
    stock_adjust(
        company=company, product=widget, warehouse=warehouses[0], change=3, reason="promotion"
    )
    stock_adjust(company=company, product=widget, warehouse=warehouses[0], change=1)
    out = tmp_path / "log.csv"
    call_command("export_log", company=company.id, sku="R-3", output=str(out))
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert list(rows[0])[-1] == "reason"
    assert [r["reason"] for r in rows] == ["promotion", ""]

    path = tmp_path / "log.xlsx"
    write_log_xlsx(path, LogRows([log_entries(company=company, product_ids=[widget.id])]))
    sheet = openpyxl.load_workbook(path, read_only=True).worksheets[0]
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][-1] == "reason" and len(values[0]) == len(COLUMNS)
    assert values[1][-1] == "promotion" and values[2][-1] in (None, "")


def test_the_api_takes_a_reason_returns_it_and_filters_the_log_by_it(
    api, warehouses, product_factory
):
    main = warehouses[0]
    product = product_factory("R-API")
    r = api.post(
        "/stock/on-hand",
        {"sku": "R-API", "warehouse_id": main.id, "physical_on_hand": 5, "reason": "cycle_count"},
    )
    assert r.status_code == 201, r.content
    assert r.json()["entry"]["reason"] == "cycle_count"
    api.post(
        "/stock/on-hand",
        {"sku": "R-API", "warehouse_id": main.id, "change": -1, "reason": "shrinkage"},
    )
    api.post("/stock/on-hand", {"sku": "R-API", "warehouse_id": main.id, "change": 2})
    items = api.get(f"/products/{product.id}/log").json()["items"]
    assert [i["reason"] for i in items] == [None, "shrinkage", "cycle_count"]
    filtered = api.get(f"/products/{product.id}/log", {"reason": "shrinkage"}).json()["items"]
    assert [i["quantity"] for i in filtered] == [-1]
    bad = api.post(
        "/stock/on-hand",
        {"sku": "R-API", "warehouse_id": main.id, "change": 1, "reason": "theft"},
    )
    assert bad.status_code == 422
    assert any(e["field"].endswith("reason") for e in bad.json()["errors"])
    assert api.get(f"/products/{product.id}/log", {"reason": "theft"}).status_code == 422


@pytest.fixture
def signed_in_client(user):
    client = Client()
    client.force_login(user)
    return client


def test_the_product_page_form_chooses_a_reason_and_the_log_filters_on_it(
    signed_in_client, warehouses, product_factory, log_of
):
    main = warehouses[0]
    mug = product_factory("R-MUG")
    url = reverse("web:product_on_hand", args=[mug.id])
    page = signed_in_client.get(reverse("web:product_detail", args=[mug.id])).content.decode()
    assert 'name="reason"' in page and "Received without PO" in page
    signed_in_client.post(
        url,
        {"warehouse": main.id, "mode": "set", "quantity": 4, "reason": "received_without_po"},
        HTTP_HX_REQUEST="true",
    )
    signed_in_client.post(
        url,
        {"warehouse": main.id, "mode": "adjust", "quantity": -1, "reason": "damaged"},
        HTTP_HX_REQUEST="true",
    )
    assert [e.reason for e in log_of(mug)] == ["received_without_po", "damaged"]
    table = signed_in_client.get(
        reverse("web:product_log", args=[mug.id]), {"reason": "damaged"}
    ).content.decode()
    [damaged, received] = log_of(mug)[::-1]
    assert f'id="log-{damaged.id}"' in table and f'id="log-{received.id}"' not in table
    assert "Damaged" in table
