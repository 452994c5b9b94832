from django.urls import path

from . import views

app_name = "core"

urlpatterns = [
    path("settings/tokens/", views.tokens, name="tokens"),
    path("settings/tokens/<int:token_id>/revoke/", views.token_revoke_view, name="token-revoke"),
]
