"""`make screenshots`: serve the demo data and take a PNG of each major page.

    python tools/screenshots.py docs/screenshots

Starts `stockledger serve --demo-if-empty` (with its job worker) on a free port with a
temporary STOCKLEDGER_HOME and SQLite, signs in with the demo login and drives Debian's
Chromium through the pages with Playwright.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from playwright.sync_api import expect

if TYPE_CHECKING:
    from playwright.sync_api import ViewportSize

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP: ViewportSize = {"width": 1360, "height": 900}
PHONE: ViewportSize = {"width": 390, "height": 844}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_ready(url: str, server: subprocess.Popen, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server stopped (exit {server.returncode}) before it was ready")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"the server did not answer {url}/healthz within {timeout:.0f} s")


def demo_password(home: Path) -> str:
    text = (home / "demo-login.txt").read_text()
    match = re.search(r"password (\S+)", text)
    if not match:
        raise SystemExit(f"no password in {home / 'demo-login.txt'}: {text!r}")
    return match.group(1)


class Shooter:
    def __init__(self, page, base: str, out: Path, server_env: dict[str, str] | None = None):
        self.page = page
        self.server_env = server_env or dict(os.environ)
        self.base = base
        self.out = out
        self.taken: list[Path] = []

    def go(self, path: str) -> None:
        self.page.goto(self.base + path)
        self.settle()

    def settle(self) -> None:
        self.page.wait_for_load_state("networkidle")
        # HTMX swaps (the lazy chart) run after load: wait for them to finish. (A locator,
        # not wait_for_function: the pages' CSP forbids evaluating a string.)
        expect(self.page.locator(".htmx-request")).to_have_count(0)

    def shot(self, name: str, *, full_page: bool = True) -> None:
        path = self.out / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=full_page)
        self.taken.append(path)
        print(f"  {path}")

    def shot_of(self, name: str, selector: str) -> None:
        """A picture of one part of the page (a card)."""
        path = self.out / f"{name}.png"
        self.page.locator(selector).screenshot(path=str(path))
        self.taken.append(path)
        print(f"  {path}")

    def upload(self, kind: str, name: str, text: str) -> None:
        """Upload a spreadsheet on the Imports page and wait for its preview."""
        self.page.select_option("#import-form select[name=kind]", kind)
        self.page.set_input_files(
            "#import-form input[name=file]",
            files=[{"name": name, "mimeType": "text/csv", "buffer": text.encode()}],
        )
        self.page.click("#import-form button[type=submit]")
        self.page.wait_for_selector("#import-status:not([data-status=validating])")
        self.settle()

    def server_python(self, code: str) -> None:
        """Run Python inside the served demo's database (a Django shell of the server's
        environment), for states the demo does not reach on its own."""
        subprocess.run(
            [sys.executable, "-m", "stockledger.cli", "shell", "-c", code],
            env=self.server_env,
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def open_product(self, sku: str) -> None:
        self.go(f"/products/?q={sku}")
        self.page.get_by_role("link", name=sku, exact=True).first.click()
        self.settle()


def tour(s: Shooter) -> None:
    """The pages, in the order a merchant meets them."""
    page = s.page
    s.go("/products/")
    s.shot("02-products")
    s.go("/products/?q=mug")
    s.shot("03-product-search", full_page=False)
    s.open_product("MUG-ENM-12-BLK")
    s.shot("04-product")
    page.select_option("#log-filters select[name=event_type]", "order")
    s.settle()
    page.locator("#log-card").scroll_into_view_if_needed()
    s.shot("05-product-log-filtered", full_page=False)
    page.evaluate("window.scrollTo(0, 0)")
    page.click("#export-menu summary")
    page.locator("#export-form").wait_for()
    page.check("#export-form input[name=event_types][value=on_hand]")
    s.shot("06-export-options", full_page=False)
    page.click("#export-form button[type=submit]")
    page.locator("#export-requested").wait_for()
    s.shot("07-export-requested", full_page=False)
    s.open_product("KIT-CAMP-KITCHEN")
    s.shot("08-kit")
    page.click("#export-menu summary")
    page.check("#export-form input[name=include_components]")
    page.click("#export-form button[type=submit]")
    page.locator("#export-requested").wait_for()
    s.open_product("GIFT-CANDLE-BOX")
    s.shot("09-manufactured")
    s.open_product("SOCK-HIK-M")
    page.check("#on-hand-form input[value=adjust]")
    page.fill("#on-hand-form input[name=quantity]", "-1000000")
    page.click("#on-hand-form button[type=submit]")
    page.locator("#on-hand .field-error").wait_for()
    s.shot("10-count-error", full_page=False)
    for list_name, detail_name, url_name in DOCUMENT_PAGES:
        path = url_for(url_name)
        if path is None:
            continue
        s.go(path)
        s.shot(list_name, full_page=False)
        first = page.locator("table.data tbody tr td:first-child a").first
        if detail_name and first.count():
            first.click()
            s.settle()
            s.shot(detail_name, full_page=False)
    path = url_for("web:transfer_new")
    if path:
        s.go(path + "?sku=MUG-ENM-12-BLK")
        s.shot("17-transfer-form", full_page=False)
    for url_name, query, name in DOCUMENT_FORMS:
        path = url_for(url_name)
        if path is None:
            continue
        s.go(path + query)
        if url_name == "web:mo_new":  # the components table fills in as the form is
            page.select_option("#mo-form select[name=warehouse]", index=1)
            page.locator("#check-verdict").wait_for()
        s.shot(name, full_page=False)
    path = url_for("web:export_list")
    if path:
        s.go(path)
        # The worker beside the server finishes them; the page refreshes itself.
        page.wait_for_selector("#exports[data-polling=off]", timeout=120_000)
        s.shot("26-exports", full_page=False)
    channel_health(s)
    setup(s)
    imports(s)


def channel_health(s: Shooter) -> None:
    """A channel's Sync health, then the same channel suspended (banner and Resume)."""
    page = s.page
    s.go("/channels/")
    page.get_by_role("link", name="Amazon US", exact=True).first.click()
    s.settle()
    s.shot_of("24-channel-health", "#health")
    # Five failed runs in a row, recorded by the worker's own bookkeeping, suspend the sync.
    s.server_python(
        "from stockledger.channels.jobs import record_outcome\n"
        "from stockledger.channels.models import SalesChannel\n"
        "channel = SalesChannel.objects.get(name='Etsy Shop')\n"
        "for _ in range(5):\n"
        "    record_outcome(channel=channel, sync_kind='export', ok=False,\n"
        "                   error='delivery failed: the store answered 401 Unauthorized')\n"
    )
    s.go("/channels/")
    page.get_by_role("link", name="Etsy Shop", exact=True).first.click()
    s.settle()
    page.locator("#sync-suspended").wait_for()
    s.shot("25-channel-suspended", full_page=False)
    page.get_by_role("button", name="Resume sync").click()
    s.settle()


