"""Walking the pages with axe-core: shared by the in-suite test (tests/web/browser/test_a11y.py)
and the outside run (`make a11y-audit`, tests/a11y/audit.py).

Every URL pattern of the site (less the JSON API, Django's admin, the health check, logout
and the signed webhooks) is opened as each role, its path ids filled from the demo company.
A role that may open a page (its GET permission in `core/permissions.PAGE_ACTIONS`) gets it
checked with axe-core at 1280 x 900 and at 390 x 844 with every disclosure opened (the
Activity menu, the Export panel, every <details>): WCAG 2.1 A and AA plus axe's best-practice
rules; at phone width it must not scroll sideways either. A role that may not open it must be
answered 403 (and the 403 page is checked once per role). HTMX fragments are checked inside
the page that loads them; POST-only actions (405) need no check. Pages reached only after a
POST are driven in the browser by FLOWS (real forms filled and submitted, the error states
included) and what comes back is checked the same way.

A pattern whose path parameters have no filler is reported, so a new page is covered the day
it appears. To cover a new page: add its parameter to FILL_BY_PARAM (or, when the same
parameter name means something else there, the URL name to FILL_BY_URL).

axe-core is the npm package pinned by tests/a11y/package-lock.json (`make a11y-deps`).
Nothing here imports Django at module level: the browser tests' conftest imports AXE_JS.
"""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

AXE_JS = Path(__file__).resolve().parent / "node_modules/axe-core/axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
WIDTHS = {"desktop": DESKTOP, "phone": PHONE}
ROLES = ("owner", "manager", "clerk", "viewer")

# Routes that are not pages of the web app, each with why.
NOT_PAGES = {
    "api/": "the JSON API (its schema is tested by schemathesis)",
    "admin/": "Django's admin, for operators",
    "healthz": "plain-text health check",
    "logout/": "POST-only sign-out",
    "hooks/": "signed webhooks from sales channels: no page",
}
# Pages checked signed out (a signed-in user is redirected away from them).
SIGNED_OUT = {"web:login"}


def _first(queryset) -> list[int]:
    obj = queryset.order_by("id").first()
    return [obj.id] if obj else []


def _products(company) -> list[int]:
    from stockledger.catalog.models import Product

    ids = []
    for kind in ("simple", "kit", "manufactured"):
        ids += _first(Product.objects.filter(company=company, kind=kind))
    return ids


def _model_ids(dotted: str) -> Callable:
    def fill(company) -> list[int]:
        from django.apps import apps

        return _first(apps.get_model(dotted).objects.filter(company=company))

    return fill


def _tokens(company) -> list[int]:
    from stockledger.core.models import ApiToken

    return _first(ApiToken.objects.filter(user__company=company))


