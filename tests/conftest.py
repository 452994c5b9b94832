"""Shared fixtures: companies, users, tokens, an API client, warehouses and products.

The suite runs twice (`make test`): on SQLite, then on PostgreSQL via DATABASE_URL.
"""

import json
import os

import pytest
from django.db import connection
from django.db.backends.base.operations import BaseDatabaseOperations
from django.test import Client

from stockledger.core.db_setup import allow_log_purge
from tests.contract import check_response

# Every `stockledger serve` a test starts (each with its own home) shares the pass's collected
# static files: collecting them, with gzip and Brotli copies, costs about a minute each time.
os.environ.setdefault(
    "STOCKLEDGER_STATIC_ROOT",
    os.path.join(os.path.abspath(os.environ.get("STOCKLEDGER_HOME", "var")), "static"),
)

# The flush between transactional tests is the one place log rows may be deleted (SQLite's
# append-only triggers otherwise refuse; PostgreSQL flushes with TRUNCATE).
_execute_sql_flush = BaseDatabaseOperations.execute_sql_flush


def _flush_allowing_log_purge(self, sql_list):
    with allow_log_purge():
        return _execute_sql_flush(self, sql_list)


BaseDatabaseOperations.execute_sql_flush = _flush_allowing_log_purge


def pytest_addoption(parser):
    parser.addoption("--slow", action="store_true", help="run the long (nightly) variants")


def pytest_collection_modifyitems(config, items):
    from django.conf import settings

    on_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    for item in items:
        if "postgres_only" in item.keywords and not on_postgres:
            item.add_marker(
                pytest.mark.skip(reason="PostgreSQL only (runs in the PostgreSQL pass)")
            )
        if "engine_independent" in item.keywords and on_postgres:
            item.add_marker(
                pytest.mark.skip(reason="does not depend on the database (runs in the SQLite pass)")
            )
        if "slow" in item.keywords and not config.getoption("--slow"):
            item.add_marker(pytest.mark.skip(reason="long variant: run with --slow"))


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


class ApiClient:
    """A JSON client for /api/v1 with a bearer token; answers are checked against the schema."""

    check_contract = True

    def __init__(self, token: str | None):
        self.client = Client()
        self.token = token

    def _headers(self, extra=None):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {self.token}"} if self.token else {}
        headers.update(extra or {})
        return headers

    def request(
        self, method: str, path: str, body=None, *, raw: bytes | str | None = None, headers=None
    ):
        url = path if path.startswith("/") and path.startswith("/api/") else f"/api/v1{path}"
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        fn = getattr(self.client, method.lower())
        kwargs = self._headers(headers)
        if data is not None:
            response = fn(url, data=data, content_type="application/json", **kwargs)
        else:
            response = fn(url, **kwargs)
        if self.check_contract:
            # Every answer must fit the published OpenAPI schema (tests/contract.py).
            check_response(method, url, response)
        return response

    def get(self, path, params=None, **kw):
        if params:
            from urllib.parse import urlencode

            path = f"{path}?{urlencode(params, doseq=True)}"
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body, **kw)

    def put(self, path, body=None, **kw):
        return self.request("PUT", path, body, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)