def setup(s: Shooter) -> None:
    """The setup pages: a new product, a kit's components, warehouses, people."""
    page = s.page
    s.go("/products/new/")
    s.shot("31-product-new", full_page=False)
    s.open_product("KIT-CAMP-KITCHEN")
    page.locator("#edit-product").click()
    s.settle()
    s.shot("32-kit-edit")
    s.go("/warehouses/")
    s.shot("33-warehouses", full_page=False)
    s.go("/settings/people/")
    s.shot("34-people", full_page=False)


# A count file with two good rows and three bad ones, as a merchant's spreadsheet might be.
COUNTS_CSV = (
    "sku;warehouse;quantity;reason;note\r\n"
    "MUG-ENM-12-BLK;Austin Main;40;cycle_count;shelf A3\r\n"
    "SPORK-TI;Reno 3PL;55;cycle_count;\r\n"
    "MUG-ENM-12-GRN;Austin Main;12;cycle_count;\r\n"
    "BOWL-ENM-16;Denver;8;cycle_count;\r\n"
    "SOCK-HIK-M;Austin Main;-3;damaged;\r\n"
    "KIT-CAMP-KITCHEN;Austin Main;4;;\r\n"
)
PRODUCTS_CSV = (
    "sku,name,kind,components\r\n"
    "CUP-NEST-2,Nesting cups (pair),simple,\r\n"
    "KIT-COFFEE,Camp coffee set,kit,MUG-ENM-12-BLK:1;CUP-NEST-2:1\r\n"
)


