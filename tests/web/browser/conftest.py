"""Playwright driving Debian's Chromium against a live server (transactional database)."""

import os

import pytest

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


@pytest.fixture(scope="session")
def chromium():
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
    """Open a fresh browser context (its own cookies) on the live server."""
    contexts = []

    def make(viewport=None, **kwargs):
        context = chromium.new_context(
            base_url=live_server.url,
            viewport=viewport or {"width": 1280, "height": 900},
            accept_downloads=True,
            **kwargs,
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


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
