"""Reads of purchasing for the pages and the API: PO lists, one PO with its receipts, its log."""

from dataclasses import dataclass

from django.db.models import Count, Prefetch, QuerySet, Sum

from stockledger.core.document_lists import with_number_like, with_status
from stockledger.core.models import Company
from stockledger.core.tenancy import get_for_company
from stockledger.ledger.models import DocumentType, LogEntry
from stockledger.ledger.selectors import document_log_entries

from .models import (
    GoodsReceipt,
    GoodsReceiptLine,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderStatus,
)


def purchase_orders_for(
    *, company: Company, status: str | None = None, number: str | None = None
) -> QuerySet[PurchaseOrder]:
    """The company's purchase orders, newest first, with line counts and ordered/received
    totals annotated (`line_count`, `total_ordered`, `total_received`)."""
    qs = PurchaseOrder.objects.filter(company=company)
    qs = with_number_like(with_status(qs, status, choices=PurchaseOrderStatus), number)
    return (
        qs.select_related("warehouse")
        .annotate(
            line_count=Count("lines"),
            total_ordered=Sum("lines__quantity_ordered"),
            total_received=Sum("lines__quantity_received"),
        )
        .order_by("-id")
    )


@dataclass
class PurchaseOrderDetail:
    purchase_order: PurchaseOrder
    lines: list[PurchaseOrderLine]
    receipts: list[GoodsReceipt]  # oldest first, each with `lines` prefetched (po_line.product)

    @property
    def editable(self) -> bool:
        """Lines, number, warehouse and supplier may change: nothing received, not closed."""
        po = self.purchase_order
        return (
            not po.is_closed
            and not self.receipts
            and not any(line.quantity_received for line in self.lines)
        )

    @property
    def outstanding(self) -> int:
        return sum(line.outstanding for line in self.lines)


def purchase_order_detail(*, company: Company, purchase_order_id: object) -> PurchaseOrderDetail:
    """One PO with its lines (ordered / received so far) and its goods receipts.
    Another company's id or an unknown one raises NotFound."""
    po = get_for_company(PurchaseOrder, company, purchase_order_id, label="purchase order")
    lines = list(po.lines.select_related("product").order_by("id"))
    receipts = list(
        po.receipts.select_related("user")
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=GoodsReceiptLine.objects.select_related("po_line__product").order_by("id"),
            )
        )
        .order_by("received_at", "id")
    )
    return PurchaseOrderDetail(purchase_order=po, lines=lines, receipts=receipts)


def purchase_order_log_entries(
    *, company: Company, purchase_order: PurchaseOrder
) -> QuerySet[LogEntry]:
    """The log rows the PO caused (its receipts' `po_received` rows), in the order recorded."""
    return document_log_entries(
        company=company, document_type=DocumentType.PURCHASE_ORDER, document_id=purchase_order.id
    )


def suppliers_of(*, company: Company, limit: int = 200) -> list[str]:
    """The suppliers the company's POs name, for the supplier field's suggestions."""
    return list(
        PurchaseOrder.objects.filter(company=company)
        .exclude(supplier="")
        .order_by("supplier")
        .values_list("supplier", flat=True)
        .distinct()[:limit]
    )
