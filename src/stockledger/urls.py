from django.contrib import admin
from django.db import connection
from django.http import HttpResponse
from django.urls import include, path

from stockledger.api import api
from stockledger.channels.inbound import hook_receive


def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("hooks/<int:channel_id>/<str:kind>", hook_receive, name="hook_receive"),
    path("", include("stockledger.core.urls")),
    path("", include("stockledger.web.urls")),
]
