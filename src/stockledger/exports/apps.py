from django.apps import AppConfig


class ExportsConfig(AppConfig):
    name = "stockledger.exports"
    label = "exports"