def _imports(company) -> list[int]:
    """The company's imports; the demo has none until the import flow ran, so then one
    checked counts file is made."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from stockledger.catalog.models import Product
    from stockledger.imports.models import Import
    from stockledger.imports.services import import_upload
    from stockledger.warehouses.models import Warehouse

    if not Import.objects.filter(company=company).exists():
        product = Product.objects.filter(company=company, kind="simple").first()
        warehouse = Warehouse.objects.filter(company=company).first()
        counts = f"sku,warehouse,quantity\n{product.sku},{warehouse.name},3\n".encode()
        upload = SimpleUploadedFile("counts.csv", counts)
        import_upload(company=company, user=None, kind="counts", upload=upload)
    return _first(Import.objects.filter(company=company))


# How to fill a path parameter: a function of the demo company giving the values to open.
FILL_BY_PARAM: dict[str, Callable] = {
    "product_id": _products,  # a simple product, a kit and a manufactured product
    "export_id": _model_ids("exports.Export"),
    "channel_id": _model_ids("channels.SalesChannel"),
    "order_id": _model_ids("orders.Order"),
    "po_id": _model_ids("purchasing.PurchaseOrder"),
    "transfer_id": _model_ids("transfers.Transfer"),
    "return_id": _model_ids("returns.ReturnOrder"),
    "mo_id": _model_ids("manufacturing.ManufacturingOrder"),
    "token_id": _tokens,
    "warehouse_id": _model_ids("warehouses.Warehouse"),
    "user_id": _model_ids("core.User"),
    "import_id": _imports,
}
# Per URL name, for parameters whose meaning depends on the page (checked before the above).
FILL_BY_URL: dict[str, dict[str, Callable]] = {
    "web:channel_action": {"action": lambda company: ["import"]},
    "web:order_action": {"action": lambda company: ["ship"]},
    "web:line_row": {"kind": lambda company: ["transfer", "purchase-order"]},
}


def url_patterns(resolver=None, prefix="", namespace=""):
    """(name, route) of every URL pattern, routes joined, names with their namespace."""
    from django.urls import URLPattern, URLResolver, get_resolver

    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            ns = pattern.namespace or ""
            joined = f"{namespace}:{ns}" if namespace and ns else (ns or namespace)
            yield from url_patterns(pattern, route, joined)
        elif isinstance(pattern, URLPattern):
            name = pattern.name or route
            yield (f"{namespace}:{name}" if namespace and pattern.name else name), route


PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


def page_urls(company) -> tuple[list[tuple[str, str]], list[str]]:
    """The (name, path) to open, and the patterns that cannot be filled."""
    urls, unfilled = [], []
    for name, route in url_patterns():
        if any(route.startswith(skip) for skip in NOT_PAGES) or route.startswith("^"):
            continue
        params = [m.group("name") for m in PARAM.finditer(route)]
        values = []
        for param in params:
            fill = FILL_BY_URL.get(name, {}).get(param) or FILL_BY_PARAM.get(param)
            found = fill(company) if fill else []
            if not found:
                unfilled.append(f"{name} ({route}): no value for <{param}>")
                break
            values.append(found)
        else:
            for combo in itertools.product(*values):
                path = route
                for value in combo:
                    path = PARAM.sub(str(value), path, count=1)
                urls.append((name, "/" + path))
    return urls, unfilled


def roles_opening(name: str) -> frozenset[str]:
    """The roles that may GET the page named `name`, by `core/permissions.PAGE_ACTIONS` (a
    method the table does not list is for owners only, as the page middleware enforces)."""
    from stockledger.core.permissions import UNMAPPED, page_permission, roles_for

    known, perm = page_permission(name, "GET")
    if not known:
        perm = UNMAPPED
    return frozenset(ROLES) if perm is None else roles_for(perm)


# --- In the browser ---------------------------------------------------------------------------

SETTLED = """() => window.htmx && !document.querySelector('.htmx-request')"""

# Open every closed <details>, marked so CLOSE_DISCLOSURES can close them again (a flow goes on
# using the page: an open menu would cover what it clicks next).
OPEN_DISCLOSURES = """() => {
  document.querySelectorAll('details:not([open])').forEach((d) => {
    d.dataset.a11yOpened = '1'; d.open = true;
  });
}"""
CLOSE_DISCLOSURES = """() => {
  document.querySelectorAll('details[data-a11y-opened]').forEach((d) => {
    d.open = false; delete d.dataset.a11yOpened;
  });
}"""

RUN_AXE = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags},
                                          resultTypes: ['violations']});
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')), count: v.nodes.length,
  }));
}"""

NO_SIDEWAYS_SCROLL = """() => {
  const el = document.scrollingElement;
  const wide = [...document.body.querySelectorAll('*')]
    .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
    .filter((e) => !e.parentElement.closest('.table-wrap, svg'))
    .slice(0, 4)
    .map((e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
                (e.className && typeof e.className === 'string' ? '.' + e.className.split(' ').join('.') : ''));
  return {scrollWidth: el.scrollWidth, innerWidth: window.innerWidth, wide};
}"""


