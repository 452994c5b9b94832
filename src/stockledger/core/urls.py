from django.urls import path

from . import audit_views, views

app_name = "core"

urlpatterns = [
    path("settings/tokens/", views.tokens, name="tokens"),
    path("settings/tokens/<int:token_id>/revoke/", views.token_revoke_view, name="token-revoke"),
    path("settings/audit/", audit_views.audit_list, name="audit"),
]
