"""Reads of manufacturing orders for pages and the API."""

from django.db.models import QuerySet

from stockledger.core.errors import InvalidInput
from stockledger.core.models import Company
from stockledger.core.tenancy import get_for_company
from stockledger.ledger.models import DocumentType, LogEntry
from stockledger.ledger.selectors import document_log_entries

from .models import ManufacturingOrder, MoStatus


def mos_list(
    *,
    company: Company,
    status: str | None = None,
    product_id: int | None = None,
    warehouse_id: int | None = None,
) -> QuerySet[ManufacturingOrder]:
    """The company's manufacturing orders, newest first, with product and warehouse joined."""
    qs = ManufacturingOrder.objects.filter(company=company).select_related("product", "warehouse")
    if status:
        if status not in MoStatus.values:
            raise InvalidInput(
                f"status must be one of {', '.join(MoStatus.values)}", field="status"
            )
        qs = qs.filter(status=status)
    if product_id is not None:
        qs = qs.filter(product_id=product_id)
    if warehouse_id is not None:
        qs = qs.filter(warehouse_id=warehouse_id)
    return qs.prefetch_related("components__component").order_by("-id")


def mo_detail(*, company: Company, mo_id: object) -> ManufacturingOrder:
    """One MO with its components; another company's or an unknown id is NotFound."""
    mo = get_for_company(ManufacturingOrder, company, mo_id, label="manufacturing order")
    return (
        ManufacturingOrder.objects.select_related("product", "warehouse")
        .prefetch_related("components__component")
        .get(pk=mo.pk)
    )


def mo_log_entries(*, company: Company, mo: ManufacturingOrder) -> QuerySet[LogEntry]:
    """The log rows the MO caused (product and components), in recorded order."""
    return document_log_entries(
        company=company, document_type=DocumentType.MANUFACTURING_ORDER, document_id=mo.id
    )
