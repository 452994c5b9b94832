from django.apps import AppConfig


class TransfersConfig(AppConfig):
    name = "stockledger.transfers"
    label = "transfers"
