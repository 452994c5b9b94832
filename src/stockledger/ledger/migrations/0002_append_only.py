"""The database itself refuses UPDATE and DELETE of log rows.

PostgreSQL: a row trigger raising an exception. SQLite: triggers that abort unless the
connection's `stockledger_log_purge_allowed()` says 1, which only the test suite's flush does
(see stockledger.core.db_setup); other SQLite clients lack the function and fail too.
"""

from django.db import migrations

from stockledger.ledger.db_triggers import PG_BACKWARD, PG_FORWARD, SQLITE_BACKWARD, SQLITE_FORWARD


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FORWARD, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_FORWARD:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_BACKWARD, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
