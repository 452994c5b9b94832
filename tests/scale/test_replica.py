"""Reads from a PostgreSQL streaming replica (core/db_routing.py), on a real replica.

The pair of clusters comes from conftest.py. Every test commits (no test transaction: the
replica only sees committed rows) and makes its own company.
"""

from __future__ import annotations

import itertools
import threading
import time

import pytest
from django.db import connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from stockledger.core import db_routing
from stockledger.core.db_routing import reads_from_replica

# The tests bring their own PostgreSQL pair and never touch the pass's database, so either
# pass proves the same: they run once, in the SQLite pass (the shorter of the two).
pytestmark = [pytest.mark.engine_independent, pytest.mark.usefixtures("replicated")]

_n = itertools.count(1)


@pytest.fixture
def shop(settings, tmp_path):
    """A company with a user, a warehouse and a product, committed on the primary."""
    from stockledger.catalog.services import product_create
    from stockledger.core.services import company_create
    from stockledger.warehouses.services import warehouse_create

    settings.STOCKLEDGER_EXPORTS_DIR = tmp_path / "exports"
    settings.STOCKLEDGER_EXPORT_HEARTBEAT_SECONDS = 60
    settings.STOCKLEDGER_REPLICA_CHECK_SECONDS = 0  # every read checks the replica's state
    n = next(_n)
    company, user, _token = company_create(
        name=f"Replica Co {n}", username=f"replica-user-{n}", password="pw-123456"
    )
    warehouse = warehouse_create(company=company, name="Main")
    product = product_create(company=company, sku=f"MUG-{n}", name="Mug")
    client = Client()
    client.force_login(user)
    db_routing.state.reset()
    return company, user, warehouse, product, client


def adjust(shop, change: int, note: str):
    from stockledger.ledger.services import stock_adjust

    company, user, warehouse, product, _client = shop
    return stock_adjust(
        company=company, product=product, warehouse=warehouse, change=change, user=user, note=note
    )


def wait_replayed(timeout: float = 10.0) -> None:
    """Until the replica has replayed everything the primary has written so far."""
    lsn = db_routing.primary_wal_lsn()
    assert db_routing.replica_alias_for_lsn(lsn, wait=timeout) == "replica"


def replica_sql(queries) -> str:
    return "\n".join(q["sql"] for q in queries.captured_queries)


def log_page(client, product):
    return client.get(reverse("web:product_log", args=[product.id]))


def test_the_replica_is_a_streaming_replica_of_the_primary():
    with connections["replica"].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        assert cursor.fetchone()[0] is True
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery(), count(*) FROM pg_stat_replication")
        assert cursor.fetchone() == (False, 1)


def test_log_page_reads_the_replica_and_writes_go_to_the_primary(shop):
    _company, _user, _warehouse, product, client = shop
    with CaptureQueriesContext(connections["replica"]) as on_replica:
        entry = adjust(shop, 5, "first delivery")
    assert "ledger_logentry" not in replica_sql(on_replica)  # the write went to the primary
    wait_replayed()

    with (
        CaptureQueriesContext(connections["replica"]) as on_replica,
        CaptureQueriesContext(connections["default"]) as on_primary,
    ):
        response = log_page(client, product)
    assert response.status_code == 200
    assert f'id="log-{entry.id}"' in response.content.decode()
    assert "ledger_logentry" in replica_sql(on_replica)
    assert "ledger_logentry" not in replica_sql(on_primary)


def test_product_list_and_chart_read_the_replica(shop):
    _company, _user, _warehouse, product, client = shop
    adjust(shop, 2, "")
    wait_replayed()
    with CaptureQueriesContext(connections["replica"]) as on_replica:
        assert client.get(reverse("web:product_list")).status_code == 200
        assert client.get(reverse("web:product_chart", args=[product.id])).status_code == 200
    assert "catalog_product" in replica_sql(on_replica)


def test_reads_inside_a_write_transaction_stay_on_the_primary(shop):
    from django.db import transaction

    from stockledger.ledger.models import LogEntry

    company = shop[0]
    with reads_from_replica():
        assert LogEntry.objects.filter(company=company).db == "replica"
        with transaction.atomic():
            assert LogEntry.objects.filter(company=company).db == "default"
    assert LogEntry.objects.filter(company=company).db == "default"  # the default rule


def test_a_browser_reads_its_own_write_on_the_primary(shop, settings):
    """After a POST, the browser's next pages read the primary, even with replay stopped."""
    _company, _user, _warehouse, product, client = shop
    response = client.post(reverse("web:logout"))
    assert db_routing.STICKY_COOKIE in response.cookies
    client.cookies[db_routing.STICKY_COOKIE] = response.cookies[db_routing.STICKY_COOKIE].value
    client.force_login(shop[1])
    with CaptureQueriesContext(connections["replica"]) as on_replica:
        assert log_page(client, product).status_code == 200
    assert "ledger_logentry" not in replica_sql(on_replica)


