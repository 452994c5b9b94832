"""PostgreSQL: the Inventory Log partitioned by month on recorded_at (ledger/partitions.py,
migration 0006). SQLite keeps one plain table (checked at the end)."""

import importlib
import logging
import re
from datetime import UTC, datetime

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from stockledger.ledger import partitions
from stockledger.ledger.models import LogEntry
from stockledger.ledger.services import stock_adjust

postgres_only = pytest.mark.postgres_only
BEFORE, AFTER = ("ledger", "0005_log_entry_reason"), ("ledger", "0006_partition_log_by_month")
COLUMNS = [f.column for f in LogEntry._meta.concrete_fields]
SECONDARY_INDEXES = 9  # 5 named in Meta + 4 foreign-key indexes


def _one(sql, params=None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def _all(sql, params=None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _copy_row(entry_id: int, recorded_at: str) -> int:
    """A copy of a log row recorded at another moment (the services always record now)."""
    columns = [c for c in COLUMNS if c != "id"]
    select = ", ".join("%s::timestamptz" if c == "recorded_at" else c for c in columns)
    (new_id,) = _one(
        f"INSERT INTO ledger_logentry ({', '.join(columns)}) SELECT {select}"
        " FROM ledger_logentry WHERE id = %s RETURNING id",
        [recorded_at, entry_id],
    )
    return new_id


def _partition_of(entry_id: int) -> str:
    return _one("SELECT tableoid::regclass::text FROM ledger_logentry WHERE id = %s", [entry_id])[0]


def _triggers(table: str) -> set[str]:
    return {
        name
        for (name,) in _all(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = to_regclass(%s) AND NOT tgisinternal",
            [table],
        )
    }


def _index_count(table: str) -> int:
    return _one("SELECT count(*) FROM pg_index WHERE indrelid = to_regclass(%s)", [table])[0]


def _primary_key() -> list[str]:
    return [
        name
        for (name,) in _all(
            "SELECT a.attname FROM pg_constraint c CROSS JOIN unnest(c.conkey) WITH ORDINALITY k(n, i)"
            " JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n"
            " WHERE c.conrelid = 'ledger_logentry'::regclass AND c.contype = 'p' ORDER BY k.i"
        )
    ]


def _assert_append_only(table: str, entry_id: int) -> None:
    for statement in (
        f"UPDATE {table} SET quantity = 99 WHERE id = %s",
        f"DELETE FROM {table} WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="append-only"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(statement, [entry_id])


@pytest.fixture
def entry(company, warehouses, product_factory):
    return stock_adjust(
        company=company, product=product_factory("PART-1"), warehouse=warehouses[0], change=5
    )


@postgres_only
@pytest.mark.django_db
def test_the_log_is_partitioned_by_month_with_keys_indexes_and_triggers_on_every_partition(entry):
    with connection.cursor() as cursor:
        assert partitions.is_partitioned(cursor)
        names = partitions.partitions(cursor)
    this_month = partitions.month_start(datetime.now(UTC))
    assert partitions.partition_name(this_month) in names
    assert partitions.partition_name(partitions.add_months(this_month, 3)) in names
    assert names[-1] == partitions.DEFAULT_PARTITION
    assert _primary_key() == ["id", "recorded_at"]
    assert _partition_of(entry.id) == partitions.partition_name(this_month)
    for table in ["ledger_logentry", *names]:
        assert _triggers(table) == {"ledger_logentry_no_update", "ledger_logentry_no_delete"}
        assert _index_count(table) == 1 + SECONDARY_INDEXES
    _assert_append_only(partitions.partition_name(this_month), entry.id)
    _assert_append_only("ledger_logentry", entry.id)
    assert LogEntry.objects.get(pk=entry.pk).quantity == 5


@postgres_only
@pytest.mark.django_db
def test_a_row_outside_every_month_lands_in_the_default_partition(entry):
    far = _copy_row(entry.id, "2091-05-17 10:00:00+00")
    assert _partition_of(far) == partitions.DEFAULT_PARTITION
    _assert_append_only(partitions.DEFAULT_PARTITION, far)


@postgres_only
@pytest.mark.django_db
def test_the_worker_creates_months_ahead_once_and_they_get_indexes_and_triggers(entry, caplog):
    later = datetime(2031, 11, 20, tzinfo=UTC)
    made = partitions.ensure_log_partitions(now=later, ahead=2)
    assert made == [
        "ledger_logentry_y2031m11",
        "ledger_logentry_y2031m12",
        "ledger_logentry_y2032m01",
    ]
    assert partitions.ensure_log_partitions(now=later, ahead=2) == []  # idempotent
    for name in made:
        assert _triggers(name) == {"ledger_logentry_no_update", "ledger_logentry_no_delete"}
        assert _index_count(name) == 1 + SECONDARY_INDEXES
    moved = _copy_row(entry.id, "2031-12-02 00:00:00+00")
    assert _partition_of(moved) == "ledger_logentry_y2031m12"
    # A month whose rows already sit in the default is left there (no failure, a warning).
    in_default = _copy_row(entry.id, "2040-03-03 00:00:00+00")
    with caplog.at_level(logging.WARNING, logger="stockledger.ledger.partitions"):
        made = partitions.ensure_log_partitions(now=datetime(2040, 2, 10, tzinfo=UTC), ahead=1)
    assert made == ["ledger_logentry_y2040m02"]
    assert "ledger_logentry_y2040m03 not created" in caplog.text
    assert _partition_of(in_default) == partitions.DEFAULT_PARTITION


@postgres_only
@pytest.mark.django_db
def test_looking_a_row_up_by_id_and_recorded_at_reads_one_partition(entry):
    partitions.ensure_log_partitions(now=datetime(2031, 11, 20, tzinfo=UTC), ahead=6)
    query = LogEntry.objects.filter(id=entry.id, recorded_at=entry.recorded_at)
    plan = query.explain()
    scanned = set(re.findall(r" on (ledger_logentry_\w+)", plan))
    assert scanned == {partitions.partition_name(partitions.month_start(entry.recorded_at))}, plan
    assert query.get() == entry


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_migrating_an_unpartitioned_log_keeps_every_row_the_triggers_and_the_sequence(
    company, warehouses, product_factory
):
    migration = importlib.import_module("stockledger.ledger.migrations.0006_partition_log_by_month")
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE])  # the reverse: back to one plain table
    with connection.cursor() as cursor:
        assert not partitions.is_partitioned(cursor)
    assert _primary_key() == ["id"]

    widget = product_factory("MIG-1")
    first = stock_adjust(company=company, product=widget, warehouse=warehouses[0], change=7)
    for change in (3, -2, 11):
        stock_adjust(company=company, product=widget, warehouse=warehouses[1], change=change)
    old_months = ["2024-02-29 23:59:59+00", "2025-07-01 00:00:00+00", "2025-07-31 12:00:00+00"]
    copies = [_copy_row(first.id, at) for at in old_months]
    far = _copy_row(first.id, "2099-01-01 00:00:00+00")
    before = _all(f"SELECT {', '.join(COLUMNS)} FROM ledger_logentry ORDER BY id")
    assert len(before) == 8
    assert _triggers("ledger_logentry") == {
        "ledger_logentry_no_update",
        "ledger_logentry_no_delete",
    }

    executor = MigrationExecutor(connection)
    executor.migrate([AFTER])

    with connection.cursor() as cursor:
        assert partitions.is_partitioned(cursor)
        names = partitions.partitions(cursor)
    assert _primary_key() == ["id", "recorded_at"]
    assert _all(f"SELECT {', '.join(COLUMNS)} FROM ledger_logentry ORDER BY id") == before
    # Every month from the oldest row's to three ahead, none skipped, and the default.
    this_month = partitions.month_start(datetime.now(UTC))
    month, expected = datetime(2024, 2, 1).date(), []
    while month <= partitions.add_months(this_month, 3):
        expected.append(partitions.partition_name(month))
        month = partitions.add_months(month, 1)
    assert names == [*expected, partitions.DEFAULT_PARTITION]
    assert _partition_of(copies[0]) == "ledger_logentry_y2024m02"
    assert _partition_of(copies[1]) == _partition_of(copies[2]) == "ledger_logentry_y2025m07"
    assert _partition_of(far) == partitions.DEFAULT_PARTITION
    for table in ["ledger_logentry", *names]:
        assert _triggers(table) == {"ledger_logentry_no_update", "ledger_logentry_no_delete"}
        assert _index_count(table) == 1 + SECONDARY_INDEXES
    _assert_append_only("ledger_logentry_y2025m07", copies[1])
    _assert_append_only("ledger_logentry", first.id)
    # The sequence goes on from where it was: no id repeats or jumps.
    after = stock_adjust(company=company, product=widget, warehouse=warehouses[0], change=1)
    assert after.id == far + 1
    assert after.physical_on_hand == 7 + 12 + 1
    assert migration.OLD not in {t for (t,) in _all("SELECT tablename FROM pg_tables")}


def test_sqlite_keeps_one_plain_log_table(db):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only (runs in the SQLite pass)")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'ledger_logentry%'"
        )
        assert [name for (name,) in cursor.fetchall()] == ["ledger_logentry"]
    assert partitions.ensure_log_partitions() == []
