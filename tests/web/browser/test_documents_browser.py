"""In Chromium: transfer stock between warehouses from a product's page."""

import pytest

from stockledger.ledger.services import stock_set

pytestmark = pytest.mark.browser


def test_transfer_stock_from_the_product_page(page, company, warehouses, product_factory, log_of):
    main, east = warehouses
    mug = product_factory("MUG-BLK", "Enamel mug")
    stock_set(company=company, product=mug, warehouse=main, physical_on_hand=12)
    page.goto(f"/products/{mug.id}/")
    page.click("text=Transfer…")
    page.wait_for_url("**/transfers/new/?sku=MUG-BLK")
    assert page.input_value("input[name=line-0-sku]") == "MUG-BLK"

    page.select_option("select[name=sending_warehouse]", label="Main")
    page.select_option("select[name=receiving_warehouse]", label="East")
    page.fill("input[name=line-0-quantity]", "50")
    page.click("#transfer-form button[type=submit]")
    error = page.locator("[data-line='0'] .field-error")
    error.wait_for()
    assert "Main holds 12 of MUG-BLK; cannot transfer 50" in error.inner_text()

    page.click("#add-line")
    page.locator("input[name=line-3-sku]").wait_for()
    page.fill("input[name=line-0-quantity]", "5")
    page.fill("input[name=line-0-notes]", "for the window display")
    page.fill("textarea[name=notes]", "Friday run")
    page.click("#transfer-form button[type=submit]")
    page.wait_for_url("**/transfers/*/")
    _sent, arrived = log_of(mug, event_type="inventory_transfer")
    assert "saved" in page.inner_text(".messages")
    rows = page.locator("#doc-log tbody tr")
    assert rows.count() == 2
    assert "for the window display" in rows.first.inner_text()

    page.goto(f"/products/{mug.id}/")
    assert page.inner_text("[data-total=physical]") == "12"
    east_row = page.locator("#quantities tbody tr", has_text="East")
    assert east_row.locator("td").nth(1).inner_text() == "5"
    assert page.locator(f"#log-table #log-{arrived.id}").count() == 1
