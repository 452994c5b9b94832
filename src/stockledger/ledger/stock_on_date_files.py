"""Stock on a date as a CSV or XLSX file: one row per product x warehouse, then one
`(all warehouses)` row per product with its totals."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import tzinfo

import xlsxwriter

from .csv_writer import guard_text, zone_name
from .stock_on_date import StockAt, StockOnDate

COLUMNS = (
    "as_of",
    "sku",
    "warehouse_id",
    "warehouse_name",
    "physical_on_hand",
    "committed",
    "available_on_hand",
)
ALL_WAREHOUSES = "(all warehouses)"


def _rows(report: StockOnDate) -> Iterator[StockAt]:
    totals = {t.product_id: t for t in report.totals}
    by_product: dict[int, list[StockAt]] = {}
    for row in report.rows:
        by_product.setdefault(row.product_id, []).append(row)
    for product_id, total in totals.items():
        for row in by_product.get(product_id, []):
            yield row
        yield total


def stock_on_date_csv(report: StockOnDate, tz: tzinfo) -> str:
    """The report as RFC 4180 CSV text (UTF-8 with BOM for spreadsheets)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    as_of = report.at.astimezone(tz).isoformat("T", "microseconds")
    for row in _rows(report):
        writer.writerow(
            [
                as_of,
                guard_text(row.sku),
                "" if row.warehouse_id is None else row.warehouse_id,
                guard_text(row.warehouse_name) if row.warehouse_id else ALL_WAREHOUSES,
                row.physical_on_hand,
                row.committed,
                row.available_on_hand,
            ]
        )
    return out.getvalue()


def stock_on_date_xlsx(report: StockOnDate, tz: tzinfo) -> bytes:
    """The report as an XLSX workbook: as_of a date cell (zone in the header), numbers."""
    out = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        out,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    sheet = workbook.add_worksheet("Stock on date")
    bold = workbook.add_format({"bold": True})
    stamp = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss.000"})
    headers = [f"as_of ({zone_name(tz)})", *COLUMNS[1:]]
    for index, name in enumerate(headers):
        sheet.write_string(0, index, name, bold)
    sheet.set_column(0, 0, 24)
    as_of = report.at.astimezone(tz).replace(tzinfo=None)
    r = 0
    for r, row in enumerate(_rows(report), start=1):
        sheet.write_datetime(r, 0, as_of, stamp)
        sheet.write_string(r, 1, row.sku)
        if row.warehouse_id is not None:
            sheet.write_number(r, 2, row.warehouse_id)
        sheet.write_string(r, 3, row.warehouse_name if row.warehouse_id else ALL_WAREHOUSES)
        sheet.write_number(r, 4, row.physical_on_hand)
        sheet.write_number(r, 5, row.committed)
        sheet.write_number(r, 6, row.available_on_hand)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, r, len(COLUMNS) - 1)
    workbook.close()
    return out.getvalue()