def settle(page) -> None:
    """Wait for HTMX requests started by the page (the lazy chart) to land."""
    page.wait_for_function(SETTLED)
    page.wait_for_timeout(30)  # htmx's settle delay


def new_context(browser, base_url: str, axe: str):
    """A browser context (its own cookies) with axe-core injected into every page as it loads
    (an init script: not subject to the page's CSP)."""
    context = browser.new_context(base_url=base_url, viewport=DESKTOP)
    context.set_default_timeout(15_000)
    context.add_init_script(script=axe)
    return context


def sign_in(page, username: str, password: str) -> None:
    page.goto("/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/products/")


def check_here(page, label: str, widths=("desktop", "phone")) -> list[str]:
    """Problems of what the page shows now (no navigation: a POST's answer stays as it is), at
    each width in turn; the page is left at desktop width. Lines for a failure message."""
    problems = []
    settle(page)
    page.evaluate(OPEN_DISCLOSURES)
    settle(page)
    for width in widths:
        page.set_viewport_size(WIDTHS[width])
        for v in page.evaluate(RUN_AXE, AXE_TAGS):
            problems.append(
                f"{width} {label}: axe {v['id']} ({v['impact']}, {v['count']}x): {v['help']}"
                f" at {', '.join(v['nodes'])}"
            )
        if width == "phone":
            size = page.evaluate(NO_SIDEWAYS_SCROLL)
            if size["scrollWidth"] > size["innerWidth"]:
                problems.append(
                    f"phone {label}: scrolls sideways ({size['scrollWidth']} px wide at"
                    f" {size['innerWidth']}: {', '.join(size['wide'])})"
                )
    page.set_viewport_size(DESKTOP)
    page.evaluate(CLOSE_DISCLOSURES)
    return problems


CSRF = re.compile(r'(name="csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]*')
MAIN = re.compile(r"<main\b.*</main>", re.S)


def main_content(html: str) -> str:
    """The page's <main>, CSRF tokens blanked: what differs between roles on a page."""
    found = MAIN.search(html)
    return CSRF.sub(r"\1", found.group(0) if found else html)


@dataclass
class Walk:
    """What a walk did: problems (failure lines) and what was checked, as (role, path, width)."""

    problems: list[str] = field(default_factory=list)
    checked: list[tuple[str, str, str]] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (role, path) answered 403
    skipped: set[str] = field(default_factory=set)
    # (role, path) whose <main> is the owner's, byte for byte: not checked again.
    same_as_owner: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0

    def check(self, page, role: str, label: str, widths=("desktop", "phone")) -> None:
        self.problems += check_here(page, f"{role} {label}", widths)
        self.checked += [(role, label, width) for width in widths]

    def summary(self) -> str:
        roles = sorted({r for r, _p, _w in self.checked})
        pages = {p for _r, p, _w in self.checked}
        per_role = ", ".join(f"{r} {sum(1 for x in self.checked if x[0] == r)}" for r in roles)
        return (
            f"{len(pages)} pages and states, {len(self.checked)} checks (page x role x width:"
            f" {per_role}), {len(self.same_as_owner)} role pages with the owner's markup,"
            f" {len(self.refused)} refusals (403) asserted, "
            f"{len(self.problems)} problems, {self.seconds:.1f} s"
        )


def walk_signed_out(walk: Walk, browser, base_url: str, axe: str, urls) -> None:
    context = new_context(browser, base_url, axe)
    try:
        page = context.new_page()
        for name, path in urls:
            if name in SIGNED_OUT:
                page.goto(path)
                walk.check(page, "signed-out", path)
    finally:
        context.close()


