from django.apps import AppConfig


class PurchasingConfig(AppConfig):
    name = "stockledger.purchasing"
    label = "purchasing"
