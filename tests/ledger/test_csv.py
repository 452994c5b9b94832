import csv
import io
from datetime import UTC, datetime, timedelta

from django.core.management import call_command

from stockledger.ledger.columns import SEED_COLUMNS
from stockledger.ledger.services import stock_adjust, stock_set

SEED_HEADER = (
    "created_at,imported_at,event_type,quantity,available_on_hand,physical_on_hand,cart_type,"
    "cart_id,cart_name,event_id,warehouse_name,warehouse_locations,user_name,"
    "sending_warehouse_name,receiving_warehouse_name,transfer_notes,line_notes,"
    "expected_quantity,received_quantity,restocked_quantity"
)


def export(company, sku, tmp_path):
    out = tmp_path / "log.csv"
    call_command("export_log", company=company.id, sku=sku, output=str(out))
    text = out.read_text(encoding="utf-8")
    return text, list(csv.DictReader(io.StringIO(text)))


def test_the_header_starts_with_the_20_seed_columns_in_order(
    company, warehouses, product_factory, tmp_path
):
    widget = product_factory("CSV-1")
    stock_adjust(company=company, product=widget, warehouse=warehouses[0], change=1)
    text, _ = export(company, "CSV-1", tmp_path)
    assert ",".join(SEED_COLUMNS) == SEED_HEADER
    assert text.startswith(SEED_HEADER + ",sku,sequence,")


def test_rows_are_sorted_by_created_at_then_sequence_with_offsets(
    company, user, warehouses, product_factory, tmp_path
):
    widget = product_factory("CSV-2")
    t0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    stock_adjust(
        company=company,
        product=widget,
        warehouse=warehouses[0],
        change=5,
        created_at=t0 + timedelta(hours=2),
    )
    stock_adjust(company=company, product=widget, warehouse=warehouses[0], change=1, created_at=t0)
    stock_adjust(company=company, product=widget, warehouse=warehouses[0], change=2, created_at=t0)
    _, rows = export(company, "CSV-2", tmp_path)
    assert [r["quantity"] for r in rows] == ["1", "2", "5"]
    assert rows[0]["created_at"] == "2026-03-01T12:00:00.000000+00:00"
    assert int(rows[0]["sequence"]) < int(rows[1]["sequence"])
    assert rows[0]["imported_at"] == "" and rows[0]["cart_type"] == ""


def test_text_cells_are_guarded_against_formulas_but_numbers_stay_numbers(
    company, user, warehouses, product_factory, tmp_path
):
    widget = product_factory("CSV-3")
    stock_set(
        company=company,
        product=widget,
        warehouse=warehouses[0],
        physical_on_hand=4,
        user=user,
        note='=HYPERLINK("http://x")',
    )
    stock_adjust(
        company=company,
        product=widget,
        warehouse=warehouses[0],
        change=-3,
        user=user,
        note="@SUM(A1)",
    )
    _, rows = export(company, "CSV-3", tmp_path)
    assert rows[0]["note"] == '\'=HYPERLINK("http://x")'
    assert rows[1]["note"] == "'@SUM(A1)"
    assert rows[1]["quantity"] == "-3"  # a negative number is a number, not a formula
    assert rows[1]["physical_change"] == "-3"
