"""Fixtures of the reliability suite, and the figures it records for docs/reliability.md.

Each test adds what it did (operations run, faults injected, inputs tried, anything lost) to
`figures`; at the end of the session they are written to
`$STOCKLEDGER_HOME/reliability-<database>.json`, which `python -m tests.reliability.report`
turns into docs/reliability.md.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.db import connection
from hypothesis import HealthCheck, settings

_FIGURES: dict[str, dict] = {}
_DATABASE: dict[str, str] = {}

settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=30,
    stateful_step_count=25,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.register_profile(
    "nightly",
    parent=settings.get_profile("ci"),
    derandomize=False,
    max_examples=200,
    stateful_step_count=50,
)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """The suite creates many companies; their users' passwords need no real key stretching."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def hypothesis_profile(request) -> settings:
    """`ci` (deterministic) by default; `nightly` with --slow or HYPOTHESIS_PROFILE=nightly."""
    name = os.environ.get("HYPOTHESIS_PROFILE") or (
        "nightly" if request.config.getoption("--slow") else "ci"
    )
    return settings.get_profile(name)


@pytest.fixture
def figures(request, django_db_blocker):
    """A dict the test fills with what it did; recorded under the test's name."""
    data: dict = {}
    started = time.monotonic()
    yield data
    if data:
        data.setdefault("seconds", round(time.monotonic() - started, 1))
        _FIGURES[request.node.name] = data
        if not _DATABASE:
            with django_db_blocker.unblock():
                _DATABASE.update(vendor=connection.vendor, version=_server_version())


def _server_version() -> str:
    query = (
        "SELECT 'PostgreSQL ' || current_setting('server_version')"
        if connection.vendor == "postgresql"
        else "SELECT 'SQLite ' || sqlite_version()"
    )
    with connection.cursor() as cursor:
        cursor.execute(query)
        return str(cursor.fetchone()[0])


def pytest_sessionfinish(session, exitstatus):
    if not _FIGURES:
        return
    from django.conf import settings as django_settings

    vendor = _DATABASE.get("vendor", connection.vendor)
    server = _DATABASE.get("version", "?")
    report = {
        "database": vendor,
        "database_version": server,
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {_cpu_model()}",
        "python": platform.python_version(),
        "slow": bool(session.config.getoption("--slow")),
        "hypothesis_profile": os.environ.get("HYPOTHESIS_PROFILE")
        or ("nightly" if session.config.getoption("--slow") else "ci"),
        "exit_status": int(exitstatus),
        "tests": _FIGURES,
    }
    path = Path(django_settings.STOCKLEDGER_HOME) / f"reliability-{vendor}.json"
    path.write_text(json.dumps(report, indent=2, sort_keys=True))


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


class RetryCounter(logging.Handler):
    """Counts the ledger's 'retrying <service> after <error>' messages (deadlock retries)."""

    def __init__(self) -> None:
        super().__init__(level=logging.INFO)
        self.count = 0
        self.kinds: Counter = Counter()
        self._lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith("retrying"):
            with self._lock:
                self.count += 1
                self.kinds[message.split(" after ", 1)[-1].split("\n")[0][:60]] += 1


@pytest.fixture
def retries():
    logger = logging.getLogger("stockledger.ledger.services")
    handler = RetryCounter()
    old_level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(old_level)
