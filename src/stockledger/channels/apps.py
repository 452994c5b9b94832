from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    name = "stockledger.channels"
    label = "channels"
