from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "stockledger.web"
    label = "web"
