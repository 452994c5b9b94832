"""Writes for the catalog: products, kits, bills of materials."""

from collections.abc import Sequence
from typing import Any

from django.db import IntegrityError, transaction

from stockledger.core.errors import InvalidInput
from stockledger.core.models import Company

from .models import BomLine, KitComponent, Product, ProductKind

SKU_MAX = 100


def clean_sku(value: Any, *, field: str = "sku") -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("SKU must be a non-empty string", field=field)
    sku = value.strip()
    if len(sku) > SKU_MAX:
        raise InvalidInput(f"SKU is longer than {SKU_MAX} characters", field=field)
    if any(ord(ch) < 32 for ch in sku):
        raise InvalidInput("SKU must not contain control characters", field=field)
    return sku


def product_by_sku(*, company: Company, sku: str, field: str = "sku") -> Product:
    product = Product.objects.filter(company=company, sku=sku).first()
    if product is None:
        raise InvalidInput(f"unknown SKU {sku!r}", field=field)
    return product


def _resolve_lines(
    company: Company, lines: Sequence[dict], *, field: str, product_sku: str
) -> list[tuple[Product, int]]:
    resolved: list[tuple[Product, int]] = []
    seen: set[int] = set()
    for i, line in enumerate(lines):
        where = f"{field}[{i}]"
        component = product_by_sku(
            company=company,
            sku=clean_sku(line.get("sku"), field=f"{where}.sku"),
            field=f"{where}.sku",
        )
        qty = line.get("quantity")
        if not isinstance(qty, int) or isinstance(qty, bool) or qty < 1:
            raise InvalidInput(
                "quantity must be a positive whole number", field=f"{where}.quantity"
            )
        if component.sku == product_sku:
            raise InvalidInput("a product cannot contain itself", field=f"{where}.sku")
        if component.kind == ProductKind.KIT:
            raise InvalidInput(
                f"{component.sku} is a kit; kits cannot be components", field=f"{where}.sku"
            )
        if component.id in seen:
            raise InvalidInput(f"{component.sku} is listed twice", field=f"{where}.sku")
        seen.add(component.id)
        resolved.append((component, qty))
    return resolved


def product_create(
    *,
    company: Company,
    sku: str,
    name: str,
    components: Sequence[dict] | None = None,
    bom: Sequence[dict] | None = None,
) -> Product:
    """Create a product; with `components` a kit (holds no stock), with `bom` a manufactured
    product. Refuses a SKU already used in the company."""
    sku = clean_sku(sku)
    name = (name or "").strip()
    if not name:
        raise InvalidInput("name must not be empty", field="name")
    if len(name) > 300:
        raise InvalidInput("name is longer than 300 characters", field="name")
    if components and bom:
        raise InvalidInput(
            "a product is either a kit (components) or manufactured (bom), not both", field="bom"
        )
    if Product.objects.filter(company=company, sku=sku).exists():
        raise InvalidInput(f"SKU {sku!r} already exists", field="sku")
    kit_lines = _resolve_lines(company, components or [], field="components", product_sku=sku)
    bom_lines = _resolve_lines(company, bom or [], field="bom", product_sku=sku)
    kind = (
        ProductKind.KIT
        if kit_lines
        else ProductKind.MANUFACTURED
        if bom_lines
        else ProductKind.SIMPLE
    )
    try:
        with transaction.atomic():
            product = Product.objects.create(company=company, sku=sku, name=name, kind=kind)
            KitComponent.objects.bulk_create(
                KitComponent(kit=product, component=c, quantity=q) for c, q in kit_lines
            )
            BomLine.objects.bulk_create(
                BomLine(product=product, component=c, quantity=q) for c, q in bom_lines
            )
    except IntegrityError:
        raise InvalidInput(f"SKU {sku!r} already exists", field="sku") from None
    return product
