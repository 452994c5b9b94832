from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "stockledger.orders"
    label = "orders"
