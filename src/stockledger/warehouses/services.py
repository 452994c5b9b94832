"""Writes for warehouses (stock itself is written only by the ledger)."""

from django.db import IntegrityError, transaction

from stockledger.core.errors import InvalidInput
from stockledger.core.models import Company

from .models import Warehouse


def warehouse_create(*, company: Company, name: str) -> Warehouse:
    name = (name or "").strip() if isinstance(name, str) else ""
    if not name:
        raise InvalidInput("name must not be empty", field="name")
    if len(name) > 200:
        raise InvalidInput("name is longer than 200 characters", field="name")
    if Warehouse.objects.filter(company=company, name=name).exists():
        raise InvalidInput(f"a warehouse named {name!r} already exists", field="name")
    try:
        with transaction.atomic():
            return Warehouse.objects.create(company=company, name=name)
    except IntegrityError:
        raise InvalidInput(f"a warehouse named {name!r} already exists", field="name") from None


def warehouse_by_id(
    *, company: Company, warehouse_id: object, field: str = "warehouse_id"
) -> Warehouse:
    """A warehouse named in a request body: unknown or another company's is invalid input."""
    try:
        return Warehouse.objects.get(company=company, pk=int(warehouse_id))
    except (Warehouse.DoesNotExist, TypeError, ValueError):
        raise InvalidInput(f"unknown warehouse {warehouse_id!r}", field=field) from None
