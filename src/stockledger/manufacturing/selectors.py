"""Reads of manufacturing orders for pages and the API."""

from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import QuerySet

from stockledger.catalog.models import BomLine, Product
from stockledger.core.document_lists import with_status
from stockledger.core.models import Company
from stockledger.core.tenancy import get_for_company
from stockledger.ledger.models import DocumentType, LogEntry
from stockledger.ledger.selectors import document_log_entries
from stockledger.warehouses.models import Stock, Warehouse

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
    qs = with_status(qs, status, choices=MoStatus)
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


@dataclass
class ComponentNeed:
    """What making `units` takes of one component in the MO's warehouse, against what is there."""

    component: Product
    per_unit: int
    needed: int  # units x per_unit
    physical: int  # physical on hand in the warehouse: what finishing consumes
    available: int  # physical minus units committed to open orders there

    @property
    def short_by(self) -> int:
        """Units missing: finishing refuses while any component is short."""
        return max(0, self.needed - self.physical)

    @property
    def takes_committed(self) -> bool:
        """Enough on the shelf, but only by using units promised to open orders."""
        return self.short_by == 0 and self.needed > self.available


def component_needs(
    *, components: Sequence[tuple[Product, int]], units: int, warehouse: Warehouse
) -> list[ComponentNeed]:
    """(component, quantity per unit) pairs against the warehouse's stock, for `units`."""
    stock = {
        row["product_id"]: row
        for row in Stock.objects.filter(
            warehouse=warehouse, product_id__in=[c.id for c, _ in components]
        ).values("product_id", "physical_on_hand", "committed")
    }
    needs = []
    for component, per_unit in components:
        row = stock.get(component.id, {"physical_on_hand": 0, "committed": 0})
        needs.append(
            ComponentNeed(
                component=component,
                per_unit=per_unit,
                needed=units * per_unit,
                physical=row["physical_on_hand"],
                available=row["physical_on_hand"] - row["committed"],
            )
        )
    return needs


def bom_component_needs(
    *, product: Product, units: int, warehouse: Warehouse
) -> list[ComponentNeed]:
    """What a new MO for `units` of `product` would take, from its bill of materials now."""
    bom = BomLine.objects.filter(product=product).select_related("component").order_by("id")
    return component_needs(
        components=[(b.component, b.quantity) for b in bom], units=units, warehouse=warehouse
    )


def mo_component_needs(*, mo: ManufacturingOrder) -> list[ComponentNeed]:
    """What finishing the rest of the MO takes, from the bill of materials it copied."""
    return component_needs(
        components=[(c.component, c.quantity_per_unit) for c in mo.components.all()],
        units=mo.remaining,
        warehouse=mo.warehouse,
    )
