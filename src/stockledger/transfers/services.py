"""Writes for transfers: move stock between two warehouses of the company."""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from stockledger.catalog.models import KitComponent, Product, ProductKind
from stockledger.catalog.services import clean_sku, product_by_sku
from stockledger.core.documents import (
    check_owned,
    clean_document_number,
    clean_event_time,
    clean_lines,
    clean_notes,
    clean_quantity,
    number_taken,
    unique_number,
)
from stockledger.core.errors import InvalidInput
from stockledger.core.models import Company, User
from stockledger.ledger.models import DocumentType, EventType, LogEntry
from stockledger.ledger.services import (
    LogLine,
    ledger_record,
    lock_products,  # the ledger's own lock order, so our early lock cannot deadlock it
    write_transaction,
)
from stockledger.warehouses.models import Stock, Warehouse

from .models import Transfer, TransferLine

GENERATED_NUMBER = re.compile(r"^TR-\d+$", re.IGNORECASE)


@dataclass
class _Line:
    index: int
    product: Product
    quantity: int
    notes: str
    # What physically moves: [(component, units)] for a kit, [(product, quantity)] otherwise.
    moves: list[tuple[Product, int]]


def _resolve(company: Company, lines: Sequence[Mapping[str, Any]]) -> list[_Line]:
    resolved = []
    for i, line in enumerate(clean_lines(lines)):
        where = f"lines[{i}]"
        product = product_by_sku(
            company=company,
            sku=clean_sku(line.get("sku"), field=f"{where}.sku"),
            field=f"{where}.sku",
        )
        quantity = clean_quantity(line.get("quantity"), field=f"{where}.quantity")
        notes = clean_notes(line.get("notes"), field=f"{where}.notes")
        if product.kind == ProductKind.KIT:
            components = list(
                KitComponent.objects.filter(kit=product).select_related("component").order_by("id")
            )
            if not components:
                raise InvalidInput(f"kit {product.sku} has no components", field=f"{where}.sku")
            moves = [(c.component, c.quantity * quantity) for c in components]
        else:
            moves = [(product, quantity)]
        resolved.append(_Line(i, product, quantity, notes, moves))
    return resolved


def _check_held(lines: list[_Line], sending: Warehouse) -> None:
    """Refuse the first line that would take more than the sending warehouse holds (physical
    on hand, after the lines before it). Runs under the products' row locks."""
    ids = {p.id for line in lines for p, _ in line.moves}
    held = dict(
        Stock.objects.filter(warehouse=sending, product_id__in=ids).values_list(
            "product_id", "physical_on_hand"
        )
    )
    for line in lines:
        for product, units in line.moves:
            have = held.get(product.id, 0)
            if units > have:
                if line.product.kind == ProductKind.KIT:
                    message = (
                        f"{line.quantity} x kit {line.product.sku} needs {units} of "
                        f"{product.sku}; {sending.name} holds {have}"
                    )
                else:
                    message = (
                        f"{sending.name} holds {have} of {product.sku}; cannot transfer {units}"
                    )
                raise InvalidInput(message, field=f"lines[{line.index}].quantity")
            held[product.id] = have - units


def _log_lines(transfer: Transfer, lines: list[_Line]) -> list[LogLine]:
    sending, receiving = transfer.sending_warehouse, transfer.receiving_warehouse
    common = {
        "event_id": transfer.number,
        "sending_warehouse_name": sending.name,
        "receiving_warehouse_name": receiving.name,
        "transfer_notes": transfer.notes,
        "document_type": DocumentType.TRANSFER,
        "document_id": transfer.id,
    }
    out: list[LogLine] = []
    for line in lines:
        fields = common | {"line_notes": line.notes}
        is_kit = line.product.kind == ProductKind.KIT
        if is_kit:
            fields["kit_sku"] = line.product.sku
        for product, units in line.moves:
            out.append(
                LogLine(product, sending, physical_change=-units, quantity=units, fields=fields)
            )
            out.append(
                LogLine(product, receiving, physical_change=units, quantity=units, fields=fields)
            )
        if is_kit:
            # The kit's own log shows the line; its quantities are derived from the components
            # after they moved, so these rows come after the components' rows.
            kit_fields = common | {"line_notes": line.notes}
            out.append(LogLine(line.product, sending, quantity=line.quantity, fields=kit_fields))
            out.append(LogLine(line.product, receiving, quantity=line.quantity, fields=kit_fields))
    return out


