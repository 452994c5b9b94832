"""Importing products (kits and bills of materials among them) and purchase order lines."""

import pytest

from stockledger.catalog.models import BomLine, KitComponent, Product
from stockledger.imports.selectors import import_errors
from stockledger.purchasing.models import PurchaseOrder

from .conftest import csv_file, xlsx_file


def errors_of(job):
    return [(e.row_number, e.column, e.message) for e in import_errors(job)]


def test_products_with_a_kit_and_a_bom_are_previewed_then_created(
    upload, confirm_and_run, company, product_factory
):
    product_factory("OLD", "Already here")
    rows = [
        ["SKU", "Name", "Kind", "Components"],
        ["KIT-1", "Camp kit", "kit", "MUG:2;SPORK:1"],  # components further down the file
        ["MUG", "Mug", "", ""],
        ["SPORK", "Spork", "simple", ""],
        ["LAMP", "Lamp", "manufactured", "MUG:1;OLD:3"],
        ["OLD", "Already here", "", ""],
    ]
    job = upload("products", xlsx_file(rows))
    assert job.status == "ready", errors_of(job) or job.error
    assert job.actions == {"create": 4, "exists": 1}
    assert not Product.objects.filter(company=company, sku="MUG").exists()
    job = confirm_and_run(job)
    assert job.status == "complete", job.error
    kit = Product.objects.get(company=company, sku="KIT-1")
    assert kit.kind == "kit"
    assert sorted(
        KitComponent.objects.filter(kit=kit).values_list("component__sku", "quantity")
    ) == [("MUG", 2), ("SPORK", 1)]
    lamp = Product.objects.get(company=company, sku="LAMP")
    assert lamp.kind == "manufactured"
    assert sorted(
        BomLine.objects.filter(product=lamp).values_list("component__sku", "quantity")
    ) == [
        ("MUG", 1),
        ("OLD", 3),
    ]


def test_bad_product_rows_are_listed_with_row_column_and_reason(upload, company):
    rows = [
        ["sku", "name", "kind", "components"],
        ["A", "Alpha", "", ""],
        ["A", "Alpha again", "", ""],
        ["", "No SKU", "", ""],
        ["B", "", "", ""],
        ["C", "Gamma", "gadget", ""],
        ["D", "Delta", "kit", ""],
        ["E", "Epsilon", "kit", "GHOST:1"],
        ["F", "Phi", "kit", "A:zero"],
    ]
    job = upload("products", csv_file(rows))
    assert job.status == "invalid"
    assert errors_of(job) == [
        (3, "sku", "duplicate SKU in the file: A is also on row 2"),
        (4, "sku", "no SKU given"),
        (5, "name", "no name given"),
        (6, "kind", "kind must be simple, kit or manufactured, not 'gadget'"),
        (7, "components", 'a kit product needs components ("SKU:qty;SKU:qty")'),
        (8, "components", "unknown component SKU 'GHOST'"),
        (9, "components", "component 'A': quantity 'zero' is not a number"),
    ]
    assert not Product.objects.filter(company=company, sku="A").exists()


def test_purchase_order_lines_make_one_po_per_number(
    upload, confirm_and_run, company, user, product_factory, warehouses
):
    product_factory("MUG"), product_factory("CUP")
    rows = [
        ["PO Number", "Supplier", "SKU", "Quantity", "Warehouse"],
        ["PO-1", "Acme", "MUG", "10", "Main"],
        ["PO-2", "Bolt", "CUP", "5", "East"],
        ["PO-1", "Acme", "CUP", "3", "Main"],
    ]
    job = upload("purchase_orders", csv_file(rows, delimiter=";"))
    assert job.status == "ready", errors_of(job)
    assert job.actions == {"po_line": 3}
    job = confirm_and_run(job)
    assert job.status == "complete", job.error
    po1 = PurchaseOrder.objects.get(company=company, number="PO-1")
    assert po1.warehouse.name == "Main" and po1.created_by == user
    assert sorted(po1.lines.values_list("product__sku", "quantity_ordered")) == [
        ("CUP", 3),
        ("MUG", 10),
    ]
    assert PurchaseOrder.objects.get(company=company, number="PO-2").warehouse.name == "East"


def test_bad_purchase_order_rows_are_listed(upload, company, product_factory, warehouses):
    product_factory("MUG"), product_factory("CUP")
    product_factory("KIT", components=[{"sku": "MUG", "quantity": 1}])
    upload_ok = upload(
        "purchase_orders",
        csv_file([["po_number", "sku", "quantity", "warehouse"], ["PO-OLD", "MUG", "1", "Main"]]),
    )
    from stockledger.imports.services import import_confirm
    from stockledger.imports.tasks import apply_import

    import_confirm(company=company, user=None, import_id=upload_ok.id)
    apply_import.call(upload_ok.id)
    rows = [
        ["po_number", "sku", "quantity", "warehouse"],
        ["PO-OLD", "CUP", "1", "Main"],
        ["PO-9", "MUG", "0", "Main"],
        ["PO-9", "KIT", "1", "Main"],
        ["PO-9", "CUP", "2", "Main"],
        ["PO-9", "CUP", "2", "Main"],
        ["PO-9", "MUG", "2", "East"],
        ["PO-8", "MUG", "2", ""],
    ]
    job = upload("purchase_orders", csv_file(rows))
    assert errors_of(job) == [
        (2, "po_number", "purchase order 'PO-OLD' already exists"),
        (3, "quantity", "quantity must be at least 1"),
        (4, "sku", "KIT is a kit: kits hold no stock; order its components"),
        (6, "sku", "CUP is listed twice in PO PO-9 (also row 5)"),
        (7, "warehouse", "PO PO-9: every line needs the warehouse of row 5"),
        (8, "warehouse", "no warehouse given"),
    ]


@pytest.mark.postgres_only
def test_a_large_products_import_refreshes_the_catalogues_statistics(
    upload, confirm_and_run, company, product_factory, monkeypatch
):
    """Sessions replan the foreign-key checks they cached while the catalogue was small."""
    from django.db import connection

    from stockledger.imports import table_stats

    def planned_rows() -> float:
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'catalog_product'")
            return cursor.fetchone()[0]

    product_factory("OLD", "Already here")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE catalog_product")
    assert planned_rows() == 1
    monkeypatch.setattr(table_stats, "ANALYZE_AFTER_ROWS", 3)
    rows = [["SKU", "Name"], *([f"P-{i}", f"Product {i}"] for i in range(5))]
    job = confirm_and_run(upload("products", csv_file(rows)))
    assert job.status == "complete", job.error
    assert planned_rows() == 6