def imports(s: Shooter) -> None:
    """Activity -> Imports: a products file applied, then a count file's preview with its
    bad rows, then the list of imports."""
    page = s.page
    s.go("/imports/")
    s.upload("products", "new-products.csv", PRODUCTS_CSV)
    page.locator("#apply-form button[type=submit]").click()
    page.wait_for_selector("#import-status[data-status=complete]", timeout=120_000)
    s.go("/imports/")
    s.upload("counts", "counts-aisle-3.csv", COUNTS_CSV)
    page.locator("#import-errors").wait_for()
    s.shot("35-import-preview")
    s.go("/imports/")
    s.shot("36-imports", full_page=False)


# (list screenshot, detail screenshot, URL name of the list)
DOCUMENT_PAGES = [
    ("11-orders", "12-order", "web:order_list"),
    ("13-purchase-orders", "14-purchase-order", "web:po_list"),
    ("15-transfers", "16-transfer", "web:transfer_list"),
    ("18-returns", "19-return", "web:return_list"),
    ("20-manufacturing-orders", "21-manufacturing-order", "web:mo_list"),
    ("22-channels", "23-channel", "web:channel_list"),
]


# (URL name of a document form, query string, screenshot)
DOCUMENT_FORMS = [
    ("web:po_new", "?sku=MUG-ENM-12-BLK", "27-purchase-order-form"),
    ("web:order_new", "?sku=MUG-ENM-12-BLK", "28-manual-order-form"),
    ("web:return_new", "", "29-rma-form"),
    ("web:mo_new", "?sku=GIFT-CANDLE-BOX&quantity=12", "30-manufacturing-order-form"),
]


def optimise(paths: list[Path]) -> None:
    """Store each picture with a 256-colour palette (no dithering: flat page colours stay
    flat), about a third of Chromium's size."""
    from PIL import Image

    for path in paths:
        with Image.open(path) as image:
            palette = image.convert("RGB").quantize(colors=256, dither=Image.Dither.NONE)
        palette.save(path, optimize=True)


def url_for(name: str) -> str | None:
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def run(out: Path, steps: Callable[[Shooter], None] = tour) -> list[Path]:
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        raise SystemExit(f"screenshots need {CHROMIUM} (make browser-deps)")
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.png"):
        old.unlink()  # a page renamed or gone leaves no stale picture behind
    home = Path(tempfile.mkdtemp(prefix="stockledger-shots-"))
    env = dict(os.environ, STOCKLEDGER_HOME=str(home), DATABASE_URL="", DEBUG="false")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "stockledger.cli", "serve", "--demo-if-empty", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_ready(base, server)
        password = demo_password(home)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport=DESKTOP)
            shooter = Shooter(page, base, out, env)
            shooter.go("/login/")
            shooter.shot("01-sign-in", full_page=False)
            page.fill("input[name=username]", "demo")
            page.fill("input[name=password]", password)
            page.click("button[type=submit]")
            shooter.settle()
            steps(shooter)
            phone = browser.new_page(viewport=PHONE, device_scale_factor=2)
            phone.context.add_cookies(cast(Any, page.context.cookies()))
            phone_shooter = Shooter(phone, base, out)
            phone_shooter.open_product("MUG-ENM-12-BLK")
            phone_shooter.shot("40-phone-product", full_page=False)
            phone.locator("#log-card").scroll_into_view_if_needed()
            phone.evaluate("document.getElementById('log-card').scrollIntoView()")
            phone_shooter.shot("42-phone-log", full_page=False)
            phone.evaluate("document.getElementById('on-hand').scrollIntoView()")
            phone_shooter.shot("43-phone-count", full_page=False)
            phone_shooter.go("/orders/")
            phone_shooter.shot("41-phone-orders", full_page=False)
            shooter.taken += phone_shooter.taken
            browser.close()
        optimise(shooter.taken)
        return shooter.taken
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(home, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    out = Path(argv[0] if argv else "docs/screenshots")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stockledger.settings")
    os.environ.setdefault("STOCKLEDGER_HOME", tempfile.mkdtemp(prefix="stockledger-shots-cfg-"))
    import django

    django.setup()
    print(f"Screenshots of the demo data into {out}/")
    taken = run(out)
    print(f"{len(taken)} screenshots written.")


if __name__ == "__main__":
    main()