def walk_role(
    walk: Walk,
    browser,
    base_url: str,
    axe: str,
    urls,
    *,
    role: str,
    username: str,
    password: str,
    owner_html: dict[str, str | None] | None = None,
) -> dict[str, str | None]:
    """Open every page as `role` in one context. A page the role may not open must answer 403;
    one it may open is checked at both widths, unless `owner_html` (path -> the owner's <main>)
    is given and the role's <main> is the same: then the owner's checks ran axe over that very
    markup, and only the top bar differs, which is checked on the role's first page. (The only
    fragment a page loads by itself, the product chart, shows the same to every role.) What
    was no page for the owner (a fragment, a download, a redirect) is not fetched again for a
    role that may open it. Returns path -> this role's <main> (None: no page), for a later
    role to compare with."""
    started = time.monotonic()
    seen: dict[str, str | None] = {}
    context = new_context(browser, base_url, axe)
    try:
        page = context.new_page()
        sign_in(page, username, password)
        first, forbidden_checked = True, False
        for name, path in urls:
            if name in SIGNED_OUT:
                continue
            allowed = role in roles_opening(name)
            if (
                allowed
                and owner_html is not None
                and path in owner_html
                and owner_html[path] is None
            ):
                continue  # not a page for the owner (a fragment, a download, a 405): nor here
            response = context.request.get(path, max_redirects=0)
            if not allowed:
                if response.status != 403:
                    walk.problems.append(
                        f"{role} {path} ({name}): HTTP {response.status}, expected 403"
                        " (PAGE_ACTIONS does not let this role open it)"
                    )
                    continue
                walk.refused.append((role, path))
                if not forbidden_checked:  # the 403 page itself, once per role
                    page.goto(path)
                    walk.check(page, role, f"{path} (403)")
                    forbidden_checked = True
                continue
            kind = response.headers.get("content-type", "")
            body = response.text() if kind.startswith("text/html") else ""
            if response.status == 405 or (response.ok and "<html" not in body[:200]):
                walk.skipped.add(f"{path} ({response.status}, {kind or 'no body'})")
                seen[path] = None
                continue  # a POST-only action, a fragment, a download
            if 300 <= response.status < 400:
                walk.skipped.add(f"{path} ({response.status} to {response.headers['location']})")
                seen[path] = None
                continue  # a redirect to a page checked on its own
            if response.status not in (200, 409):
                walk.problems.append(f"{role} {path} ({name}): HTTP {response.status}")
                continue
            seen[path] = main_content(body)
            if not first and owner_html is not None and owner_html.get(path) == seen[path]:
                walk.same_as_owner.append((role, path))
                continue  # the owner's checks ran axe over this very markup
            page.goto(path)
            walk.check(page, role, path)
            first = False
    finally:
        context.close()
    walk.seconds += time.monotonic() - started
    return seen


# --- Pages reached only after a POST ----------------------------------------------------------


@dataclass
class FlowIds:
    """What the flows open: ids of the demo company's objects."""

    product_id: int  # a simple product with stock
    warehouse_name: str
    sku: str


def flow_ids(company) -> FlowIds:
    from stockledger.catalog.models import Product
    from stockledger.warehouses.models import Warehouse

    product = Product.objects.filter(company=company, kind="simple").order_by("id").first()
    warehouse = Warehouse.objects.filter(company=company).order_by("id").first()
    return FlowIds(product_id=product.id, warehouse_name=warehouse.name, sku=product.sku)


def _counts(ids: FlowIds, *rows: str) -> dict:
    text = "sku,warehouse,quantity\n" + "".join(f"{row}\n" for row in rows)
    return {"name": "counts.csv", "mimeType": "text/csv", "buffer": text.encode()}


def _submit(page, form: str) -> None:
    page.locator(f"{form} button[type=submit]").first.click()


def _shows_error(page, where: str) -> None:
    from playwright.sync_api import expect

    expect(page.locator(f"{where} .field-error, {where} .error").first).to_be_visible()


