"""Reads of returns (RMAs) for the pages and the API."""

from dataclasses import dataclass

from django.db.models import Count, Prefetch, QuerySet, Sum

from stockledger.core.document_lists import with_number_like, with_status
from stockledger.core.models import Company
from stockledger.core.tenancy import get_for_company
from stockledger.ledger.models import DocumentType, LogEntry
from stockledger.ledger.selectors import document_log_entries

from .models import ReturnLine, ReturnOrder, ReturnReceipt, ReturnReceiptLine, ReturnStatus


def returns_for(
    *, company: Company, status: str | None = None, number: str | None = None
) -> QuerySet[ReturnOrder]:
    """The company's RMAs, newest first, with `line_count`, `total_expected`, `total_received`
    and `total_restocked` annotated."""
    qs = ReturnOrder.objects.filter(company=company)
    qs = with_number_like(with_status(qs, status, choices=ReturnStatus), number)
    return (
        qs.select_related("warehouse")
        .annotate(
            line_count=Count("lines"),
            total_expected=Sum("lines__expected_quantity"),
            total_received=Sum("lines__received_quantity"),
            total_restocked=Sum("lines__restocked_quantity"),
        )
        .order_by("-id")
    )


@dataclass
class ReturnDetail:
    return_order: ReturnOrder
    lines: list[ReturnLine]
    receipts: list[ReturnReceipt]  # oldest first, `lines` prefetched (return_line.product)


def return_detail(*, company: Company, return_id: object) -> ReturnDetail:
    """One RMA with its lines (expected, received and restocked so far) and its receipts.
    An unknown id or another company's raises NotFound."""
    rma = get_for_company(ReturnOrder, company, return_id, label="RMA")
    lines = list(rma.lines.select_related("product").order_by("id"))
    receipts = list(
        rma.receipts.select_related("user")
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=ReturnReceiptLine.objects.select_related("return_line__product").order_by(
                    "id"
                ),
            )
        )
        .order_by("received_at", "id")
    )
    return ReturnDetail(return_order=rma, lines=lines, receipts=receipts)


def return_log_entries(*, company: Company, return_order: ReturnOrder) -> QuerySet[LogEntry]:
    """The log rows the RMA caused (opening and receipts), in the order recorded."""
    return document_log_entries(
        company=company, document_type=DocumentType.RETURN, document_id=return_order.id
    )
