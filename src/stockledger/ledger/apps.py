from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_sqlite_triggers(sender: object, using: str = "default", **kwargs: object) -> None:
    # SQLite rebuilds a table for some schema changes, which drops its triggers: re-create
    # the append-only triggers after every migrate so a later migration cannot lose them.
    from django.db import connections

    from . import db_triggers

    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        for statement in db_triggers.SQLITE_FORWARD:
            cursor.execute(statement.replace("CREATE TRIGGER", "CREATE TRIGGER IF NOT EXISTS", 1))


class LedgerConfig(AppConfig):
    name = "stockledger.ledger"
    label = "ledger"

    def ready(self) -> None:
        post_migrate.connect(_ensure_sqlite_triggers, sender=self)
