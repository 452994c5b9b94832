from django.contrib.auth import views as auth_views
from django.urls import path

from .views import (
    channel_new,
    channels,
    exports,
    home,
    imports,
    log,
    manufacturing,
    orders,
    product_edit,
    products,
    purchasing,
    reports,
    returns,
    stock,
    transfers,
    warehouses,
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
    # Setup: products, warehouses, sales channels.
    path("products/new/", product_edit.product_new, name="product_new"),
    path("products/new/line/", product_edit.product_line_row, name="product_line_row"),
    path("products/<int:product_id>/edit/", product_edit.product_edit, name="product_edit"),
    path("products/<int:product_id>/lines/", product_edit.product_lines, name="product_lines"),
    path(
        "products/<int:product_id>/archive/",
        product_edit.product_archive_view,
        name="product_archive",
    ),
    path(
        "products/<int:product_id>/unarchive/",
        product_edit.product_unarchive_view,
        name="product_unarchive",
    ),
    path(
        "products/<int:product_id>/delete/",
        product_edit.product_delete_view,
        name="product_delete",
    ),
    path("warehouses/", warehouses.warehouse_list, name="warehouse_list"),
    path("warehouses/<int:warehouse_id>/", warehouses.warehouse_edit, name="warehouse_edit"),
    path(
        "warehouses/<int:warehouse_id>/archive/",
        warehouses.warehouse_archive_view,
        name="warehouse_archive",
    ),
    path(
        "warehouses/<int:warehouse_id>/unarchive/",
        warehouses.warehouse_unarchive_view,
        name="warehouse_unarchive",
    ),
    path("channels/new/", channel_new.channel_new, name="channel_new"),
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
    path("imports/", imports.import_list, name="import_list"),
    path("imports/new/", imports.import_new, name="import_new"),
    path("imports/<int:import_id>/", imports.import_detail, name="import_detail"),
    path("imports/<int:import_id>/apply/", imports.import_apply, name="import_apply"),
    path("imports/<int:import_id>/rejected/", imports.import_rejected, name="import_rejected"),
    path("channels/", channels.channel_list, name="channel_list"),
    path("channels/<int:channel_id>/", channels.channel_view, name="channel_detail"),
    path(
        "channels/<int:channel_id>/<str:action>/",
        channels.channel_action,
        name="channel_action",
    ),
    path("orders/", orders.order_list, name="order_list"),
    path("orders/<int:order_id>/", orders.order_view, name="order_detail"),
    path("orders/<int:order_id>/<str:action>/", orders.order_action, name="order_action"),
    path("purchase-orders/", purchasing.po_list, name="po_list"),
    path("purchase-orders/<int:po_id>/", purchasing.po_detail, name="po_detail"),
    path("transfers/", transfers.transfer_list, name="transfer_list"),
    path("transfers/new/", transfers.transfer_new, name="transfer_new"),
    path("transfers/new/line/", transfers.transfer_line_row, name="transfer_line_row"),
    path("transfers/<int:transfer_id>/", transfers.transfer_view, name="transfer_detail"),
    path("returns/", returns.return_list, name="return_list"),
    path("returns/<int:return_id>/", returns.return_view, name="return_detail"),
    path("manufacturing-orders/", manufacturing.mo_list, name="mo_list"),
    path("manufacturing-orders/<int:mo_id>/", manufacturing.mo_view, name="mo_detail"),
]
