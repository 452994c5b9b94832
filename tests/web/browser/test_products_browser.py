"""In Chromium: sign in, find a product, read and filter its log, count it, stay in one's company."""

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from stockledger.ledger.services import stock_adjust, stock_set

from .conftest import sign_in

pytestmark = pytest.mark.browser

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def stocked(company, warehouses, product_factory, user):
    """MUG with a few days of history in two warehouses, and some other products."""
    main, east = warehouses
    mug = product_factory("MUG-BLK", "Enamel mug, black")
    product_factory("BOWL-16", "Enamel bowl")
    product_factory("SPORK", "Titanium spork")
    stock_set(company=company, product=mug, warehouse=main, physical_on_hand=20, created_at=T0)
    stock_set(company=company, product=mug, warehouse=east, physical_on_hand=6, created_at=T0)
    for day in range(1, 6):
        stock_adjust(
            company=company,
            product=mug,
            warehouse=main,
            change=-1,
            user=user,
            note=f"sold day {day}",
            created_at=T0 + timedelta(days=day),
        )
    return mug


def log_rows(page):
    return page.locator("#log-table tbody tr[id^=log-]")


def test_signing_in_with_a_wrong_password_stays_on_the_form(new_page, user):
    page = new_page()
    page.goto("/products/")
    page.wait_for_url("**/login/?next=/products/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", "wrong")
    page.click("button[type=submit]")
    assert "enter a correct username and password" in page.inner_text("main")
    sign_in(page, user.username)
    assert page.inner_text(".topbar .company") == "Acme Goods"
    assert page.inner_text(".topbar .user") == user.username
    page.click("text=Sign out")
    page.wait_for_url("**/login/")


def test_search_a_product_then_read_and_filter_its_log(page, stocked, warehouses):
    page.fill("#product-search", "mug")
    expect(page.locator("#product-results td.sku")).to_have_count(1)
    assert "q=mug" in page.url  # the search is linkable
    page.click("#product-results >> text=MUG-BLK")
    page.wait_for_url(f"**/products/{stocked.id}/")
    assert page.inner_text("[data-total=physical]") == "21"

    rows = log_rows(page)
    assert rows.count() == 7
    assert "sold day 5" in rows.first.inner_text()  # newest first
    assert rows.first.locator("td").first.inner_text() == "2025-03-06 09:00"

    page.select_option("#log-filters select[name=warehouse]", str(warehouses[1].id))
    expect(page.locator("#log-table tbody tr[id^=log-]")).to_have_count(1)
    assert "East" in rows.first.inner_text()

    page.select_option("#log-filters select[name=warehouse]", "")
    page.fill("#log-filters input[name=since]", "2025-03-03")
    page.fill("#log-filters input[name=until]", "2025-03-04")
    page.click("#log-filters button[type=submit]")
    expect(page.locator("#log-table tbody tr[id^=log-]")).to_have_count(2)
    when = page.locator("#log-table tbody tr[id^=log-] > td:first-child")
    assert [text.strip() for text in when.all_inner_texts()] == [
        "2025-03-04 09:00",
        "2025-03-03 09:00",
    ]
    # The chart was drawn from the same log.
    assert page.locator("#chart svg path.physical").count() == 1


def test_adjust_on_hand_shows_the_new_row_and_refreshes_the_page(page, stocked, log_of):
    page.goto(f"/products/{stocked.id}/")
    page.check("#on-hand-form input[value=adjust]")
    page.fill("#on-hand-form input[name=quantity]", "-100")
    page.click("#on-hand-form button[type=submit]")
    error = page.locator("#on-hand .field-error")
    error.wait_for()
    assert "cannot take 100" in error.inner_text()
    assert len(log_of(stocked)) == 7

    page.fill("#on-hand-form input[name=quantity]", "4")
    page.fill("#on-hand-form input[name=note]", "found behind shelf")
    page.click("#on-hand-form button[type=submit]")
    page.locator("#on-hand .result").wait_for()
    entry = log_of(stocked)[-1]
    assert (entry.quantity, entry.note) == (4, "found behind shelf")
    assert page.locator(f"#on-hand #log-{entry.id}").count() == 1
    # The log table, the quantities and the chart follow without a reload.
    page.locator(f"#log-table #log-{entry.id}").wait_for()
    assert log_rows(page).first.get_attribute("id") == f"log-{entry.id}"
    expect(page.locator("[data-total=physical]")).to_have_text("25")


def test_another_companys_product_is_not_found(new_page, stocked, other_api):
    page = new_page()
    sign_in(page, other_api.user.username)
    response = page.goto(f"/products/{stocked.id}/")
    assert response.status == 404
    page.goto("/products/?q=MUG")
    assert page.locator("#product-results td.sku").count() == 0


def test_user_text_is_shown_as_text_never_run(page, company, warehouses, product_factory):
    evil = product_factory(
        "XSS-1", "<script>window.pwned = 1</script><img src=x onerror=window.pwned=2>"
    )
    stock_set(
        company=company,
        product=evil,
        warehouse=warehouses[0],
        physical_on_hand=1,
        note="<script>window.pwned = 3</script>",
    )
    page.goto("/products/?q=XSS")
    assert "<script>window.pwned = 1</script>" in page.inner_text("#product-results")
    page.click("text=XSS-1")
    page.wait_for_url(f"**/products/{evil.id}/")
    page.locator("#chart svg").wait_for()
    assert "<img src=x" in page.inner_text(".subtitle")
    assert "<script>window.pwned = 3</script>" in page.inner_text("#log-table")
    assert page.evaluate("window.pwned") is None


def test_on_a_phone_the_log_fits_as_cards_and_nothing_scrolls_sideways(new_page, user, stocked):
    page = new_page(viewport={"width": 390, "height": 844})
    sign_in(page, user.username)
    page.goto(f"/products/{stocked.id}/")
    page.locator("#chart svg").wait_for()
    page_width = page.evaluate("document.documentElement.scrollWidth")
    assert page_width <= 390  # the page itself never scrolls sideways
    wrap = page.locator("#log .table-wrap")
    assert wrap.evaluate("e => e.scrollWidth <= e.clientWidth")  # cards, not a cut table
    assert page.locator("#log-table thead").is_hidden()
    assert page.locator("#log-table td.change").first.is_visible()
