"""axe-core over every page, as each role, at desktop and phone width (tests/a11y/walk.py).

Every URL pattern of the site (less the JSON API, Django's admin, the health check, logout
and the signed webhooks) is opened signed in as each role of the demo company (owner `demo`,
manager `lena`, clerk `maria`, viewer `sam`), with its path ids filled from the demo company.
A page the role may not open (its GET permission in PAGE_ACTIONS) must answer 403; a page it
may open gets WCAG 2.1 A and AA plus axe's best-practice rules, zero violations allowed, with
every disclosure opened, and at phone width it must not scroll sideways either. Then the
pages reached only after a POST are driven in the browser (forms refused with their errors, a
count, an export queued, a receipt, an import's previews, queue and result, a new API token,
a refused sign-in and the lockout page) and what comes back is checked at both widths.

Wall time: the owner sees every page at both widths. Another role's page is checked (at both
widths) only where its <main> differs from the owner's (a hidden button or form: different
markup), plus the role's first page (its own top bar). Where the markup is the same, the
owner's checks have already run axe over it; running them again would double the walk for
nothing. `make a11y-audit` (tests/a11y/audit.py) checks every role at both widths everywhere,
against `stockledger serve`.

A pattern whose path parameters have no filler fails the test, so a new page is covered the
day it appears: add its parameter to FILL_BY_PARAM (or the URL name to FILL_BY_URL) in
tests/a11y/walk.py.
"""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest

from tests.a11y.walk import (
    Walk,
    flow_ids,
    new_context,
    page_urls,
    run_flows,
    run_signed_out_flows,
    sign_in,
    walk_role,
    walk_signed_out,
)

from .conftest import AXE_JS, PASSWORD

# The pages' markup is the same on either database: the walk runs once, in the SQLite pass.
pytestmark = [pytest.mark.browser, pytest.mark.needs_axe, pytest.mark.engine_independent]

# Who signs in for each role: the demo company's users (web/demo/data.py).
DEMO_USERS = {"owner": "demo", "manager": "lena", "clerk": "maria", "viewer": "sam"}


def axe_source() -> str:
    if AXE_JS.exists():
        return AXE_JS.read_text()
    # Only reached under CI=true: elsewhere conftest skips these tests with one loud line.
    pytest.fail(f"the accessibility test must run under CI: {AXE_JS} is missing (make a11y-deps)")


@pytest.fixture
def demo(transactional_db, settings, tmp_path, monkeypatch):
    """The demo company (built through the real services); every role's user signs in with
    PASSWORD."""
    # 30 days of history instead of 90: every kind of document and a paged log, in a third
    # of the time.
    import stockledger.web.demo as package
    from stockledger.core.models import User
    from stockledger.web.demo import build_demo, data, days, history

    for module in (package, data, days, history):
        monkeypatch.setattr(module, "DAYS", 30)
    settings.STOCKLEDGER_HOME = tmp_path
    settings.STOCKLEDGER_IMPORTS_DIR = tmp_path / "imports"
    started = time.monotonic()
    company, _login = build_demo()
    for username in DEMO_USERS.values():
        user = User.objects.get(company=company, username=username)
        user.set_password(PASSWORD)
        user.save()
    return SimpleNamespace(company=company, seconds=time.monotonic() - started)


def finish_import(import_id: int) -> None:
    """What the worker does with a queued import (the test runs no worker)."""
    from stockledger.imports.services import import_run

    assert import_run(import_id=import_id) == "complete"


def test_every_page_passes_axe_as_each_role_and_after_each_post(chromium, live_server, demo):
    from stockledger.core.models import User

    axe = axe_source()
    urls, unfilled = page_urls(demo.company)
    assert not unfilled, "URL patterns with no way to fill them (add to FILL_BY_PARAM):\n" + (
        "\n".join(unfilled)
    )
    for role, username in DEMO_USERS.items():  # the demo's users hold the roles named
        assert User.objects.get(company=demo.company, username=username).role == role
    base = live_server.url
    walk = Walk()
    walk_signed_out(walk, chromium, base, axe, urls)
    owner_html = walk_role(
        walk, chromium, base, axe, urls, role="owner", username="demo", password=PASSWORD
    )
    owner_seconds = walk.seconds
    for role in ("manager", "clerk", "viewer"):
        walk_role(
            walk,
            chromium,
            base,
            axe,
            urls,
            role=role,
            username=DEMO_USERS[role],
            password=PASSWORD,
            owner_html=owner_html,
        )
    roles_seconds = walk.seconds - owner_seconds

    started = time.monotonic()
    context = new_context(chromium, base, axe)
    try:
        page = context.new_page()
        sign_in(page, "demo", PASSWORD)
        run_flows(walk, page, flow_ids(demo.company), finish_import=finish_import)
    finally:
        context.close()
    run_signed_out_flows(walk, chromium, base, axe)
    flows_seconds = time.monotonic() - started

    print(
        f"\naxe: {walk.summary()}\n  demo build {demo.seconds:.1f} s, owner walk"
        f" {owner_seconds:.1f} s, other roles {roles_seconds:.1f} s, POST flows"
        f" {flows_seconds:.1f} s"
    )
    # Every role was walked, and each was refused somewhere or nowhere as PAGE_ACTIONS says.
    assert {role for role, _path, _width in walk.checked} >= set(DEMO_USERS)
    assert {role for role, _path in walk.refused} == {"manager", "clerk", "viewer"}
    assert not walk.problems, f"{len(walk.problems)} accessibility problems:\n" + "\n".join(
        walk.problems
    )