@write_transaction
def transfer_create(
    *,
    company: Company,
    sending_warehouse: Warehouse,
    receiving_warehouse: Warehouse,
    lines: Sequence[Mapping[str, Any]],
    notes: str | None = None,
    number: str | None = None,
    user: User | None = None,
    transferred_at: datetime | None = None,
) -> tuple[Transfer, list[LogEntry]]:
    """Move `lines` ([{sku, quantity, notes?}]) from the sending to the receiving warehouse.

    Changes: for each line, physical on hand -quantity at the sending warehouse and +quantity
    at the receiving one; a kit line moves its components by the kit ratio (quantity x per
    kit). All lines or none. The transfer is immediate (no in-transit stock).
    Logs `inventory_transfer` rows, per line one at the sending warehouse (physical -q) then
    one at the receiving (+q), quantity = q, with event_id = the transfer number (`number`,
    or "TR-<id>" when none is given), sending/receiving warehouse names, transfer notes and the
    line's notes, user_name = `user`, document = the transfer. A kit line logs each
    component's pair with kit_sku set, then a pair of rows in the kit's own log (quantity =
    kits moved, no stock change of its own).
    "Holds" means physical on hand: moving units that are committed to open orders is allowed
    and leaves the sending warehouse's available on hand negative, which it shows plainly.
    Raises InvalidInput (nothing written) for: the same warehouse twice, a line taking more
    than the sending warehouse holds (counting earlier lines; field lines[i].quantity, naming
    the SKU), an unknown SKU, a quantity below 1, no lines, notes over 2000 characters, a
    number already used or of the reserved form TR-<digits>, a warehouse of another company.
    """
    _check_warehouses(company, sending_warehouse, receiving_warehouse)
    notes = clean_notes(notes, field="notes")
    if number is not None:
        number = _clean_number(company, number)
    transferred_at = clean_event_time(transferred_at, field="transferred_at")
    resolved = _resolve(company, lines)

    lock_products(company, {p.id for line in resolved for p, _ in line.moves})
    _check_held(resolved, sending_warehouse)

    transfer = _transfer_insert(
        company,
        number,
        sending_warehouse,
        receiving_warehouse,
        notes=notes,
        transferred_at=transferred_at,
        user=user,
    )
    TransferLine.objects.bulk_create(
        TransferLine(
            transfer=transfer, product=line.product, quantity=line.quantity, notes=line.notes
        )
        for line in resolved
    )
    entries = ledger_record(
        company=company,
        event_type=EventType.INVENTORY_TRANSFER,
        lines=_log_lines(transfer, resolved),
        created_at=transfer.transferred_at,
        user=user,
    )
    return transfer, entries


def _check_warehouses(company: Company, sending: Warehouse, receiving: Warehouse) -> None:
    """Both warehouses the company's, and two different ones."""
    check_owned(sending, company, field="sending_warehouse_id", label="warehouse")
    check_owned(receiving, company, field="receiving_warehouse_id", label="warehouse")
    if sending.id == receiving.id:
        raise InvalidInput(
            "the receiving warehouse must differ from the sending warehouse",
            field="receiving_warehouse_id",
        )


def _clean_number(company: Company, number: str) -> str:
    """A number given by the caller: not of the reserved form TR-<digits>, not used yet."""
    number = clean_document_number(number)
    if GENERATED_NUMBER.match(number):
        raise InvalidInput(
            "numbers of the form TR-<digits> are assigned by Stockledger; leave number "
            "out or use another form",
            field="number",
        )
    if Transfer.objects.filter(company=company, number=number).exists():
        raise number_taken("transfer", number)
    return number


def _transfer_insert(
    company: Company,
    number: str | None,
    sending: Warehouse,
    receiving: Warehouse,
    *,
    notes: str,
    transferred_at: datetime,
    user: User | None,
) -> Transfer:
    """The transfer row, numbered `number` or else TR-<its id>."""
    with unique_number("transfer", number):
        transfer = Transfer.objects.create(
            company=company,
            number=number or "",
            sending_warehouse=sending,
            receiving_warehouse=receiving,
            notes=notes,
            transferred_at=transferred_at,
            user=user,
        )
    if not number:
        transfer.number = f"TR-{transfer.id}"
        transfer.save(update_fields=["number"])
    return transfer
