from django.urls import path

from . import audit_views, people_views, views

app_name = "core"

urlpatterns = [
    path("settings/tokens/", views.tokens, name="tokens"),
    path("settings/tokens/<int:token_id>/revoke/", views.token_revoke_view, name="token-revoke"),
    path("settings/audit/", audit_views.audit_list, name="audit"),
    path("settings/people/", people_views.people, name="people"),
    path("settings/people/<int:user_id>/", people_views.person, name="person"),
    path("settings/password/", people_views.password, name="password"),
    path("settings/company/", people_views.company_settings, name="company_settings"),
]
