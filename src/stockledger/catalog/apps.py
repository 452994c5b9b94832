from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "stockledger.catalog"
    label = "catalog"