def test_a_lagging_replica_is_skipped_and_the_page_shows_the_new_row(shop, settings):
    _company, _user, _warehouse, product, client = shop
    settings.STOCKLEDGER_REPLICA_MAX_LAG = 0.2
    _exec_replica("SELECT pg_wal_replay_pause()")
    try:
        entry = adjust(shop, 7, "while the replica is paused")
        time.sleep(0.6)
        with CaptureQueriesContext(connections["replica"]) as on_replica:
            response = log_page(client, product)
        assert response.status_code == 200
        assert f'id="log-{entry.id}"' in response.content.decode()  # from the primary
        assert "ledger_logentry" not in replica_sql(on_replica)
        assert "lags" in db_routing.state.reason
    finally:
        _exec_replica("SELECT pg_wal_replay_resume()")


def test_an_export_asked_right_after_a_change_contains_it(shop):
    """Replay is paused when the export is asked for: the runner waits for the replica to
    pass the primary's position recorded on the export, then reads the replica."""
    from stockledger.exports.runner import export_run
    from stockledger.exports.services import export_create

    company, user, _warehouse, product, _client = shop
    _exec_replica("SELECT pg_wal_replay_pause()")
    try:
        adjust(shop, 3, "just before the export")
        export = export_create(company=company, user=user, product_id=product.id)
        assert export.source_lsn
    finally:
        threading.Timer(0.5, _exec_replica_fresh, ["SELECT pg_wal_replay_resume()"]).start()
    with CaptureQueriesContext(connections["replica"]) as on_replica:
        assert export_run(export_id=export.id, attempt=1) == "complete"
    # The rows are COPYed (not captured); the export's read snapshot was the replica's.
    assert "REPEATABLE READ" in replica_sql(on_replica)
    assert "just before the export" in _export_text(export)


def test_an_export_falls_back_to_the_primary_when_the_replica_stays_behind(shop, settings):
    from stockledger.exports.runner import export_run
    from stockledger.exports.services import export_create

    company, user, _warehouse, product, _client = shop
    settings.STOCKLEDGER_REPLICA_EXPORT_WAIT_SECONDS = 0.3
    _exec_replica("SELECT pg_wal_replay_pause()")
    try:
        adjust(shop, 4, "replica never sees this in time")
        export = export_create(company=company, user=user, product_id=product.id)
        with CaptureQueriesContext(connections["replica"]) as on_replica:
            assert export_run(export_id=export.id, attempt=1) == "complete"
    finally:
        _exec_replica("SELECT pg_wal_replay_resume()")
    assert "REPEATABLE READ" not in replica_sql(on_replica)
    assert "replica never sees this in time" in _export_text(export)


def test_a_stopped_replica_changes_nothing_the_user_sees(shop, replicated):
    from stockledger.exports.runner import export_run
    from stockledger.exports.services import export_create

    company, user, _warehouse, product, client = shop
    entry = adjust(shop, 9, "before the replica stops")
    wait_replayed()
    before = log_page(client, product)
    assert log_page(client, product).status_code == 200
    connections["replica"].ensure_connection()  # a pooled connection that will break
    replicated.stop_replica()
    try:
        for page in (
            reverse("web:product_log", args=[product.id]),
            reverse("web:product_list"),
            reverse("web:product_chart", args=[product.id]),
        ):
            response = client.get(page)
            assert response.status_code == 200, page
        after = log_page(client, product)
        assert f'id="log-{entry.id}"' in after.content.decode()
        assert _rows(after) == _rows(before)
        assert "unreachable" in db_routing.state.reason or "failed" in db_routing.state.reason
        export = export_create(company=company, user=user, product_id=product.id)
        assert export_run(export_id=export.id, attempt=1) == "complete"
        assert "before the replica stops" in _export_text(export)
    finally:
        replicated.start_replica()
        db_routing.state.reset()
    wait_replayed(timeout=20)


def _rows(response) -> list[str]:
    import re

    return re.findall(r'<tr id="log-(\d+)"', response.content.decode())


def _export_text(export) -> str:
    from stockledger.exports.models import Export, ExportStatus
    from stockledger.exports.storage import export_storage

    export = Export.objects.get(pk=export.pk)
    assert export.status == ExportStatus.COMPLETE, export.error
    with export_storage().open(export.file_name) as f:
        return f.read().decode("utf-8-sig")


def _exec_replica(sql: str) -> None:
    with connections["replica"].cursor() as cursor:
        cursor.execute(sql)


def _exec_replica_fresh(sql: str) -> None:
    """From another thread (its own connection)."""
    try:
        _exec_replica(sql)
    finally:
        connections["replica"].close()
