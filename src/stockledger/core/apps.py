from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "stockledger.core"
    label = "core"

    def ready(self) -> None:
        from django.core import checks
        from django_tasks.signals import task_enqueued

        from . import db_setup  # noqa: F401  (connection hooks)
        from .page_middleware import check_page_middleware
        from .wake import on_task_enqueued

        checks.register(check_page_middleware, checks.Tags.security)

        # Wake the worker when a job is enqueued (NOTIFY / the serve pipe; core/wake.py).
        task_enqueued.connect(on_task_enqueued, dispatch_uid="stockledger-wake-worker")
