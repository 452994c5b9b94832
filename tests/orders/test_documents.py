"""What a document caused: its log rows by document, and in the exported CSV."""

import csv
import io

from django.core.management import call_command

from stockledger.manufacturing.selectors import mo_detail, mo_log_entries, mos_list
from stockledger.manufacturing.services import mo_create, mo_finish
from stockledger.orders.selectors import order_detail, order_log_entries, orders_list
from stockledger.orders.services import order_cancel, order_ship


def test_an_orders_log_rows_are_found_by_the_order(company, stocked, import_order):
    order, _ = import_order("D-1", [("KIT", 2), ("A", 1)])
    other, _ = import_order("D-2", [("A", 1)])
    order_ship(company=company, order=order, lines=[{"sku": "KIT", "quantity": 1}])
    order_cancel(company=company, order=order)

    rows = list(order_log_entries(company=company, order=order))
    assert [(r.sku, r.order_step, r.quantity, r.kit_sku) for r in rows] == [
        ("A", "imported", 2, "KIT"),
        ("B", "imported", 4, "KIT"),
        ("KIT", "imported", 2, ""),
        ("A", "imported", 1, ""),
        ("A", "shipped", 1, "KIT"),
        ("B", "shipped", 2, "KIT"),
        ("KIT", "shipped", 1, ""),
        ("A", "cancelled", 1, "KIT"),
        ("B", "cancelled", 2, "KIT"),
        ("KIT", "cancelled", 1, ""),
        ("A", "cancelled", 1, ""),
    ]
    assert [r.event_id for r in order_log_entries(company=company, order=other)] == ["D-2"]


def test_order_selectors_read_lists_and_one_order_with_its_lines(
    company, stocked, import_order, django_assert_max_num_queries
):
    order, _ = import_order("D-3", [("KIT", 1), ("A", 1)])
    with django_assert_max_num_queries(4):
        detail = order_detail(company=company, order_id=order.id)
        lines = list(detail.lines.all())
        assert [line.product.sku for line in lines] == ["KIT", "A"]
        assert [c.component.sku for c in lines[0].components.all()] == ["A", "B"]
        assert detail.channel.name == "Shop" and detail.warehouse.name == "Main"
    assert list(orders_list(company=company, status="open")) == [order]
    assert list(orders_list(company=company, status="shipped")) == []


def test_an_mo_shows_in_product_and_component_logs_and_by_document(
    company, warehouses, product_factory, log_of, verify_clean
):
    from stockledger.ledger.services import stock_set

    main, _ = warehouses
    part = product_factory("PART")
    made = product_factory("MADE", bom=[{"sku": "PART", "quantity": 3}])
    stock_set(company=company, product=part, warehouse=main, physical_on_hand=9)
    mo = mo_create(company=company, number="MO-D", product=made, quantity=3, warehouse=main)
    mo_finish(company=company, mo=mo, quantity=2)

    rows = list(mo_log_entries(company=company, mo=mo))
    assert [(r.sku, r.quantity, r.physical_on_hand, r.event_id) for r in rows] == [
        ("MADE", 2, 2, "MO-D"),
        ("PART", -6, 3, "MO-D"),
    ]
    assert log_of(made) == rows[:1]
    assert log_of(part)[-1] == rows[1]
    assert mo_detail(company=company, mo_id=mo.id).remaining == 1
    assert [m.number for m in mos_list(company=company, status="partially_finished")] == ["MO-D"]
    verify_clean()


def test_a_kit_orders_rows_in_the_exported_csv_with_components(
    company, stocked, import_order, tmp_path
):
    order, _ = import_order("CSV-1", [("KIT", 1)])
    order_ship(company=company, order=order)
    out = tmp_path / "kit.csv"
    call_command(
        "export_log", company=company.id, sku="KIT", include_components=True, output=str(out)
    )
    rows = [
        r
        for r in csv.DictReader(io.StringIO(out.read_text(encoding="utf-8")))
        if r["event_type"] == "order"
    ]
    assert [(r["sku"], r["quantity"], r["order_step"], r["kit_sku"]) for r in rows] == [
        ("A", "1", "imported", "KIT"),
        ("B", "2", "imported", "KIT"),
        ("KIT", "1", "imported", ""),
        ("A", "1", "shipped", "KIT"),
        ("B", "2", "shipped", "KIT"),
        ("KIT", "1", "shipped", ""),
    ]
    imported = rows[0]
    assert imported["created_at"] == "2025-03-01T09:30:00.000000+00:00"
    assert (
        imported["imported_at"].endswith("+00:00")
        and imported["imported_at"] == (rows[3]["imported_at"])
    )
    assert (imported["event_id"], imported["cart_type"], imported["cart_name"]) == (
        "CSV-1",
        "shopify",
        "Shop",
    )
    assert imported["cart_id"] == str(order.channel_id)
    assert (imported["physical_on_hand"], imported["available_on_hand"]) == ("10", "9")
