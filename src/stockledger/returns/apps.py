from django.apps import AppConfig


class ReturnsConfig(AppConfig):
    name = "stockledger.returns"
    label = "returns"
