"""A merchant's first day, in Chromium and the pages alone (issue 11's "Done when"): from an
empty company made with `stockledger create-company`, add two warehouses, import 50 products
from an XLSX (a kit and a BOM among them), import counts from a CSV with two bad rows
(previewed, fixed, applied), write and receive a PO, enter a manual order and ship it, add a
clerk, sign in as the clerk (who cannot open the channel settings) and export the log of one
product: the CSV holds every row those steps made."""

import csv
import json
import os
import subprocess
import sys

import pytest
from playwright.sync_api import expect

from stockledger.catalog.models import BomLine, KitComponent, Product
from stockledger.core.models import Company
from stockledger.ledger.columns import SEED_COLUMNS
from stockledger.ledger.models import LogEntry

from .conftest import ROOT, sign_in

pytestmark = pytest.mark.browser

OWNER, OWNER_PASSWORD = "ada", "first-day-Pass-1"
CLERK, CLERK_PASSWORD = "bob", "clerk-day-Pass-2"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

BAD_COUNTS = (
    "SKU;Warehouse;Quantity;Mode;Reason;Note\r\n"
    "MUG;Main;12;set;cycle count;shelf A\r\n"
    "P-01;Main;-3;set;;\r\n"
    "MUG;Attic;4;set;;\r\n"
    "P-02;East;7;set;damaged;\r\n"
)
FIXED_COUNTS = BAD_COUNTS.replace("P-01;Main;-3", "P-01;Main;3").replace("MUG;Attic", "MUG;East")


@pytest.fixture
def imports_dir(settings, tmp_path, monkeypatch):
    path = tmp_path / "imports"
    settings.STOCKLEDGER_IMPORTS_DIR = path
    monkeypatch.setenv("STOCKLEDGER_IMPORTS_DIR", str(path))  # the worker's too
    return path


