"""The measurements `bench/run.py` knows, by name, with the engines each runs on."""

from . import (
    api_paths,
    exports,
    http_paths,
    imports,
    orders_bulk,
    serve_paths,
    stock_on_date,
    vendure_sync,
    writes,
)
from .harness import ENGINES

BOTH = ENGINES
MEASUREMENTS = {
    "single_stock_changes": (writes.single_stock_changes, BOTH),
    "bulk_order_import": (orders_bulk.bulk_order_import, BOTH),
    "csv_export": (exports.csv_export, BOTH),
    "kit_export": (exports.kit_export_result, BOTH),
    "log_page": (http_paths.log_page, BOTH),
    "export_memory": (exports.export_memory, BOTH),
    "stock_on_date": (stock_on_date.stock_on_date_result, BOTH),
    "count_import": (imports.count_import, BOTH),
    "api_adjustments": (api_paths.api_adjustments, BOTH),
    "api_orders": (api_paths.api_orders, BOTH),
    "api_log_page": (api_paths.api_log_page, BOTH),
    "web_log_page": (api_paths.web_log_page, BOTH),
    "http_adjustments": (serve_paths.http_adjustments, BOTH),
    "http_orders": (serve_paths.http_orders, BOTH),
    "export_latency": (serve_paths.export_latency, BOTH),
    # One hot SKU under 8 writers is a PostgreSQL question: SQLite has one writer at a time.
    "concurrent_writers": (writes.concurrent_writers, ("postgresql",)),
    # A real Vendure store beside (it needs the PostgreSQL server itself): run once.
    "vendure_sync": (vendure_sync.vendure_sync, ("postgresql",)),
}
