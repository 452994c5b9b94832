from django.contrib.auth import views as auth_views
from django.urls import path

from .views import home, log, products, stock

app_name = "web"

urlpatterns = [
    path("", home.home, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="web/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("products/", products.product_list, name="product_list"),
    path("products/<int:product_id>/", products.product_detail, name="product_detail"),
    path(
        "products/<int:product_id>/quantities/",
        products.product_quantities,
        name="product_quantities",
    ),
    path("products/<int:product_id>/log/", log.product_log, name="product_log"),
    path("products/<int:product_id>/chart/", log.product_chart, name="product_chart"),
    path("products/<int:product_id>/on-hand/", stock.product_on_hand, name="product_on_hand"),
]
