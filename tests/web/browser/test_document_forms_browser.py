"""In Chromium, in the pages alone: write a purchase order and receive it, enter a manual order
and ship it, then read the rows those steps logged on the product's page."""

import pytest

from stockledger.ledger.models import LogEntry

pytestmark = pytest.mark.browser


def test_write_and_receive_a_po_then_enter_and_ship_a_manual_order(
    page, company, warehouses, product_factory, user
):
    main, _ = warehouses
    mug = product_factory("MUG-BLK", "Enamel mug")
    product_factory("BOWL-1", "Bowl")

    # A purchase order with a line picked from the SKU suggestions.
    page.goto("/purchase-orders/")
    page.click("text=New purchase order")
    page.wait_for_url("**/purchase-orders/new/")
    page.fill("input[name=supplier]", "Potter & Sons")
    page.select_option("select[name=warehouse]", label="Main")
    page.locator("input[name=line-0-sku]").press_sequentially("mug")
    page.locator("#sku-options option[value='MUG-BLK']").wait_for(state="attached")
    page.fill("input[name=line-0-sku]", "MUG-BLK")
    page.fill("input[name=line-0-quantity]", "0")
    page.click("#po-form button[type=submit]")
    error = page.locator("[data-line='0'] .field-error")
    error.wait_for()
    assert "Enter 1 or more." in error.inner_text()
    page.fill("input[name=line-0-quantity]", "24")
    page.click("#add-line")
    page.locator("input[name=line-3-sku]").wait_for()
    page.fill("input[name=line-3-sku]", "BOWL-1")
    page.fill("input[name=line-3-quantity]", "6")
    page.click("#po-form button[type=submit]")
    page.wait_for_url("**/purchase-orders/*/")
    assert "saved" in page.inner_text(".messages")
    po_number = page.inner_text("h1").split()[1]

    # Receive part of it, then close it with the rest outstanding.
    page.fill("#receive-form input[name=line-0-quantity]", "20")
    page.fill("#receive-form input[name=line-1-quantity]", "0")
    page.click("#receive-form button[type=submit]")
    page.wait_for_url("**/purchase-orders/*/")
    assert "recorded" in page.inner_text(".messages")
    assert page.locator("text=Edit").count() == 0  # received: no longer editable
    page.click("#close-form button")
    page.wait_for_url("**/purchase-orders/*/")
    assert "still outstanding" in page.inner_text(".messages")

    # A manual order on the Manual channel, then shipped from its page.
    page.goto("/orders/")
    page.click("text=New manual order")
    page.wait_for_url("**/orders/new/")
    page.select_option("select[name=warehouse]", label="Main")
    page.fill("input[name=line-0-sku]", "MUG-BLK")
    page.fill("input[name=line-0-quantity]", "5")
    page.click("#order-form button[type=submit]")
    page.wait_for_url("**/orders/*/")
    assert "Order M-000001 entered" in page.inner_text(".messages")
    page.click("text=Ship what remains")
    page.wait_for_url("**/orders/*/")
    assert "shipped" in page.inner_text(".messages")

    # The product's log shows every row those steps wrote.
    page.goto(f"/products/{mug.id}/")
    assert page.inner_text("[data-total=physical]") == "15"
    rows = list(LogEntry.objects.filter(product=mug).order_by("id"))
    assert [(r.event_type, r.order_step, r.quantity, r.event_id) for r in rows] == [
        ("po_received", "", 20, po_number),
        ("order", "imported", 5, "M-000001"),
        ("order", "shipped", 5, "M-000001"),
    ]
    assert all(r.user_name == user.username for r in rows)
    for row in rows:
        assert page.locator(f"#log-table #log-{row.id}").count() == 1
    assert page.locator("#log-table tr[data-event=po_received]").count() == 1
    assert page.locator("#log-table tr[data-event=order]").count() == 2


def test_the_mo_form_says_live_whether_the_components_suffice(
    page, company, warehouses, product_factory
):
    from stockledger.ledger.services import stock_set

    main, _ = warehouses
    leg = product_factory("LEG")
    product_factory("TABLE", bom=[{"sku": "LEG", "quantity": 4}])
    stock_set(company=company, product=leg, warehouse=main, physical_on_hand=10)
    page.goto("/manufacturing-orders/new/")
    assert "Type the SKU" in page.inner_text("#components-check")
    page.locator("#mo-form input[name=sku]").press_sequentially("TABLE")
    page.fill("#mo-form input[name=quantity]", "3")
    page.select_option("#mo-form select[name=warehouse]", label="Main")
    verdict = page.locator("#check-verdict")
    verdict.wait_for()
    assert "Not enough components in Main to make 3 × TABLE" in verdict.inner_text()
    assert "short 2" in page.inner_text("#components-check")
    page.fill("#mo-form input[name=quantity]", "2")
    page.locator("#check-verdict", has_text="suffice to make 2").wait_for()
    page.click("#mo-form button[type=submit]")
    page.wait_for_url("**/manufacturing-orders/*/")
    assert "started" in page.inner_text(".messages")
    assert "The components suffice to make 2 × TABLE" in page.inner_text("#components-check")
