"""axe-core over every page, found from the URL patterns, at desktop and phone width.

Every URL pattern of the site (less the JSON API, Django's admin, the health check and
logout) is opened signed in, with its path ids filled from the demo company. A full HTML
page is checked at 1280 x 900 and at 390 x 844 with every disclosure opened (the Activity
menu, the Export panel, every <details>): WCAG 2.1 A and AA plus axe's best-practice rules,
zero violations allowed; at phone width it must not scroll sideways either. HTMX fragments
are checked inside the page that loads them; POST-only actions (405) need no check.

A pattern whose path parameters have no filler fails the test, so a new page is covered the
day it appears. To cover a new page: add its parameter to FILL_BY_PARAM (or, when the same
parameter name means something else there, the URL name to FILL_BY_URL). To add a role: add
it to ROLES (a function making a user of the demo company with that role).

axe-core is the npm package pinned by tests/a11y/package-lock.json (`make a11y-deps`).
"""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Callable
from types import SimpleNamespace

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from .conftest import AXE_JS, PASSWORD, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.needs_axe]

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
WIDTHS = {"desktop": DESKTOP, "phone": PHONE}

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
    """The company's imports; the demo has none, so one checked counts file is made."""
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


def _demo_user(demo):
    return demo.user


# Who signs in: each role's user of the demo company. (Roles are added here as they appear.)
ROLES: dict[str, Callable] = {"default": _demo_user}


def url_patterns(resolver=None, prefix="", namespace=""):
    """(name, route) of every URL pattern, routes joined, names with their namespace."""
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


def axe_source() -> str:
    if AXE_JS.exists():
        return AXE_JS.read_text()
    # Only reached under CI=true: elsewhere conftest skips these tests with one loud line.
    pytest.fail(f"the accessibility test must run under CI: {AXE_JS} is missing (make a11y-deps)")


def settle(page) -> None:
    """Wait for HTMX requests started by the page (the lazy chart) to land."""
    page.wait_for_function("() => window.htmx && !document.querySelector('.htmx-request')")
    page.wait_for_timeout(30)  # htmx's settle delay


OPEN_DISCLOSURES = """() => {
  document.querySelectorAll('details').forEach((d) => { d.open = true; });
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


def check_page(page, path: str, width: str) -> list[str]:
    """Problems of one page at one width, as lines for the failure message."""
    problems = []
    page.goto(path)
    settle(page)
    page.evaluate(OPEN_DISCLOSURES)
    settle(page)
    for v in page.evaluate(RUN_AXE, AXE_TAGS):
        problems.append(
            f"{width} {path}: axe {v['id']} ({v['impact']}, {v['count']}x): {v['help']}"
            f" at {', '.join(v['nodes'])}"
        )
    if width == "phone":
        size = page.evaluate(NO_SIDEWAYS_SCROLL)
        if size["scrollWidth"] > size["innerWidth"]:
            problems.append(
                f"phone {path}: scrolls sideways ({size['scrollWidth']} px wide at"
                f" {size['innerWidth']}: {', '.join(size['wide'])})"
            )
    return problems


@pytest.fixture
def demo(transactional_db, settings, tmp_path, monkeypatch):
    """The demo company (built through the real services) and its user."""
    # 30 days of history instead of 90: every kind of document and a paged log, in a third
    # of the time.
    import stockledger.web.demo as package
    from stockledger.core.models import User
    from stockledger.web.demo import build_demo, data, days, history

    for module in (package, data, days, history):
        monkeypatch.setattr(module, "DAYS", 30)
    settings.STOCKLEDGER_HOME = tmp_path
    company, _login = build_demo()
    return SimpleNamespace(company=company, user=User.objects.get(company=company, username="demo"))


def new_context(chromium, live_server, viewport, axe: str):
    context = chromium.new_context(base_url=live_server.url, viewport=viewport)
    context.set_default_timeout(15_000)
    context.add_init_script(script=axe)  # as the page loads: not subject to its CSP
    return context


@pytest.mark.parametrize("role", list(ROLES))
def test_every_page_passes_axe_at_desktop_and_phone_width(chromium, live_server, demo, role):
    axe = axe_source()
    started = time.monotonic()
    user = ROLES[role](demo)
    user.set_password(PASSWORD)
    user.save()
    urls, unfilled = page_urls(demo.company)
    assert not unfilled, "URL patterns with no way to fill them (add to FILL_BY_PARAM):\n" + (
        "\n".join(unfilled)
    )
    problems, checked, skipped = [], [], []
    for width, viewport in WIDTHS.items():
        context = new_context(chromium, live_server, viewport, axe)
        try:
            page = context.new_page()
            for name, path in urls:
                if name in SIGNED_OUT:
                    problems += check_page(page, path, width)
                    checked.append(path)
            sign_in(page, user.username)
            for name, path in urls:
                if name in SIGNED_OUT:
                    continue
                response = context.request.get(path, max_redirects=0)
                kind = response.headers.get("content-type", "")
                body = response.text() if kind.startswith("text/html") else ""
                if response.status == 405 or (response.ok and "<html" not in body[:200]):
                    skipped.append(f"{path} ({response.status}, {kind or 'no body'})")
                    continue  # a POST-only action, a fragment, a download
                if 300 <= response.status < 400:
                    skipped.append(f"{path} ({response.status} to {response.headers['location']})")
                    continue  # a redirect to a page checked on its own
                if response.status not in (200, 409):
                    problems.append(f"{width} {path} ({name}): HTTP {response.status}")
                    continue
                problems += check_page(page, path, width)
                checked.append(path)
        finally:
            context.close()
    print(
        f"\naxe ({role}): {len(set(checked))} pages x 2 widths in"
        f" {time.monotonic() - started:.1f} s; not pages: {sorted(set(skipped))}"
    )
    assert not problems, f"{len(problems)} accessibility problems:\n" + "\n".join(problems)
