"""In Chromium, with a real job worker: upload a count CSV with two bad rows, read the
preview, upload the fixed file, apply it, and watch it complete."""

import pytest

from stockledger.imports.models import Import
from stockledger.ledger.models import LogEntry

from .conftest import wait_for

pytestmark = pytest.mark.browser

BAD = (
    "\ufeffSKU;Warehouse;Quantity;Mode;Reason;Note\r\n"
    "MUG;Main;12;set;cycle count;shelf A\r\n"
    "SPORK;Main;-3;set;;\r\n"
    "MUG;Attic;4;set;;\r\n"
    "SPORK;East;7;set;damaged;\r\n"
)
FIXED = BAD.replace("SPORK;Main;-3", "SPORK;Main;3").replace("MUG;Attic", "MUG;East")


@pytest.fixture
def imports_dir(settings, tmp_path, monkeypatch):
    path = tmp_path / "imports"
    settings.STOCKLEDGER_IMPORTS_DIR = path
    monkeypatch.setenv("STOCKLEDGER_IMPORTS_DIR", str(path))  # the worker's too
    return path


def upload(page, text):
    page.goto("/imports/")
    page.select_option("select[name=kind]", "counts")
    page.set_input_files(
        "input[name=file]",
        files=[{"name": "counts.csv", "mimeType": "text/csv", "buffer": text.encode()}],
    )
    page.click("#import-form button[type=submit]")
    page.wait_for_url("**/imports/*/")


def test_a_count_file_with_two_bad_rows_is_previewed_fixed_and_applied(
    page, imports_dir, warehouses, product_factory, start_worker, user
):
    product_factory("MUG"), product_factory("SPORK")
    start_worker()
    upload(page, BAD)
    errors = page.locator("#import-errors tbody tr")
    assert errors.count() == 2
    assert errors.nth(0).inner_text().split("\t")[:2] == ["3", "quantity"]
    assert "negative count" in errors.nth(0).inner_text()
    assert "unknown warehouse 'Attic'" in errors.nth(1).inner_text()
    assert page.locator("#apply-form").count() == 0
    assert not LogEntry.objects.exists()

    page.click("text=upload it again")
    page.wait_for_url("**/imports/?kind=counts")
    upload(page, FIXED)
    assert "4 set on hand" in page.locator("#import-summary").inner_text()
    page.click("#apply-form button[type=submit]")
    outcome = page.locator("#import-outcome")
    outcome.wait_for(timeout=60_000)  # the status polls itself until the worker is done
    assert "Applied: 4 rows" in outcome.inner_text()
    job = Import.objects.order_by("-id").first()
    assert job.status == "complete"
    rows = LogEntry.objects.order_by("id")
    assert [(r.sku, r.warehouse_name, r.quantity, r.reason, r.user_name) for r in rows] == [
        ("MUG", "Main", 12, "cycle_count", user.username),
        ("SPORK", "Main", 3, None, user.username),
        ("MUG", "East", 4, None, user.username),
        ("SPORK", "East", 7, "damaged", user.username),
    ]
    page.goto("/imports/")
    wait_for(lambda: page.locator(f"#import-{job.id}[data-status=complete]").count(), what="list")