def _clear_inputs(page, form: str) -> None:
    """Empty every text, number and date input and textarea of the form: an invalid submission."""
    fields = page.locator(
        f"{form} input:not([type]), {form} input[type=text], {form} input[type=number],"
        f" {form} input[type=date], {form} input[type=password], {form} textarea"
    )
    for i in range(fields.count()):
        if fields.nth(i).is_visible():
            fields.nth(i).fill("")


# Forms submitted empty (or with the field shown) to check their error state: (URL name, form).
ERROR_FORMS = [
    ("web:product_new", "#product-form"),
    ("web:warehouse_list", "#warehouse-form"),
    ("web:po_new", "#po-form"),
    ("web:order_new", "#order-form"),
    ("web:transfer_new", "#transfer-form"),
    ("web:return_new", "#return-new-form"),
    ("web:mo_new", "#mo-form"),
    ("web:channel_new", "#channel-form"),
    ("web:import_list", "#import-form"),
    ("core:people", "#add-user-form"),
    ("core:password", "#password-form"),
]


def flow_forms_with_errors(page, ids: FlowIds, check: Callable) -> None:
    from django.urls import reverse

    for name, form in ERROR_FORMS:
        page.goto(reverse(name))
        _clear_inputs(page, form)
        _submit(page, form)
        _shows_error(page, form)
        check(f"{reverse(name)} {form} refused (errors shown)")


def flow_count(page, ids: FlowIds, check: Callable) -> None:
    from playwright.sync_api import expect

    page.goto(f"/products/{ids.product_id}/")
    page.fill("#on-hand-form input[name=quantity]", "")
    _submit(page, "#on-hand-form")
    _shows_error(page, "#on-hand")
    check(f"/products/{ids.product_id}/ count refused")
    page.fill("#on-hand-form input[name=quantity]", "7")
    _submit(page, "#on-hand-form")
    expect(page.locator("#on-hand .result")).to_be_visible()
    check(f"/products/{ids.product_id}/ count saved")


def flow_export(page, ids: FlowIds, check: Callable) -> None:
    from playwright.sync_api import expect

    page.goto(f"/products/{ids.product_id}/")
    page.click("#export-menu summary")
    page.fill("#export-form input[name=since]", "2026-03-01")
    page.fill("#export-form input[name=until]", "2026-01-01")
    _submit(page, "#export-form")
    _shows_error(page, "#export-panel")
    check(f"/products/{ids.product_id}/ export refused")
    page.fill("#export-form input[name=since]", "")
    page.fill("#export-form input[name=until]", "")
    _submit(page, "#export-form")
    expect(page.locator("#export-requested")).to_be_visible()
    check(f"/products/{ids.product_id}/ export queued")


def flow_receive(page, ids: FlowIds, check: Callable) -> None:
    from playwright.sync_api import expect

    page.goto("/purchase-orders/new/")  # a PO of its own: the demo's may all be received
    page.fill("#po-form input[name=supplier]", "Accessible Supplies")
    page.select_option("#po-form select[name=warehouse]", label=ids.warehouse_name)
    page.fill("#po-form input[name=line-0-sku]", ids.sku)
    page.fill("#po-form input[name=line-0-quantity]", "5")
    _submit(page, "#po-form")
    page.wait_for_url(re.compile(r".*/purchase-orders/\d+/$"))
    expect(page.locator(".messages")).to_contain_text("saved")
    check("/purchase-orders/<new>/ saved")
    page.fill("#receive-form input[name=line-0-quantity]", "-1")
    _submit(page, "#receive-form")
    _shows_error(page, "#receive")
    check("/purchase-orders/<new>/ receipt refused")
    page.fill("#receive-form input[name=line-0-quantity]", "1")
    _submit(page, "#receive-form")
    expect(page.locator(".messages")).to_contain_text("recorded")
    check("/purchase-orders/<new>/ receipt recorded")


