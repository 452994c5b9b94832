"""JSON API of the stock-on-a-date report (and its CSV / XLSX file)."""

import re
from datetime import tzinfo
from typing import Annotated, Any, Literal

from django.http import HttpResponse
from ninja import Field, Query, Router, Schema
from pydantic import BeforeValidator

from stockledger.core.ids import MAX_ID
from stockledger.core.requests import CompanyRequest
from stockledger.core.schemas import Timestamp
from stockledger.exports.parameters import zone

from .stock_on_date import StockAt, StockOnDate, stock_on_date
from .stock_on_date_files import stock_on_date_csv, stock_on_date_xlsx

router = Router(tags=["reports"])

_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def _iso_text(value: object) -> str:
    """Only an ISO 8601 text: pydantic would read "0.5" as seconds since 1970."""
    if not isinstance(value, str) or not _ISO.match(value):
        raise ValueError("at must be ISO 8601 with an offset, e.g. 2026-12-01T09:30:00-05:00")
    return value


Moment = Annotated[Timestamp, BeforeValidator(_iso_text)]


class StockOnDateQuery(Schema):
    at: Moment = Field(description="the moment, ISO 8601 with offset")
    warehouse_id: int | None = Field(None, ge=1, le=MAX_ID)
    sku: str | None = Field(None, max_length=100)


class StockAtOut(Schema):
    product_id: int
    sku: str
    warehouse_id: int | None = Field(description="null on a product's totals")
    warehouse_name: str
    physical_on_hand: int
    committed: int
    available_on_hand: int


class StockOnDateOut(Schema):
    at: Timestamp
    items: list[StockAtOut] = Field(description="product x warehouse, by SKU then warehouse")
    totals: list[StockAtOut] = Field(description="per product over the warehouses, by SKU")


def _out(row: StockAt) -> dict[str, Any]:
    return {
        "product_id": row.product_id,
        "sku": row.sku,
        "warehouse_id": row.warehouse_id,
        "warehouse_name": row.warehouse_name,
        "physical_on_hand": row.physical_on_hand,
        "committed": row.committed,
        "available_on_hand": row.available_on_hand,
    }


@router.get(
    "/reports/stock-on-date",
    response=StockOnDateOut,
    summary="Every product x warehouse's physical, committed and available as of a moment",
    description=(
        "Read from the log: each product x warehouse as its last log row at or before `at` "
        "left it (created_at, then sequence); kits derived per warehouse from their "
        "components; totals summed over warehouses."
    ),
)
def get_stock_on_date(request: CompanyRequest, query: Query[StockOnDateQuery]) -> dict[str, Any]:
    report = stock_on_date(
        company=request.company, at=query.at, warehouse_id=query.warehouse_id, sku=query.sku
    )
    return {
        "at": report.at,
        "items": [_out(r) for r in report.rows],
        "totals": [_out(r) for r in report.totals],
    }


class StockOnDateFileQuery(StockOnDateQuery):
    format: Literal["csv", "xlsx"] = "csv"
    timezone: str = Field("UTC", max_length=64, description="IANA name for the as_of column")


@router.get(
    "/reports/stock-on-date/file",
    summary="The stock-on-a-date report as a CSV or XLSX file",
)
def get_stock_on_date_file(
    request: CompanyRequest, query: Query[StockOnDateFileQuery]
) -> HttpResponse:
    tz = zone(query.timezone)
    report = stock_on_date(
        company=request.company, at=query.at, warehouse_id=query.warehouse_id, sku=query.sku
    )
    return stock_on_date_response(report, query.format, tz)


def stock_on_date_response(report: StockOnDate, format: str, tz: tzinfo) -> HttpResponse:
    """The file download of a report (used by the API and the page)."""
    stamp = report.at.astimezone(tz).strftime("%Y%m%d-%H%M")
    name = f"stock-on-date-{stamp}"
    if format == "xlsx":
        response = HttpResponse(
            stock_on_date_xlsx(report, tz),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
        return response
    response = HttpResponse(stock_on_date_csv(report, tz), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response
