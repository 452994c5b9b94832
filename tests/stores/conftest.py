"""The Vendure store as a session fixture (started once, for the PostgreSQL pass).

Without Node (or the installed store) the tests are skipped with one loud line; under CI=true
that is a failure instead."""

import os

import pytest

from .vendure_store import start_store, stop_store, unavailable_reason


def pytest_collection_modifyitems(config, items):
    store_items = [i for i in items if "vendure_store" in getattr(i, "fixturenames", ())]
    if not store_items:
        return
    from django.conf import settings

    if not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        return  # they run once, in the PostgreSQL pass (postgres_only skips them here)
    reason = unavailable_reason()
    if reason is None or os.environ.get("CI") == "true":
        return
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"SKIPPED: {len(store_items)} Vendure tests - {reason}", red=True)
    for item in store_items:
        item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def vendure_store():
    reason = unavailable_reason()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the Vendure store is required under CI: {reason}")
        pytest.skip(reason)
    # The store listens on loopback: allowed here explicitly (workers started by the tests
    # inherit the environment; this process reads the setting).
    from django.conf import settings

    os.environ.setdefault("STOCKLEDGER_OUTBOUND_ALLOW", "127.0.0.1")
    allowed = settings.STOCKLEDGER_OUTBOUND_ALLOW
    settings.STOCKLEDGER_OUTBOUND_ALLOW = "127.0.0.1"
    store = start_store()
    try:
        yield store
    finally:
        stop_store(store)
        settings.STOCKLEDGER_OUTBOUND_ALLOW = allowed
