from django.contrib.auth import views as auth_views
from django.urls import path

from .views import (
    channels,
    documents,
    exports,
    home,
    log,
    manufacturing,
    orders,
    products,
    purchasing,
    reports,
    returns,
    stock,
    transfers,
)

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
    path("products/suggest/", products.sku_suggestions, name="sku_suggestions"),
    path(
        "products/<int:product_id>/quantities/",
        products.product_quantities,
        name="product_quantities",
    ),
    path("products/<int:product_id>/log/", log.product_log, name="product_log"),
    path("products/<int:product_id>/chart/", log.product_chart, name="product_chart"),
    path("products/<int:product_id>/on-hand/", stock.product_on_hand, name="product_on_hand"),
    path("products/<int:product_id>/export/", exports.product_export, name="product_export"),
    path(
        "products/<int:product_id>/export/form/",
        exports.product_export_form,
        name="product_export_form",
    ),
    path("exports/", exports.export_list, name="export_list"),
    path("reports/stock-on-date/", reports.stock_on_date_report, name="stock_on_date"),
    path("exports/<int:export_id>/file/", exports.export_file, name="export_file"),
    path("channels/", channels.channel_list, name="channel_list"),
    path("channels/<int:channel_id>/", channels.channel_view, name="channel_detail"),
    path(
        "channels/<int:channel_id>/<str:action>/",
        channels.channel_action,
        name="channel_action",
    ),
    path("orders/", orders.order_list, name="order_list"),
    path("orders/new/", orders.order_new, name="order_new"),
    path("orders/<int:order_id>/", orders.order_view, name="order_detail"),
    path("orders/<int:order_id>/<str:action>/", orders.order_action, name="order_action"),
    path("purchase-orders/", purchasing.po_list, name="po_list"),
    path("purchase-orders/new/", purchasing.po_new, name="po_new"),
    path("purchase-orders/<int:po_id>/", purchasing.po_detail, name="po_detail"),
    path("purchase-orders/<int:po_id>/edit/", purchasing.po_edit, name="po_edit"),
    path("purchase-orders/<int:po_id>/close/", purchasing.po_close, name="po_close"),
    path("transfers/", transfers.transfer_list, name="transfer_list"),
    path("transfers/new/", transfers.transfer_new, name="transfer_new"),
    path(
        "transfers/new/line/",
        documents.line_row,
        {"kind": "transfer"},
        name="transfer_line_row",
    ),
    path("lines/<str:kind>/row/", documents.line_row, name="line_row"),
    path("transfers/<int:transfer_id>/", transfers.transfer_view, name="transfer_detail"),
    path("returns/", returns.return_list, name="return_list"),
    path("returns/new/", returns.return_new, name="return_new"),
    path("returns/<int:return_id>/", returns.return_view, name="return_detail"),
    path("manufacturing-orders/", manufacturing.mo_list, name="mo_list"),
    path("manufacturing-orders/new/", manufacturing.mo_new, name="mo_new"),
    path("manufacturing-orders/new/check/", manufacturing.mo_new_check, name="mo_new_check"),
    path("manufacturing-orders/<int:mo_id>/", manufacturing.mo_view, name="mo_detail"),
]
