"""In Chromium, from the pages alone: a warehouse, a kit with components and a manufactured
product with a bill of materials."""

import pytest

from stockledger.catalog.models import BomLine, KitComponent, Product
from stockledger.warehouses.models import Warehouse

pytestmark = pytest.mark.browser


def create_product(page, sku, name, kind):
    page.goto("/products/")
    page.click("#new-product")
    page.wait_for_url("**/products/new/")
    page.fill("input[name=sku]", sku)
    page.fill("input[name=name]", name)
    page.select_option("select[name=kind]", kind)
    page.click("#product-form button[type=submit]")


def test_set_up_a_warehouse_a_kit_and_a_manufactured_product_in_the_pages(page, company):
    # An empty company is invited to add its first warehouse.
    page.goto("/products/")
    page.click("text=your first warehouse")
    page.wait_for_url("**/warehouses/")
    page.fill("#warehouse-form input[name=name]", "Main")
    page.click("#warehouse-form button[type=submit]")
    page.wait_for_url("**/warehouses/")
    assert "Main" in page.inner_text("#warehouse-table")
    page.click("nav.tabs >> text=Warehouses")
    assert page.locator("nav.tabs a[aria-current=page]").inner_text() == "Warehouses"

    for sku, name in [("CUP", "Enamel cup"), ("LID", "Cup lid"), ("WOOD", "Oak plank")]:
        create_product(page, sku, name, "simple")
        page.wait_for_url("**/products/*/")

    # A look-alike SKU is refused next to the field.
    create_product(page, "ｃｕｐ", "Again", "simple")
    error = page.locator("#product-form .field-error")
    error.wait_for()
    assert "CUP" in error.inner_text()

    # A kit: created, then its components added on its page with the SKU suggestions.
    create_product(page, "CUP-SET", "Cup with lid", "kit")
    page.wait_for_url("**/products/*/edit/#lines")
    page.fill("input[name=line-0-sku]", "CU")
    page.locator("#sku-options option[value=CUP]").wait_for(state="attached")
    page.fill("input[name=line-0-sku]", "CUP")
    page.fill("input[name=line-0-quantity]", "2")
    page.fill("input[name=line-1-sku]", "NOPE")
    page.fill("input[name=line-1-quantity]", "1")
    page.click("#lines-form button[type=submit]")
    line_error = page.locator("[data-line='1'] .field-error")
    line_error.wait_for()
    assert "unknown SKU" in line_error.inner_text()
    page.fill("input[name=line-1-sku]", "LID")
    page.click("#add-line")
    page.locator("input[name=line-3-sku]").wait_for()
    page.click("#lines-form button[type=submit]")
    page.wait_for_url("**/products/*/")
    assert "Components of CUP-SET saved" in page.inner_text(".messages")
    kit = Product.objects.get(company=company, sku="CUP-SET")
    assert sorted(
        KitComponent.objects.filter(kit=kit).values_list("component__sku", "quantity")
    ) == [("CUP", 2), ("LID", 1)]
    assert "LID" in page.inner_text("#quantities")

    # A manufactured product with a bill of materials.
    create_product(page, "SHELF", "Oak shelf", "manufactured")
    page.wait_for_url("**/products/*/edit/#lines")
    page.fill("input[name=line-0-sku]", "WOOD")
    page.fill("input[name=line-0-quantity]", "3")
    page.click("#lines-form button[type=submit]")
    page.wait_for_url("**/products/*/")
    shelf = Product.objects.get(company=company, sku="SHELF")
    assert list(
        BomLine.objects.filter(product=shelf).values_list("component__sku", "quantity")
    ) == [("WOOD", 3)]
    assert "WOOD" in page.inner_text("#quantities")
    assert Warehouse.objects.filter(company=company).count() == 1