@pytest.fixture(scope="session", autouse=True)
def _static_files_from_the_packages():
    """Tests serve static files from the app packages under their plain names, as DEBUG does.

    Production uses hashed names from `collectstatic` (settings.STORAGES). The browser tests'
    live server serves /static/ through Django's finders, which know no hashed names, and a
    test run should not need a collectstatic step first; tests/web/test_static_files.py
    checks the production storage itself.
    """
    from django.conf import settings
    from django.test.utils import override_settings

    storages = {**settings.STORAGES}
    storages["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    # AUTOREFRESH, as DEBUG has it: WhiteNoise finds a file when it is asked for instead of
    # listing every static file when its middleware starts, which the test client does for
    # each new Client (an eighth of the API and page tests' time went to that listing).
    with override_settings(
        STORAGES=storages, WHITENOISE_USE_FINDERS=True, WHITENOISE_AUTOREFRESH=True
    ):
        yield


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hashing():
    """Passwords the tests set are hashed with MD5, not 1,000,000 rounds of PBKDF2 (0.4 s each).

    Every tenant fixture creates a user with a password and many tests sign in: with the
    production hasher that was a third of the suite's time. PBKDF2 stays in the list, so a
    password hashed by a subprocess on production settings still verifies here.
    """
    from django.conf import settings
    from django.test.utils import override_settings

    fast = ["django.contrib.auth.hashers.MD5PasswordHasher", *settings.PASSWORD_HASHERS]
    with override_settings(PASSWORD_HASHERS=fast):
        yield


# The process id in letters: user names stay unique per process without sharing digits with
# the password (Django's similarity validator refused e.g. "user1-123456" / "pw-123456").
_PID_LETTERS = str(os.getpid()).translate(str.maketrans("0123456789", "qrstvwxyzk"))


@pytest.fixture
def company_factory(db):
    from stockledger.core.services import company_create

    counter = {"n": 0}

    def make(name: str | None = None):
        counter["n"] += 1
        n = counter["n"]
        company, user, token = company_create(
            name=name or f"Company {n}", username=f"user{n}-{_PID_LETTERS}", password="pw-123456"
        )
        return company, user, token

    return make


@pytest.fixture
def tenant(company_factory):
    company, user, token = company_factory("Acme Goods")
    return company, user, token


@pytest.fixture
def company(tenant):
    return tenant[0]


@pytest.fixture
def user(tenant):
    return tenant[1]


@pytest.fixture
def api(tenant):
    return ApiClient(tenant[2])


@pytest.fixture
def other_api(company_factory):
    company, user, token = company_factory("Other Co")
    client = ApiClient(token)
    client.company = company
    client.user = user
    return client


@pytest.fixture
def warehouse_factory(company):
    from stockledger.warehouses.services import warehouse_create

    def make(name: str, *, company=company):
        return warehouse_create(company=company, name=name)

    return make


@pytest.fixture
def warehouses(warehouse_factory):
    return warehouse_factory("Main"), warehouse_factory("East")


@pytest.fixture
def product_factory(company):
    from stockledger.catalog.services import product_create

    def make(sku: str, name: str | None = None, *, company=company, components=None, bom=None):
        return product_create(
            company=company, sku=sku, name=name or f"Product {sku}", components=components, bom=bom
        )

    return make


@pytest.fixture
def stock_of():
    """(physical, committed) of a product in a warehouse, straight from the stock row."""
    from stockledger.warehouses.models import Stock

    def read(product, warehouse):
        row = Stock.objects.filter(product=product, warehouse=warehouse).first()
        return (row.physical_on_hand, row.committed) if row else (0, 0)

    return read


@pytest.fixture
def log_of():
    """A product's log rows, oldest first."""
    from stockledger.ledger.models import LogEntry

    def read(product, **filters):
        return list(LogEntry.objects.filter(product=product, **filters).order_by("id"))

    return read


@pytest.fixture
def verify_clean():
    """Assert the whole log replays to the recorded quantities and today's stock."""
    from stockledger.ledger.replay import replay

    def check(company=None):
        mismatches = [str(m) for m in replay(company)]
        assert mismatches == []

    return check


def database_dump() -> dict:
    """Every row of every Stockledger table, for 'nothing was written' assertions."""
    from django.apps import apps

    dump = {}
    for model in apps.get_models():
        if not model.__module__.startswith("stockledger."):
            continue
        dump[model._meta.label] = sorted(
            tuple(sorted((k, str(v)) for k, v in row.items() if k != "last_used_at"))
            for row in model._default_manager.values()
        )
    return dump


@pytest.fixture
def db_dump():
    return database_dump
