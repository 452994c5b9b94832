from django.apps import AppConfig


class WarehousesConfig(AppConfig):
    name = "stockledger.warehouses"
    label = "warehouses"
