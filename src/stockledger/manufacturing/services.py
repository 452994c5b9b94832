"""Writes for manufacturing orders: create one, finish it (all or part).

Finishing goes through the ledger: the product's physical on hand goes up by the units made
and each component's goes down by units x its quantity per unit, all at the MO's warehouse,
logged as `mo_finished` rows with event_id = the MO number and document_type =
manufacturing_order.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from stockledger.catalog.models import BomLine, Product, ProductKind
from stockledger.core.documents import (
    clean_document_number,
    clean_units,
    number_taken,
    unique_number,
)
from stockledger.core.errors import Conflict, InsufficientStock, InvalidInput, NotFound
from stockledger.core.limits import ORDER_QUANTITY_MAX
from stockledger.core.models import Company, User
from stockledger.ledger.models import DocumentType, EventType
from stockledger.ledger.services import LogLine, ledger_record, write_transaction
from stockledger.warehouses.models import Stock, Warehouse

from .models import ManufacturingOrder, ManufacturingOrderComponent, MoStatus


def _clean_quantity(value: Any) -> int:
    return clean_units(value, field="quantity", maximum=ORDER_QUANTITY_MAX)


def mo_create(
    *,
    company: Company,
    number: str,
    product: Product,
    quantity: int,
    warehouse: Warehouse,
    user: User | None = None,
) -> ManufacturingOrder:
    """Create a manufacturing order for `quantity` units of `product` at `warehouse`.

    The product's bill of materials is copied onto the MO: finishing consumes what it said
    when the MO was created. Nothing changes in stock and nothing is logged until finished.
    Raises InvalidInput (a product without a bill of materials, a number already used in the
    company, a non-positive quantity, another company's product or warehouse).
    """
    number = clean_document_number(number)
    quantity = _clean_quantity(quantity)
    if product.company_id != company.id:
        raise InvalidInput(f"unknown SKU {product.sku!r}", field="sku")
    if warehouse.company_id != company.id:
        raise InvalidInput(f"unknown warehouse {warehouse.id!r}", field="warehouse_id")
    bom = list(BomLine.objects.filter(product=product).select_related("component").order_by("id"))
    if product.kind != ProductKind.MANUFACTURED or not bom:
        raise InvalidInput(
            f"{product.sku} has no bill of materials; only manufactured products are made by "
            "manufacturing orders",
            field="sku",
        )
    if ManufacturingOrder.objects.filter(company=company, number=number).exists():
        raise number_taken("manufacturing order", number)
    with unique_number("manufacturing order", number):
        mo = ManufacturingOrder.objects.create(
            company=company,
            number=number,
            product=product,
            quantity=quantity,
            warehouse=warehouse,
            created_by=user,
        )
        ManufacturingOrderComponent.objects.bulk_create(
            ManufacturingOrderComponent(
                manufacturing_order=mo, component=b.component, quantity_per_unit=b.quantity
            )
            for b in bom
        )
    return mo


def _check_components(
    mo: ManufacturingOrder, units: int, components: list[ManufacturingOrderComponent]
) -> None:
    """Refuse, naming every short component, before the ledger would refuse the first one."""
    have = dict(
        Stock.objects.filter(
            warehouse=mo.warehouse, product_id__in=[c.component_id for c in components]
        ).values_list("product_id", "physical_on_hand")
    )
    short = [
        f"{c.component.sku} needs {units * c.quantity_per_unit}, has {have.get(c.component_id, 0)}"
        for c in components
        if have.get(c.component_id, 0) < units * c.quantity_per_unit
    ]
    if short:
        raise InsufficientStock(
            f"not enough components in {mo.warehouse.name} to make {units} x {mo.product.sku}: "
            + "; ".join(short),
            field="quantity",
        )


@write_transaction
def mo_finish(
    *,
    company: Company,
    mo: ManufacturingOrder,
    quantity: int | None = None,
    user: User | None = None,
) -> ManufacturingOrder:
    """Finish `quantity` units of the MO (default: all that remain).

    - The product's physical on hand at the MO's warehouse goes up by `quantity`; each
      component's goes down by `quantity` x its quantity per unit.
    - Logs `mo_finished` rows: the product's with quantity = +units made, each component's
      with quantity = -(units consumed); event_id = the MO number, user_name from `user`.
    - The MO becomes partially_finished, or finished once nothing remains.
    Raises InsufficientStock naming each short component (components are never driven below
    zero), Conflict when the MO is finished or `quantity` exceeds what remains, InvalidInput
    for a non-positive quantity; each changes nothing.
    """
    mo = _lock_unfinished(company, mo)
    units = _units_to_finish(mo, quantity)
    components = list(mo.components.select_related("component").order_by("id"))
    _check_components(mo, units, components)

    mo.finished_quantity += units
    mo.status = MoStatus.FINISHED if mo.remaining == 0 else MoStatus.PARTIALLY_FINISHED
    mo.save(update_fields=["finished_quantity", "status", "updated_at"])
    ledger_record(
        company=company,
        event_type=EventType.MO_FINISHED,
        lines=_finish_lines(mo, units, components),
        created_at=timezone.now(),
        user=user,
    )
    return mo


def _lock_unfinished(company: Company, mo: ManufacturingOrder) -> ManufacturingOrder:
    """The MO row, locked (NotFound for another company's); Conflict when it is finished."""
    # Lock the MO row only (no joins: the ledger locks products itself, in id order).
    locked = (
        ManufacturingOrder.objects.select_for_update().filter(company=company, pk=mo.pk).first()
    )
    if locked is None:
        raise NotFound("manufacturing order not found")
    if locked.remaining == 0:
        raise Conflict(
            f"manufacturing order {locked.number} is already finished "
            f"({locked.finished_quantity} of {locked.quantity} made)"
        )
    return locked


def _units_to_finish(mo: ManufacturingOrder, quantity: int | None) -> int:
    """`quantity` checked against what remains (all of it when None)."""
    units = mo.remaining if quantity is None else _clean_quantity(quantity)
    if units > mo.remaining:
        raise Conflict(
            f"manufacturing order {mo.number} has {mo.remaining} of {mo.quantity} left to make; "
            f"cannot finish {units}",
            field="quantity",
        )
    return units


def _finish_lines(
    mo: ManufacturingOrder, units: int, components: list[ManufacturingOrderComponent]
) -> list[LogLine]:
    """The product's row (+units made), then each component's (-units consumed)."""
    common = {
        "event_id": mo.number,
        "document_type": DocumentType.MANUFACTURING_ORDER,
        "document_id": mo.id,
    }
    lines = [
        LogLine(
            product=mo.product,
            warehouse=mo.warehouse,
            physical_change=units,
            quantity=units,
            fields=dict(common),
        )
    ]
    for c in components:
        consumed = units * c.quantity_per_unit
        lines.append(
            LogLine(
                product=c.component,
                warehouse=mo.warehouse,
                physical_change=-consumed,
                quantity=-consumed,
                fields=dict(common),
            )
        )
    return lines
