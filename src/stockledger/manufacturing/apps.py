from django.apps import AppConfig


class ManufacturingConfig(AppConfig):
    name = "stockledger.manufacturing"
    label = "manufacturing"
