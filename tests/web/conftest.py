"""Fixtures of the page tests: signed-in clients, and the browser tests' Chromium rule.

Browser tests (`@pytest.mark.browser`) drive Debian's /usr/bin/chromium. Without it they are
skipped with one loud line, except under CI=true, where they fail: CI must run them.
"""

import os

import pytest
from django.test import Client

CHROMIUM = "/usr/bin/chromium"


def chromium_missing_reason() -> str | None:
    if os.path.exists(CHROMIUM):
        return None
    return f"{CHROMIUM} is missing (make browser-deps, or apt-get install chromium)"


def pytest_collection_modifyitems(config, items):
    reason = chromium_missing_reason()
    browser_items = [item for item in items if "browser" in item.keywords]
    if reason is None or not browser_items or os.environ.get("CI") == "true":
        return  # under CI the `browser` fixture fails each test instead
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"SKIPPED: {len(browser_items)} browser tests - {reason}", red=True)
    for item in browser_items:
        item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture
def signed_in(user):
    """A test client signed in as the company's first user."""
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def other_signed_in(other_api):
    """A client signed in as a user of another company."""
    client = Client()
    client.force_login(other_api.user)
    client.company = other_api.company
    return client
