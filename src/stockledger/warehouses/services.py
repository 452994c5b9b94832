"""Writes for warehouses (stock itself is written only by the ledger).

Log rows store the warehouse's name as text when they are written (`warehouse_name`,
`sending_warehouse_name`, `receiving_warehouse_name`), so a rename changes only what new
rows say. These services write no log rows.
"""

from typing import Any, cast

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from stockledger.core.errors import Conflict, InvalidInput
from stockledger.core.models import Company

from .models import Stock, Warehouse

NAME_MAX = 200


def clean_warehouse_name(value: object, *, field: str = "name") -> str:
    name = value.strip() if isinstance(value, str) else ""
    if not name:
        raise InvalidInput("name must not be empty", field=field)
    if len(name) > NAME_MAX:
        raise InvalidInput(f"name is longer than {NAME_MAX} characters", field=field)
    if any(ord(ch) < 32 for ch in name):
        raise InvalidInput("name must not contain control characters", field=field)
    return name


def _refuse_taken_name(company: Company, name: str, *, exclude_id: int | None = None) -> None:
    qs = Warehouse.objects.filter(company=company, name__iexact=name)
    if exclude_id is not None:
        qs = qs.exclude(pk=exclude_id)
    existing = qs.first()
    if existing is not None:
        archived = " (archived: unarchive it instead)" if existing.is_archived else ""
        raise InvalidInput(
            f"a warehouse named {existing.name!r} already exists{archived}", field="name"
        )


def warehouse_create(*, company: Company, name: str) -> Warehouse:
    """Create a warehouse. Refuses an empty name and one the company already uses (compared
    without case), archived warehouses included."""
    name = clean_warehouse_name(name)
    _refuse_taken_name(company, name)
    try:
        with transaction.atomic():
            return Warehouse.objects.create(company=company, name=name)
    except IntegrityError:
        raise InvalidInput(f"a warehouse named {name!r} already exists", field="name") from None


def _check_owned(company: Company, warehouse: Warehouse) -> None:
    if warehouse.company_id != company.id:
        raise InvalidInput(f"unknown warehouse {warehouse.id!r}", field="id")


def warehouse_rename(*, company: Company, warehouse: Warehouse, name: str) -> Warehouse:
    """Rename a warehouse. Log rows written before keep the name they were written with
    (the name is copied into each row); new rows carry the new name."""
    _check_owned(company, warehouse)
    name = clean_warehouse_name(name)
    if name == warehouse.name:
        return warehouse
    _refuse_taken_name(company, name, exclude_id=warehouse.id)
    try:
        with transaction.atomic():
            Warehouse.objects.filter(pk=warehouse.pk).update(name=name)
    except IntegrityError:
        raise InvalidInput(f"a warehouse named {name!r} already exists", field="name") from None
    warehouse.name = name
    return warehouse


def warehouse_archive(*, company: Company, warehouse: Warehouse) -> Warehouse:
    """Archive a warehouse: hidden from pickers, refused for new documents, its log stays.

    Refused (Conflict) while it holds stock or commitments: count or transfer them out
    first, so no quantity is left where nobody can see it. Archiving twice changes nothing.
    """
    _check_owned(company, warehouse)
    if warehouse.archived_at is not None:
        return warehouse
    with transaction.atomic():
        locked = Warehouse.objects.select_for_update().get(pk=warehouse.pk)
        held = (
            Stock.objects.filter(warehouse=locked)
            .filter(~Q(physical_on_hand=0) | ~Q(committed=0))
            .select_related("product")
            .order_by("product__sku")
            .first()
        )
        if held is not None:
            raise Conflict(
                f"{locked.name} still holds {held.product.sku} (physical {held.physical_on_hand}, "
                f"committed {held.committed}); count or transfer its stock out before archiving",
                field="id",
            )
        locked.archived_at = timezone.now()
        locked.save(update_fields=["archived_at"])
    warehouse.archived_at = locked.archived_at
    return warehouse


def warehouse_unarchive(*, company: Company, warehouse: Warehouse) -> Warehouse:
    _check_owned(company, warehouse)
    if warehouse.archived_at is not None:
        Warehouse.objects.filter(pk=warehouse.pk).update(archived_at=None)
        warehouse.archived_at = None
    return warehouse


def warehouse_by_id(
    *,
    company: Company,
    warehouse_id: object,
    field: str = "warehouse_id",
    archived_ok: bool = False,
) -> Warehouse:
    """A warehouse named in a request body: unknown or another company's is invalid input.

    The look-up of new documents: an archived warehouse is refused (InvalidInput naming
    `field`) unless `archived_ok` (filters of logs and exports)."""
    try:
        warehouse = Warehouse.objects.get(company=company, pk=int(cast(Any, warehouse_id)))
    except (Warehouse.DoesNotExist, TypeError, ValueError):
        raise InvalidInput(f"unknown warehouse {warehouse_id!r}", field=field) from None
    if warehouse.archived_at is not None and not archived_ok:
        raise InvalidInput(
            f"warehouse {warehouse.name} is archived; unarchive it to use it in new documents",
            field=field,
        )
    return warehouse