def create_company_with_the_cli(name):
    """`stockledger create-company` as a subprocess, on the live server's test database."""
    from django.db import connection

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.web.browser.worker_settings",
        "STOCKLEDGER_TEST_DB_NAME": str(connection.settings_dict["NAME"]),
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    done = subprocess.run(
        [sys.executable, "-m", "stockledger.cli", "create-company", name]
        + ["--user", OWNER, "--password", OWNER_PASSWORD],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def write_products_xlsx(path):
    """50 products: MUG and 47 simple ones, a kit of MUG and P-01, a shelf made of P-02."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["SKU", "Name", "Kind", "Components"])
    sheet.append(["MUG", "Enamel mug", "simple", ""])
    for n in range(1, 48):
        sheet.append([f"P-{n:02}", f"Part {n}", "simple", ""])
    sheet.append(["KIT-CAMP", "Camping kit", "kit", "MUG:2;P-01:1"])
    sheet.append(["SHELF", "Oak shelf", "manufactured", "P-02:3"])
    book.save(path)
    return path


def open_imports(page):
    page.click("#activity-menu summary")
    page.click("#activity-menu .menu-items >> text=Imports")
    page.wait_for_url("**/imports/")


def upload(page, kind, files):
    page.select_option("select[name=kind]", kind)
    page.set_input_files("input[name=file]", files=files)
    page.click("#import-form button[type=submit]")
    page.wait_for_url("**/imports/*/")


def apply_and_wait(page, rows):
    page.click("#apply-form button[type=submit]")
    # The status polls itself until the worker is done.
    expect(page.locator("#import-outcome")).to_contain_text(f"Applied: {rows} rows", timeout=60_000)


def test_a_merchants_first_day_in_the_pages(new_page, imports_dir, start_worker, tmp_path):
    # 1. An empty company, made with the CLI.
    made = create_company_with_the_cli("First Day Goods")
    company = Company.objects.get(pk=made["company_id"])
    assert not Product.objects.filter(company=company).exists()
    assert not LogEntry.objects.filter(company=company).exists()
    start_worker()

    page = new_page()
    sign_in(page, OWNER, OWNER_PASSWORD)

    # 2. Two warehouses.
    page.goto("/warehouses/")
    for name in ("Main", "East"):
        page.fill("#warehouse-form input[name=name]", name)
        page.click("#warehouse-form button[type=submit]")
        expect(page.locator("#warehouse-table")).to_contain_text(name)

    # 3. 50 products from an XLSX, through Activity -> Imports.
    open_imports(page)
    upload(page, "products", [write_products_xlsx(tmp_path / "products.xlsx")])
    expect(page.locator("#import-summary")).to_contain_text("50 rows read: 50 create")
    expect(page.locator("#import-errors")).to_have_count(0)
    apply_and_wait(page, 50)
    assert Product.objects.filter(company=company).count() == 50
    kit = Product.objects.get(company=company, sku="KIT-CAMP")
    assert sorted(
        KitComponent.objects.filter(kit=kit).values_list("component__sku", "quantity")
    ) == [
        ("MUG", 2),
        ("P-01", 1),
    ]
    shelf = Product.objects.get(company=company, sku="SHELF")
    assert list(
        BomLine.objects.filter(product=shelf).values_list("component__sku", "quantity")
    ) == [("P-02", 3)]

    # 4. Counts with two bad rows: previewed, fixed, uploaded again, applied.
    open_imports(page)
    bad = tmp_path / "counts.csv"
    bad.write_bytes(("\ufeff" + BAD_COUNTS).encode())
    upload(page, "counts", [bad])
    errors = page.locator("#import-errors tbody tr")
    expect(errors).to_have_count(2)
    assert errors.nth(0).inner_text().split("\t")[:2] == ["3", "quantity"]
    expect(errors.nth(0)).to_contain_text("negative count")
    assert errors.nth(1).inner_text().split("\t")[:2] == ["4", "warehouse"]
    expect(errors.nth(1)).to_contain_text("unknown warehouse 'Attic'")
    expect(page.locator("#apply-form")).to_have_count(0)
    assert not LogEntry.objects.filter(company=company).exists()

    page.click("text=upload it again")
    page.wait_for_url("**/imports/?kind=counts")
    fixed = tmp_path / "counts-fixed.csv"
    fixed.write_bytes(("\ufeff" + FIXED_COUNTS).encode())
    upload(page, "counts", [fixed])
    expect(page.locator("#import-summary")).to_contain_text("4 set on hand")
    apply_and_wait(page, 4)

    # 5. A purchase order written and received; a manual order entered and shipped.
    page.goto("/purchase-orders/")
    page.click("text=New purchase order")
    page.wait_for_url("**/purchase-orders/new/")
    page.fill("input[name=supplier]", "Potter & Sons")
    page.select_option("select[name=warehouse]", label="Main")
    page.fill("input[name=line-0-sku]", "MUG")
    page.fill("input[name=line-0-quantity]", "24")
    page.click("#po-form button[type=submit]")
    page.wait_for_url("**/purchase-orders/*/")
    expect(page.locator(".messages")).to_contain_text("saved")
    po_number = page.inner_text("h1").split()[1]
    page.fill("#receive-form input[name=line-0-quantity]", "24")
    page.click("#receive-form button[type=submit]")
    expect(page.locator(".messages")).to_contain_text("recorded")

    page.goto("/orders/")
    page.click("text=New manual order")
    page.wait_for_url("**/orders/new/")
    page.select_option("select[name=warehouse]", label="Main")
    page.fill("input[name=line-0-sku]", "MUG")
    page.fill("input[name=line-0-quantity]", "5")
    page.click("#order-form button[type=submit]")
    expect(page.locator(".messages")).to_contain_text("Order M-000001 entered")
    page.click("text=Ship what remains")
    expect(page.locator(".messages")).to_contain_text("shipped")

    # 6. A clerk added on the people page; the owner signs out, the clerk signs in.
    page.click("#account-menu summary")
    page.click("#account-menu .menu-items >> text=People")
    page.wait_for_url("**/settings/people/")
    page.fill("#add-user-form input[name=username]", CLERK)
    page.fill("#add-user-form input[name=password]", CLERK_PASSWORD)
    page.select_option("#add-user-form select[name=role]", "clerk")
    page.click("#add-user-form button[type=submit]")
    expect(page.locator(".messages")).to_contain_text(f"Added {CLERK} as Clerk")
    expect(page.locator("#people")).to_contain_text(CLERK)
    page.click("button:has-text('Sign out')")
    page.wait_for_url("**/login/**")

    sign_in(page, CLERK, CLERK_PASSWORD)
    assert page.goto("/channels/new/").status == 403
    page.goto("/products/")
    expect(page.locator("#account-menu .menu-items a:has-text('People')")).to_have_count(0)

    # 7. The clerk exports MUG's log and downloads the CSV.
    mug = Product.objects.get(company=company, sku="MUG")
    page.goto(f"/products/{mug.id}/")
    page.click("#export-menu summary")
    page.click("#export-form button[type=submit]")
    expect(page.locator("#export-requested")).to_contain_text("Activity → Exports")
    page.click("#export-requested >> text=Activity → Exports")
    page.wait_for_url("**/exports/")
    button = page.locator("#exports a:has-text('CSV')")
    expect(button).to_have_count(1, timeout=60_000)  # the list refreshes itself until done
    with page.expect_download() as download_info:
        button.click()
    download = download_info.value
    assert download.suggested_filename.startswith("inventory-log-MUG-")
    with open(download.path(), encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    header = rows[0]
    assert tuple(header[:20]) == SEED_COLUMNS
    got = [dict(zip(header, row, strict=True)) for row in rows[1:]]
    assert [
        (
            r["event_type"],
            r["order_step"],
            r["warehouse_name"],
            r["quantity"],
            r["event_id"] if r["event_type"] != "on_hand" else "",
            r["reason"],
            r["user_name"],
        )
        for r in got
    ] == [
        ("on_hand", "", "Main", "12", "", "cycle_count", OWNER),
        ("on_hand", "", "East", "4", "", "", OWNER),
        ("po_received", "", "Main", "24", po_number, "", OWNER),
        ("order", "imported", "Main", "5", "M-000001", "", OWNER),
        ("order", "shipped", "Main", "5", "M-000001", "", OWNER),
    ]
    # Every row the steps wrote for MUG is in the file, and nothing else.
    logged = LogEntry.objects.filter(company=company, product=mug).order_by("id")
    assert [int(r["sequence"]) for r in got] == list(logged.values_list("id", flat=True))
    assert got[0]["note"] == "shelf A"
    assert got[-1]["physical_on_hand"] == "35"  # 12 + 4 counted, 24 received, 5 shipped
