from django.apps import AppConfig


def _auth_stamp_after_migrate(sender: object, using: str = "default", **kwargs: object) -> None:
    """After every migrate (and flush): the auth stamp's row, and on SQLite its triggers, which
    a migration that rebuilds the users', companies' or tokens' table would have dropped."""
    from django.db import connections

    from . import auth_triggers
    from .auth import stamp_row_ensure
    from .models import AuthStamp

    connection = connections[using]
    if AuthStamp._meta.db_table not in connection.introspection.table_names():
        return  # migrated back before the stamp existed
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            for statement in auth_triggers.SQLITE_FORWARD:
                cursor.execute(
                    statement.replace("CREATE TRIGGER", "CREATE TRIGGER IF NOT EXISTS", 1)
                )
    stamp_row_ensure(using=using)


class CoreConfig(AppConfig):
    name = "stockledger.core"
    label = "core"

    def ready(self) -> None:
        from django.core import checks
        from django.db.models.signals import post_migrate
        from django_tasks.signals import task_enqueued

        from . import db_setup  # noqa: F401  (connection hooks)
        from .page_middleware import check_page_middleware
        from .wake import on_task_enqueued

        checks.register(check_page_middleware, checks.Tags.security)

        # Wake the worker when a job is enqueued (NOTIFY / the serve pipe; core/wake.py).
        task_enqueued.connect(on_task_enqueued, dispatch_uid="stockledger-wake-worker")
        post_migrate.connect(
            _auth_stamp_after_migrate, sender=self, dispatch_uid="stockledger-auth-stamp"
        )
