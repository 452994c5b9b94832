"""In Chromium, with a real job worker: export a product's log and download the CSV, export
a kit with its components, read a failed export's reason, and stay out of other companies'."""

import csv
import io

import pytest

from stockledger.exports.models import Export
from stockledger.ledger.columns import SEED_COLUMNS
from stockledger.ledger.services import stock_adjust, stock_set

from .conftest import sign_in, wait_for

pytestmark = pytest.mark.browser


@pytest.fixture
def mugs(company, warehouses, product_factory, user):
    main, east = warehouses
    mug = product_factory("MUG-BLK", "Enamel mug")
    spork = product_factory("SPORK", "Spork")
    kit = product_factory(
        "KIT-CAMP", components=[{"sku": "MUG-BLK", "quantity": 2}, {"sku": "SPORK", "quantity": 1}]
    )
    stock_set(company=company, product=mug, warehouse=main, physical_on_hand=10, user=user)
    stock_set(company=company, product=spork, warehouse=east, physical_on_hand=7, user=user)
    stock_adjust(company=company, product=mug, warehouse=east, change=3, note="found")
    return mug, spork, kit


def open_export_panel(page, product):
    page.goto(f"/products/{product.id}/")
    page.click("#export-menu summary")
    page.locator("#export-form").wait_for()


def test_export_the_log_and_download_the_csv(page, mugs, warehouses, start_worker):
    mug, _, _ = mugs
    start_worker()
    open_export_panel(page, mug)
    page.check(f"#export-form input[name=warehouses][value='{warehouses[0].id}']")
    page.click("#export-form button[type=submit]")
    message = page.locator("#export-requested")
    message.wait_for()
    assert "Activity → Exports" in message.inner_text()

    page.click("#export-requested >> text=Activity → Exports")
    page.wait_for_url("**/exports/")
    export = Export.objects.get()
    button = page.locator(f"#export-{export.id} a:has-text('CSV')")
    button.wait_for(timeout=60_000)  # the list refreshes itself until the worker is done
    row = page.locator(f"#export-{export.id}")
    assert "Complete" in row.inner_text()
    with page.expect_download() as download_info:
        button.click()
    download = download_info.value
    assert download.suggested_filename.startswith("inventory-log-MUG-BLK-")
    text = open(download.path(), encoding="utf-8-sig").read()
    rows = list(csv.reader(io.StringIO(text)))
    assert tuple(rows[0][:20]) == SEED_COLUMNS
    # Only the Main warehouse was asked for: the one count there.
    assert len(rows) == 2 and rows[1][rows[0].index("warehouse_name")] == "Main"


def test_export_a_kit_with_its_components(page, mugs, start_worker):
    _, _, kit = mugs
    start_worker()
    open_export_panel(page, kit)
    page.check("#export-form input[name=include_components]")
    page.click("#export-form button[type=submit]")
    page.locator("#export-requested").wait_for()
    page.goto("/exports/")
    export = Export.objects.get()
    button = page.locator(f"#export-{export.id} a:has-text('CSV')")
    button.wait_for(timeout=60_000)
    assert "with components" in page.inner_text(f"#export-{export.id}")
    with page.expect_download() as download_info:
        button.click()
    text = open(download_info.value.path(), encoding="utf-8-sig").read()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert sorted(r["sku"] for r in rows) == ["MUG-BLK", "MUG-BLK", "SPORK"]
    assert [r["created_at"] for r in rows] == sorted(r["created_at"] for r in rows)


def test_a_failed_export_shows_its_reason(page, mugs, start_worker):
    mug, _, _ = mugs
    start_worker(full_disk=True)
    open_export_panel(page, mug)
    page.click("#export-form button[type=submit]")
    page.locator("#export-requested").wait_for()
    page.goto("/exports/")
    export = Export.objects.get()
    failed = page.locator(f"#export-{export.id}[data-status=failed]")
    failed.wait_for(timeout=60_000)
    export.refresh_from_db()
    assert "No space left on device" in export.error
    assert export.error in failed.inner_text()
    assert failed.locator("a:has-text('CSV')").count() == 0
    assert page.get_attribute("#exports", "data-polling") == "off"


def test_another_companys_product_and_export_are_not_found(
    new_page, mugs, other_api, start_worker, user
):
    mug, _, _ = mugs
    start_worker()
    mine = new_page()
    sign_in(mine, user.username)
    open_export_panel(mine, mug)
    mine.click("#export-form button[type=submit]")
    mine.locator("#export-requested").wait_for()
    export = Export.objects.get()
    wait_for(lambda: Export.objects.get(pk=export.pk).status == "complete", what="the export")

    theirs = new_page()
    sign_in(theirs, other_api.user.username)
    assert theirs.goto(f"/products/{mug.id}/").status == 404
    assert theirs.goto(f"/exports/{export.id}/file/").status == 404
    theirs.goto("/exports/")
    assert theirs.locator(f"#export-{export.id}").count() == 0
    assert "No exports yet" in theirs.inner_text("#exports-table")
