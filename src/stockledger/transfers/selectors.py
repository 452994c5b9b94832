"""Reads of transfers for the pages and the API."""

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet, Sum

from stockledger.core.document_lists import with_number_like
from stockledger.core.models import Company
from stockledger.core.tenancy import get_for_company
from stockledger.ledger.models import DocumentType, LogEntry
from stockledger.ledger.selectors import document_log_entries

from .models import Transfer, TransferLine


def transfers_for(
    *, company: Company, warehouse_id: int | None = None, number: str | None = None
) -> QuerySet[Transfer]:
    """The company's transfers, newest first, with `line_count` and `total_quantity` annotated;
    `warehouse_id` keeps those sending from or receiving at that warehouse."""
    qs = Transfer.objects.filter(company=company)
    if warehouse_id is not None:
        qs = qs.filter(
            Q(sending_warehouse_id=warehouse_id) | Q(receiving_warehouse_id=warehouse_id)
        )
    qs = with_number_like(qs, number)
    return (
        qs.select_related("sending_warehouse", "receiving_warehouse", "user")
        .annotate(line_count=Count("lines"), total_quantity=Sum("lines__quantity"))
        .order_by("-id")
    )


@dataclass
class TransferDetail:
    transfer: Transfer
    lines: list[TransferLine]


def transfer_detail(*, company: Company, transfer_id: object) -> TransferDetail:
    """One transfer with its lines; an unknown id or another company's raises NotFound."""
    transfer = get_for_company(Transfer, company, transfer_id, label="transfer")
    lines = list(transfer.lines.select_related("product").order_by("id"))
    return TransferDetail(transfer=transfer, lines=lines)


def transfer_log_entries(*, company: Company, transfer: Transfer) -> QuerySet[LogEntry]:
    """The log rows the transfer caused, in the order recorded."""
    return document_log_entries(
        company=company, document_type=DocumentType.TRANSFER, document_id=transfer.id
    )
