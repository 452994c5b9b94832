from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "stockledger.core"
    label = "core"

    def ready(self) -> None:
        from . import db_setup  # noqa: F401  (connection hooks)
