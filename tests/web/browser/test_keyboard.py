"""Keyboard paths in Chromium: the skip link, "Older rows", a queued export, Escape on menus;
and the Inventory Log, the chart and the count form at phone width."""

import pytest
from playwright.sync_api import expect

from stockledger.ledger.services import stock_adjust, stock_set
from stockledger.web.views.log import LOG_PAGE_SIZE

from .conftest import sign_in

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def mug(company, warehouses, product_factory, user):
    """A product with more log rows than two pages of the log."""
    main, _east = warehouses
    mug = product_factory("MUG-BLK", "Enamel mug")
    stock_set(company=company, product=mug, warehouse=main, physical_on_hand=500, user=user)
    for i in range(2 * LOG_PAGE_SIZE + 5):
        stock_adjust(
            company=company, product=mug, warehouse=main, change=-1, note=f"sold {i}", user=user
        )
    return mug


def focused(page) -> dict:
    return page.evaluate(
        """() => { const el = document.activeElement;
                   return {tag: el.tagName, id: el.id, text: el.innerText || '',
                           inMain: !!el.closest('main')}; }"""
    )


def announced(page) -> str:
    # Locator waits, not wait_for_function: the pages' CSP forbids evaluating strings.
    expect(page.locator("#announcer")).not_to_have_text("")
    return page.locator("#announcer").inner_text()


def test_the_first_tab_reaches_a_skip_link_that_moves_focus_to_the_content(page, mug):
    page.goto(f"/products/{mug.id}/")
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "Skip to content"
    assert page.locator(".skip-link").is_visible()  # shown once it has focus
    page.keyboard.press("Enter")
    assert focused(page)["id"] == "main"
    page.keyboard.press("Tab")
    assert focused(page)["inMain"], "the next Tab stays in the content, not the top bar"


def test_older_rows_moves_focus_to_the_first_row_it_loaded(page, mug):
    page.goto(f"/products/{mug.id}/")
    rows = page.locator("#log-table tbody tr[id^=log-]")
    assert rows.count() == LOG_PAGE_SIZE
    last_old = rows.nth(LOG_PAGE_SIZE - 1).get_attribute("id")
    page.locator("#log-table a:has-text('Older rows')").focus()
    page.keyboard.press("Enter")
    # Wait for the older rows themselves (until they arrive, the row after the last old one
    # is the "Older rows" link's).
    expect(rows.nth(LOG_PAGE_SIZE)).to_be_attached()
    first_new = rows.nth(LOG_PAGE_SIZE).get_attribute("id")
    assert page.locator(f"#{last_old} + tr").get_attribute("id") == first_new
    expect(page.locator(f"#{first_new}")).to_be_focused()
    assert announced(page) == f"{LOG_PAGE_SIZE} older rows loaded."
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "Older rows ↓", "Tab goes on from the new rows, not the top"


def test_a_queued_export_takes_focus_and_is_announced(page, mug):
    page.goto(f"/products/{mug.id}/")
    page.locator("#export-menu summary").focus()
    page.keyboard.press("Enter")
    page.locator("#export-form").wait_for()
    page.locator("#export-form button[type=submit]").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#export-requested")).to_be_focused()
    assert announced(page).startswith("Export #")
    assert "MUG-BLK is on its way." in announced(page)
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "Activity → Exports", "the confirmation's link is next"


@pytest.mark.parametrize("menu", ["#export-menu", "#activity-menu"])
def test_escape_closes_the_export_panel_and_the_activity_menu(page, mug, menu):
    page.goto(f"/products/{mug.id}/")
    summary = page.locator(f"{menu} summary")
    summary.focus()
    page.keyboard.press("Enter")
    assert page.locator(menu).get_attribute("open") is not None
    page.keyboard.press("Tab")  # into the panel
    page.keyboard.press("Escape")
    assert page.locator(menu).get_attribute("open") is None
    assert page.evaluate(f"document.activeElement === document.querySelector('{menu} summary')")


@pytest.fixture
def phone(new_page, user):
    page = new_page(viewport=PHONE)
    sign_in(page, user.username)
    return page


def test_at_phone_width_the_log_is_cards_the_chart_readable_and_touch_targets_large(phone, mug):
    phone.goto(f"/products/{mug.id}/")
    phone.locator("#chart svg").wait_for()
    assert phone.evaluate("document.scrollingElement.scrollWidth <= innerWidth")

    row = phone.locator("#log-table tbody tr[id^=log-]").first
    box = row.bounding_box()
    assert box["width"] <= PHONE["width"], "a row fits the phone's width"
    shown = [
        cell.get_attribute("data-label") for cell in row.locator("td").all() if cell.is_visible()
    ]
    # An adjustment has no reference: its empty cell (and label) is left out of the card.
    assert shown == [
        "When",
        "Event",
        "Change",
        "Physical after",
        "Available after",
        "Warehouse",
        "User",
    ]
    assert row.locator("td.change").inner_text().strip() == "\u22121"

    sizes = phone.evaluate(
        """() => { const svg = document.querySelector('#chart svg');
                   const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
                   return [...svg.querySelectorAll('text')].filter((t) => t.getBBox().width > 0)
                     .map((t) => parseFloat(getComputedStyle(t).fontSize) * scale); }"""
    )
    assert sizes and min(sizes) >= 11, sizes

    for selector in (
        "#on-hand-form select",
        "#on-hand-form input[type=number]",
        "#on-hand-form button[type=submit]",
        "#on-hand-form fieldset.radios label",
    ):
        height = phone.locator(selector).first.bounding_box()["height"]
        assert height >= 44, (selector, height)
    fields = phone.locator("#on-hand-form .field").all()
    lefts = {round(field.bounding_box()["x"]) for field in fields}
    assert len(lefts) == 1, "the count form is one column"