def flow_import(page, ids: FlowIds, check: Callable, finish_import: Callable | None) -> None:
    """Counts with bad rows (preview with errors), then good ones: preview, queued, applied.
    `finish_import(import_id)` runs the queued import (a test has no worker); without it the
    worker beside the server does."""
    from playwright.sync_api import expect

    for rows, state in (
        ((f"{ids.sku},{ids.warehouse_name},-3", f"{ids.sku},Attic,2"), "preview with errors"),
        ((f"{ids.sku},{ids.warehouse_name},9",), "preview"),
    ):
        page.goto("/imports/")
        page.select_option("#import-form select[name=kind]", "counts")
        page.set_input_files("#import-form input[name=file]", files=[_counts(ids, *rows)])
        _submit(page, "#import-form")
        page.wait_for_url("**/imports/*/")
        expect(page.locator("#import-summary")).to_be_visible()
        check(f"/imports/<new>/ {state}")
    expect(page.locator("#import-errors")).to_have_count(0)
    _submit(page, "#apply-form")
    expect(page.locator("#apply-form")).to_have_count(0)
    check("/imports/<new>/ queued")
    if finish_import is not None:
        finish_import(int(page.url.rstrip("/").rsplit("/", 1)[1]))
        page.reload()
    expect(page.locator("#import-outcome")).to_contain_text("Applied: 1 row", timeout=60_000)
    check("/imports/<new>/ applied")


def flow_token(page, ids: FlowIds, check: Callable) -> None:
    from playwright.sync_api import expect

    page.goto("/settings/tokens/")
    page.fill("#token-name", "   ")
    page.click("form:has(#token-name) button[type=submit]")
    expect(page.locator("main .error")).to_be_visible()
    check("/settings/tokens/ refused")
    page.fill("#token-name", "a11y walk")
    page.click("form:has(#token-name) button[type=submit]")
    expect(page.locator("#new-token")).to_be_visible()
    check("/settings/tokens/ new token shown once")


def run_flows(walk: Walk, page, ids: FlowIds, *, finish_import: Callable | None = None) -> None:
    """The owner's pages reached only after a POST, each checked at both widths."""

    def check(label: str) -> None:
        walk.check(page, "owner", label)

    started = time.monotonic()
    flows = [
        ("forms with errors", lambda: flow_forms_with_errors(page, ids, check)),
        ("count", lambda: flow_count(page, ids, check)),
        ("export", lambda: flow_export(page, ids, check)),
        ("receipt", lambda: flow_receive(page, ids, check)),
        ("import", lambda: flow_import(page, ids, check, finish_import)),
        ("token", lambda: flow_token(page, ids, check)),
    ]
    for name, flow in flows:
        try:
            flow()
        except Exception as exc:  # one broken flow must not hide the others' findings
            walk.problems.append(f"flow {name!r} failed at {page.url}: {exc}".split("\n")[0])
    walk.seconds += time.monotonic() - started


def run_signed_out_flows(walk: Walk, browser, base_url: str, axe: str) -> None:
    """A sign-in refused, then the lockout page (after the failure limit). Run last: the
    lockout also pauses sign-ins from this address."""
    started = time.monotonic()
    context = new_context(browser, base_url, axe)
    try:
        page = context.new_page()
        page.goto("/login/")
        for attempt in range(20):
            page.fill("input[name=username]", "nobody-a11y")
            page.fill("input[name=password]", "wrong-password")
            page.click("button[type=submit]")
            page.wait_for_load_state()
            if page.locator("h1").inner_text() == "Sign-in paused":
                break
            if attempt == 0:
                _shows_error(page, "main")
                walk.check(page, "signed-out", "/login/ refused")
        else:
            walk.problems.append("no lockout page after 20 failed sign-ins")
            return
        walk.check(page, "signed-out", "/login/ locked out")
    except Exception as exc:
        walk.problems.append(f"flow 'sign-in' failed at {page.url}: {exc}".split("\n")[0])
    finally:
        context.close()
        walk.seconds += time.monotonic() - started
