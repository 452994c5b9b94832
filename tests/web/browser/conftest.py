"""Playwright driving Debian's Chromium against a live server (transactional database)."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.a11y.walk import AXE_JS

from ..conftest import CHROMIUM, chromium_missing_reason

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "pw-123456"  # tests/conftest.py's company_factory
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def chromium():
    # Module-scoped, not session-scoped: Playwright's event loop and the async guard's
    # override must end with the browser tests (pytest-django runs tests without a database
    # last, and a later `check --deploy` subprocess would inherit the override).
    reason = chromium_missing_reason()
    if reason:  # only reached under CI=true: elsewhere these tests are skipped at collection
        pytest.fail(f"browser tests must run under CI: {reason}")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread; the test's own
    # database calls are still synchronous, so Django's async guard must stand aside.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def new_page(chromium, live_server, transactional_db):
    """Open a fresh browser context (its own cookies) on the live server.

    Every page runs under the app's Content-Security-Policy: a violation the browser reports
    on its console fails the test."""
    contexts = []
    violations = []

    def watch(message):
        if "Content Security Policy" in message.text:
            violations.append(f"{message.location.get('url', '')}: {message.text}")

    def make(viewport=None, **kwargs):
        context = chromium.new_context(
            base_url=live_server.url,
            viewport=viewport or {"width": 1280, "height": 900},
            accept_downloads=True,
            **kwargs,
        )
        context.set_default_timeout(15_000)
        context.on("console", watch)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()
    assert not violations, "Content-Security-Policy violations:\n" + "\n".join(violations)


def sign_in(page, username: str, password: str = PASSWORD) -> None:
    page.goto("/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/products/")


@pytest.fixture
def page(new_page, user):
    """A page signed in as the company's first user."""
    page = new_page()
    sign_in(page, user.username)
    return page


@pytest.fixture
def exports_dir(settings, tmp_path):
    """Where the live server serves export files from (and the worker writes them)."""
    settings.STOCKLEDGER_EXPORTS_DIR = tmp_path / "exports"
    return settings.STOCKLEDGER_EXPORTS_DIR


@pytest.fixture
def start_worker(transactional_db, exports_dir, tmp_path):
    """Start a real `stockledger worker` on the test database; `full_disk=True` gives it
    export storage that fails to publish (its exports fail)."""
    from django.db import connection

    started = []

    def start(full_disk=False):
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.web.browser.worker_settings",
            "STOCKLEDGER_TEST_DB_NAME": str(connection.settings_dict["NAME"]),
            "STOCKLEDGER_EXPORTS_DIR": str(exports_dir),
            "STOCKLEDGER_EXPORT_HEARTBEAT_SECONDS": "0.5",
            "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        }
        if full_disk:
            env["STOCKLEDGER_EXPORT_STORAGE"] = "tests.web.browser.failing_storage.FullDiskStorage"
        log = open(tmp_path / f"worker-{len(started)}.log", "wb")  # noqa: SIM115
        process = subprocess.Popen(
            [sys.executable, "-m", "stockledger.cli", "worker", "--interval", "0.2"],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        started.append((process, log))
        return process

    yield start
    for process, log in started:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=15)
        log.close()


def wait_for(condition, *, timeout=60.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def pytest_collection_modifyitems(config, items):
    """Without axe-core (`make a11y-deps`) the accessibility walk is skipped with one loud line,
    except under CI=true, where it fails."""
    axe_items = [item for item in items if "needs_axe" in item.keywords]
    if AXE_JS.exists() or not axe_items or os.environ.get("CI") == "true":
        return
    reason = f"{AXE_JS.relative_to(ROOT)} is missing (make a11y-deps: npm ci in tests/a11y)"
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"SKIPPED: {len(axe_items)} axe tests - {reason}", red=True)
    for item in axe_items:
        item.add_marker(pytest.mark.skip(reason=reason))
