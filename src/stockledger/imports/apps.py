from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "stockledger.imports"
    label = "imports"
