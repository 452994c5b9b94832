"""PostgreSQL: the Inventory Log becomes a table partitioned by month on `recorded_at`.

In place, in one transaction (the table is locked for its duration; measured: see
docs/scale.md, "Migrating an existing log"):

1. the unpartitioned table, its identity sequence and primary key are renamed aside, and its
   secondary indexes and foreign keys dropped (their names are reused);
2. a partitioned `ledger_logentry` is created with the same columns, defaults, identity and
   storage; its sequence is set to where the old one was, so ids continue without a gap or
   a repeat;
3. one partition per month from the oldest row's month to `STOCKLEDGER_LOG_PARTITIONS_AHEAD`
   months past now, and the DEFAULT partition;
4. every row is copied (`INSERT ... SELECT`, ids and all) and counted;
5. the primary key `(id, recorded_at)`, the same secondary indexes and foreign keys and the
   append-only triggers are created on the parent (PostgreSQL puts them on every partition);
6. the old table is dropped.

The reverse turns it back into one plain table the same way (primary key `(id)`).
SQLite: nothing changes. Django's model state does not change either: `id` is still the
model's primary key (it is unique: one sequence feeds it).
"""

from datetime import UTC, datetime

from django.conf import settings
from django.db import migrations

from stockledger.ledger import partitions
from stockledger.ledger.db_triggers import PG_FORWARD

TABLE = partitions.TABLE
OLD = f"{TABLE}_old"


def _columns(cursor, table: str) -> list[str]:
    cursor.execute(
        "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass(%s) AND attnum > 0"
        " AND NOT attisdropped ORDER BY attnum",
        [table],
    )
    return [f'"{name}"' for (name,) in cursor.fetchall()]


def rebuild(cursor, *, partitioned: bool) -> None:
    """Rebuild `ledger_logentry` as a partitioned (or plain) table with every row, index,
    foreign key, trigger and the sequence's position kept."""
    cursor.execute(f"LOCK TABLE {TABLE} IN ACCESS EXCLUSIVE MODE")
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [TABLE])
    (sequence,) = cursor.fetchone()
    cursor.execute(f"SELECT last_value, is_called FROM {sequence}")
    last_value, is_called = cursor.fetchone()
    cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
        " AND tablename = %s AND indexname <> %s ORDER BY indexname",
        [TABLE, f"{TABLE}_pkey"],
    )
    indexes = cursor.fetchall()
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE conrelid = to_regclass(%s) AND contype = 'f' ORDER BY conname",
        [TABLE],
    )
    foreign_keys = cursor.fetchall()

    # 1. Aside: free every name the new table reuses.
    for name, _definition in foreign_keys:
        cursor.execute(f'ALTER TABLE {TABLE} DROP CONSTRAINT "{name}"')
    for name, _definition in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    cursor.execute(f"ALTER TABLE {TABLE} RENAME CONSTRAINT {TABLE}_pkey TO {OLD}_pkey")
    cursor.execute(f"ALTER TABLE {TABLE} RENAME TO {OLD}")
    cursor.execute(f"ALTER SEQUENCE {sequence} RENAME TO {OLD}_id_seq")

    # 2. The new table, its sequence where the old one was.
    layout = " PARTITION BY RANGE (recorded_at)" if partitioned else ""
    cursor.execute(
        f"CREATE TABLE {TABLE} (LIKE {OLD} INCLUDING DEFAULTS INCLUDING IDENTITY"
        f" INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING COMMENTS){layout}"
    )
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [TABLE])
    (new_sequence,) = cursor.fetchone()
    cursor.execute("SELECT setval(%s, %s, %s)", [new_sequence, last_value, is_called])

    # 3. Partitions for every month that has rows, up to the months ahead.
    if partitioned:
        cursor.execute(f"SELECT min(recorded_at) FROM {OLD}")
        (oldest,) = cursor.fetchone()
        this_month = partitions.month_start(datetime.now(UTC))
        first = partitions.month_start(oldest.astimezone(UTC)) if oldest else this_month
        last = partitions.add_months(this_month, settings.STOCKLEDGER_LOG_PARTITIONS_AHEAD)
        partitions.create_partitions(cursor, first=min(first, this_month), last=last)
        cursor.execute("SET LOCAL lock_timeout = DEFAULT")

    # 4. The rows, ids and all.
    columns = ", ".join(_columns(cursor, OLD))
    cursor.execute(f"INSERT INTO {TABLE} ({columns}) SELECT {columns} FROM {OLD}")
    copied = cursor.rowcount
    cursor.execute(f"SELECT count(*) FROM {OLD}")
    (expected,) = cursor.fetchone()
    if copied != expected:
        raise RuntimeError(f"log rebuild copied {copied} rows of {expected}; nothing changed")

    # 5. Keys, indexes, foreign keys and triggers on the new table (and its partitions).
    key = "id, recorded_at" if partitioned else "id"
    cursor.execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT {TABLE}_pkey PRIMARY KEY ({key})")
    for _name, definition in indexes:  # read before the rename: they name ledger_logentry
        # A partitioned table's index reads "ON ONLY": the plain table needs it whole.
        cursor.execute(definition.replace(" ON ONLY ", " ON ", 1))
    for name, definition in foreign_keys:
        cursor.execute(f'ALTER TABLE {TABLE} ADD CONSTRAINT "{name}" {definition}')
    cursor.execute(PG_FORWARD)

    # 6. The old table goes (with its triggers and sequence).
    cursor.execute(f"DROP TABLE {OLD}")
    cursor.execute(f"ANALYZE {TABLE}")


def _pg_rebuild(partitioned: bool):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        with schema_editor.connection.cursor() as cursor:
            if partitions.is_partitioned(cursor) == partitioned:
                return
            rebuild(cursor, partitioned=partitioned)

    return run


class Migration(migrations.Migration):
    dependencies = [("ledger", "0005_log_entry_reason")]
    operations = [migrations.RunPython(_pg_rebuild(True), _pg_rebuild(False))]
