"""Reads of orders for pages and the API: lists, one order with its lines, its log rows."""

from typing import Any, cast

from django.db.models import Prefetch, QuerySet

from stockledger.core.document_lists import with_status
from stockledger.core.errors import InvalidInput
from stockledger.core.models import Company
from stockledger.core.tenancy import get_for_company
from stockledger.ledger.models import DocumentType, LogEntry
from stockledger.ledger.selectors import document_log_entries

from .models import Order, OrderLine, OrderStatus


def orders_list(
    *,
    company: Company,
    channel_id: int | None = None,
    status: str | None = None,
    warehouse_id: int | None = None,
    order_number: str | None = None,
) -> QuerySet[Order]:
    """The company's orders, newest import first, with channel and warehouse joined."""
    qs = Order.objects.filter(company=company).select_related("channel", "warehouse")
    if channel_id is not None:
        qs = qs.filter(channel_id=channel_id)
    qs = with_status(qs, status, choices=OrderStatus)
    if warehouse_id is not None:
        qs = qs.filter(warehouse_id=warehouse_id)
    if order_number:
        if any(ord(ch) < 32 for ch in order_number):
            raise InvalidInput(
                "order number must not contain control characters", field="order_number"
            )
        qs = qs.filter(order_number=order_number.strip())
    return qs.order_by("-id")


def with_lines(qs: QuerySet[Order]) -> QuerySet[Order]:
    """Prefetch each order's lines with their products and kit components."""
    return qs.prefetch_related(
        Prefetch(
            "lines",
            queryset=OrderLine.objects.select_related("product")
            .prefetch_related("components__component")
            .order_by("position"),
        )
    )


def order_detail(*, company: Company, order_id: object) -> Order:
    """One order with its lines; another company's or an unknown id is NotFound."""
    qs = with_lines(Order.objects.select_related("channel", "warehouse"))
    try:
        return qs.get(company=company, pk=int(cast(Any, order_id)))
    except (Order.DoesNotExist, TypeError, ValueError):
        return get_for_company(Order, company, order_id, label="order")  # raises NotFound


def order_log_entries(*, company: Company, order: Order) -> QuerySet[LogEntry]:
    """The log rows the order caused (its kits' and components' too), in recorded order."""
    return document_log_entries(
        company=company, document_type=DocumentType.ORDER, document_id=order.id
    )
