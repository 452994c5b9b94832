"""Writes for the catalog: products, kits, bills of materials; and the SKU look-ups every
document uses.

SKU rules (NFKC, trimming, case-folded comparison, invisible characters refused) are in
`skus.py`; every write and look-up here applies them, so the API, the pages and spreadsheet
imports give the same answer.

Transactions: these services use a plain (not durable) `transaction.atomic()` so a caller
can run many of them in one all-or-nothing transaction (a confirmed spreadsheet import).
They change no stock and write no log rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError, Q
from django.utils import timezone

from stockledger.core.documents import clean_units
from stockledger.core.errors import Conflict, InvalidInput
from stockledger.core.limits import COMPONENT_QUANTITY_MAX
from stockledger.core.models import Company
from stockledger.ledger.models import LogEntry

from .models import BomLine, KitComponent, Product, ProductKind
from .skus import SKU_MAX, clean_sku, sku_key

__all__ = [
    "SKU_MAX",
    "MAX_COMPONENT_LINES",
    "clean_sku",
    "sku_key",
    "clean_product_name",
    "clean_product_kind",
    "product_by_sku",
    "products_by_skus",
    "product_create",
    "product_update",
    "product_edit",
    "product_set_components",
    "product_set_bom",
    "product_archive",
    "product_unarchive",
    "product_delete",
    "product_has_log",
]

NAME_MAX = 300
MAX_COMPONENT_LINES = 200


# --- input ---------------------------------------------------------------------------------


def clean_product_name(value: Any, *, field: str = "name") -> str:
    name = value.strip() if isinstance(value, str) else ""
    if not name:
        raise InvalidInput("name must not be empty", field=field)
    if len(name) > NAME_MAX:
        raise InvalidInput(f"name is longer than {NAME_MAX} characters", field=field)
    return name


def clean_product_kind(value: Any, *, field: str = "kind") -> ProductKind:
    if value not in ProductKind.values:
        raise InvalidInput(f"kind must be one of {', '.join(ProductKind.values)}", field=field)
    return ProductKind(value)


# --- look-ups by SKU -------------------------------------------------------------------------


def _refuse_archived(product: Product, field: str) -> None:
    if product.archived_at is not None:
        raise InvalidInput(
            f"{product.sku} is archived; unarchive it to use it in new documents", field=field
        )


def product_by_sku(
    *, company: Company, sku: Any, field: str = "sku", archived_ok: bool = False
) -> Product:
    """The company's product with this SKU, compared as SKUs are (`b2` finds `B2`).

    This is the look-up of every new document (orders, purchase orders, transfers, RMAs,
    manufacturing orders, counts, kit components): an archived product is refused there
    (InvalidInput naming `field`) unless `archived_ok` (reading or finishing what exists).
    Unknown SKUs are InvalidInput naming `field`.
    """
    sku = clean_sku(sku, field=field)
    candidates = list(
        Product.objects.filter(Q(sku=sku) | Q(sku_key=sku_key(sku)), company=company)[:2]
    )
    if not candidates:
        raise InvalidInput(f"unknown SKU {sku!r}", field=field)
    # An exact match wins over a look-alike (only products from before keys existed can
    # differ from each other in case alone).
    product = next((p for p in candidates if p.sku == sku), candidates[0])
    if not archived_ok:
        _refuse_archived(product, field)
    return product


def products_by_skus(
    *,
    company: Company,
    skus: Sequence[Any],
    field: Callable[[int], str] = lambda i: f"lines[{i}].sku",
    archived_ok: bool = False,
    repeats_ok: bool = False,
) -> list[Product]:
    """The products for `skus`, in order, in a few queries (imports, orders with many lines).

    The same rules as `product_by_sku`, each error naming `field(i)` of the SKU at fault;
    unless `repeats_ok`, two SKUs naming the same product (`b2`, `B2`) are refused.
    """
    cleaned = [clean_sku(s, field=field(i)) for i, s in enumerate(skus)]
    exact: dict[str, Product] = {}
    by_key: dict[str, Product] = {}
    unique = sorted(set(cleaned))
    keys = sorted({sku_key(s) for s in cleaned})
    for start in range(0, max(len(unique), len(keys)), 1000):
        part, key_part = unique[start : start + 1000], keys[start : start + 1000]
        for product in Product.objects.filter(
            Q(sku__in=part) | Q(sku_key__in=key_part), company=company
        ):
            exact[product.sku] = product
            by_key.setdefault(product.sku_key, product)
    products: list[Product] = []
    seen: dict[int, int] = {}
    for i, sku in enumerate(cleaned):
        found = exact.get(sku) or by_key.get(sku_key(sku))
        if found is None:
            raise InvalidInput(f"unknown SKU {sku!r}", field=field(i))
        product = found
        if not archived_ok:
            _refuse_archived(product, field(i))
        if not repeats_ok and product.id in seen:
            raise InvalidInput(
                f"{product.sku} is listed twice (also on line {seen[product.id] + 1}); "
                "give it once with the total quantity",
                field=field(i),
            )
        seen.setdefault(product.id, i)
        products.append(product)
    return products


def _sku_taken_error(existing: Product, sku: str) -> InvalidInput:
    if existing.sku == sku:
        message = f"SKU {sku!r} already exists"
    else:
        message = f"SKU {sku!r} is the same as the existing SKU {existing.sku!r}"
    if existing.archived_at is not None:
        message += " (archived: unarchive it instead)"
    return InvalidInput(message, field="sku")


def _refuse_taken_sku(company: Company, sku: str, *, exclude_id: int | None = None) -> None:
    qs = Product.objects.filter(Q(sku=sku) | Q(sku_key=sku_key(sku)), company=company)
    if exclude_id is not None:
        qs = qs.exclude(pk=exclude_id)
    existing = qs.first()
    if existing is not None:
        raise _sku_taken_error(existing, sku)


# --- components and bills of materials -----------------------------------------------------


def _clean_quantity(value: Any, *, field: str) -> int:
    return clean_units(value, field=field, maximum=COMPONENT_QUANTITY_MAX)


def _resolve_lines(
    company: Company, lines: Sequence[Any] | None, *, field: str, product_sku: str
) -> list[tuple[Product, int]]:
    """[(component, quantity)] for kit components or BOM lines given as [{sku, quantity}]."""
    if lines is None:
        return []
    if not isinstance(lines, Sequence) or isinstance(lines, str | bytes):
        raise InvalidInput(f"{field} must be a list of {{sku, quantity}}", field=field)
    if len(lines) > MAX_COMPONENT_LINES:
        raise InvalidInput(f"at most {MAX_COMPONENT_LINES} lines", field=field)
    own_key = sku_key(product_sku)
    resolved: list[tuple[Product, int]] = []
    seen: set[int] = set()
    for i, line in enumerate(lines):
        where = f"{field}[{i}]"
        if not isinstance(line, dict):
            raise InvalidInput("each line must be {sku, quantity}", field=where)
        component = product_by_sku(company=company, sku=line.get("sku"), field=f"{where}.sku")
        qty = _clean_quantity(line.get("quantity"), field=f"{where}.quantity")
        if component.sku_key == own_key:
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


def _write_components(product: Product, kit_lines, bom_lines) -> None:
    KitComponent.objects.filter(kit=product).delete()
    BomLine.objects.filter(product=product).delete()
    KitComponent.objects.bulk_create(
        KitComponent(kit=product, component=c, quantity=q) for c, q in kit_lines
    )
    BomLine.objects.bulk_create(
        BomLine(product=product, component=c, quantity=q) for c, q in bom_lines
    )


# --- create and edit -----------------------------------------------------------------------


def _kind_for(kind: Any, kit_lines: list, bom_lines: list) -> ProductKind:
    if kind is None or kind == "":
        if kit_lines and bom_lines:
            raise InvalidInput(
                "a product is either a kit (components) or manufactured (bom), not both",
                field="bom",
            )
        return (
            ProductKind.KIT
            if kit_lines
            else ProductKind.MANUFACTURED
            if bom_lines
            else ProductKind.SIMPLE
        )
    kind = clean_product_kind(kind)
    if kit_lines and kind != ProductKind.KIT:
        raise InvalidInput("only a kit has components", field="components")
    if bom_lines and kind != ProductKind.MANUFACTURED:
        raise InvalidInput("only a manufactured product has a bill of materials", field="bom")
    return kind


def product_create(
    *,
    company: Company,
    sku: str,
    name: str,
    kind: str | None = None,
    components: Sequence[dict] | None = None,
    bom: Sequence[dict] | None = None,
) -> Product:
    """Create a product. `kind` is simple, kit or manufactured; left out, it follows the
    lines: with `components` a kit (holds no stock), with `bom` a manufactured product, else
    simple. A kit or manufactured product may start without lines and get them later.

    Refuses (InvalidInput naming the field) a SKU equal to one of the company's SKUs after
    NFKC and case folding (archived ones included), a SKU with invisible characters, an
    empty name, unknown, archived or kit components, and a product containing itself.
    """
    sku = clean_sku(sku)
    name = clean_product_name(name)
    if components and bom:
        raise InvalidInput(
            "a product is either a kit (components) or manufactured (bom), not both", field="bom"
        )
    _refuse_taken_sku(company, sku)
    kit_lines = _resolve_lines(company, components, field="components", product_sku=sku)
    bom_lines = _resolve_lines(company, bom, field="bom", product_sku=sku)
    kind = _kind_for(kind, kit_lines, bom_lines)
    try:
        with transaction.atomic():
            product = Product.objects.create(company=company, sku=sku, name=name, kind=kind)
            _write_components(product, kit_lines, bom_lines)
    except IntegrityError:  # a concurrent create of the same SKU (key) won
        raise InvalidInput(f"SKU {sku!r} already exists", field="sku") from None
    return product


def product_has_log(product: Product) -> bool:
    return LogEntry.objects.filter(product=product).exists()


def _is_component(product: Product) -> bool:
    return (
        KitComponent.objects.filter(component=product).exists()
        or BomLine.objects.filter(component=product).exists()
    )


def _check_kind_change(product: Product, kind: ProductKind) -> None:
    if kind == product.kind:
        return
    if ProductKind.KIT in (kind, product.kind) and product_has_log(product):
        raise InvalidInput(
            f"{product.sku} has log rows: it cannot become or stop being a kit (a kit holds "
            "no stock of its own); archive it and create a new product instead",
            field="kind",
        )
    if kind == ProductKind.KIT and _is_component(product):
        raise InvalidInput(
            f"{product.sku} is a component of a kit or bill of materials; kits cannot be "
            "components",
            field="kind",
        )


def product_update(
    *,
    company: Company,
    product: Product,
    sku: str | None = None,
    name: str | None = None,
    kind: str | None = None,
) -> Product:
    """Change a product's SKU, name or kind (None leaves a value as it is).

    - The SKU can change only while the product has no log rows (rows, exports and channels
      name it by SKU); the new SKU follows the rules of `product_create`.
    - A product becomes or stops being a kit only without log rows, and never while it is a
      component. Leaving the kit or manufactured kind drops its components or BOM.
    Raises InvalidInput naming the field; changes nothing then.
    """
    if product.company_id != company.id:
        raise InvalidInput(f"unknown product {product.id!r}", field="id")
    changes: dict[str, Any] = {}
    if sku is not None:
        sku = clean_sku(sku)
        if sku != product.sku:
            if product_has_log(product):
                raise InvalidInput(
                    f"{product.sku} has log rows, which name it by its SKU: the SKU cannot "
                    "change; archive it and create a new product instead",
                    field="sku",
                )
            _refuse_taken_sku(company, sku, exclude_id=product.id)
            changes["sku"] = sku
    if name is not None:
        name = clean_product_name(name)
        if name != product.name:
            changes["name"] = name
    if kind is not None:
        new_kind = clean_product_kind(kind)
        _check_kind_change(product, new_kind)
        if new_kind != product.kind:
            changes["kind"] = new_kind
    if not changes:
        return product
    try:
        with transaction.atomic():
            locked = Product.objects.select_for_update().get(pk=product.pk)
            for attr, value in changes.items():
                setattr(locked, attr, value)
            locked.save()
            if "kind" in changes:
                if locked.kind != ProductKind.KIT:
                    KitComponent.objects.filter(kit=locked).delete()
                if locked.kind != ProductKind.MANUFACTURED:
                    BomLine.objects.filter(product=locked).delete()
    except IntegrityError:
        raise InvalidInput(f"SKU {changes.get('sku')!r} already exists", field="sku") from None
    for attr, value in changes.items():
        setattr(product, attr, value)
    product.sku_key = locked.sku_key
    return product


def _set_lines(
    company: Company, product: Product, lines: Sequence[dict], *, field: str, kind: ProductKind
) -> Product:
    if product.company_id != company.id:
        raise InvalidInput(f"unknown product {product.id!r}", field="id")
    if product.kind != kind:
        what = "components" if kind == ProductKind.KIT else "a bill of materials"
        raise InvalidInput(
            f"{product.sku} is not a {kind.label.lower()}; it has no {what}", field=field
        )
    resolved = _resolve_lines(company, lines, field=field, product_sku=product.sku)
    with transaction.atomic():
        Product.objects.select_for_update().filter(pk=product.pk).first()
        if kind == ProductKind.KIT:
            _write_components(product, resolved, [])
        else:
            _write_components(product, [], resolved)
    return product


def product_set_components(
    *, company: Company, product: Product, components: Sequence[dict]
) -> Product:
    """Replace a kit's components with `components` ([{sku, quantity}], may be empty).

    Orders already imported keep the ratio they were imported with; the kit's quantities
    follow the new components from now on. Raises InvalidInput naming `components[i].sku` /
    `.quantity` (unknown, archived or kit components, the kit itself, a SKU twice)."""
    return _set_lines(company, product, components, field="components", kind=ProductKind.KIT)


def product_set_bom(*, company: Company, product: Product, bom: Sequence[dict]) -> Product:
    """Replace a manufactured product's bill of materials ([{sku, quantity}] per unit).
    Manufacturing orders already started keep the quantities they were created with."""
    return _set_lines(company, product, bom, field="bom", kind=ProductKind.MANUFACTURED)


def product_edit(
    *,
    company: Company,
    product: Product,
    sku: str | None = None,
    name: str | None = None,
    kind: str | None = None,
    components: Sequence[dict] | None = None,
    bom: Sequence[dict] | None = None,
) -> Product:
    """`product_update`, then (when given) `product_set_components` / `product_set_bom`,
    all or nothing: what one edit form or one PATCH asks for."""
    with transaction.atomic():
        product_update(company=company, product=product, sku=sku, name=name, kind=kind)
        if components is not None:
            product_set_components(company=company, product=product, components=components)
        if bom is not None:
            product_set_bom(company=company, product=product, bom=bom)
    return product


# --- archive and delete --------------------------------------------------------------------


def product_archive(*, company: Company, product: Product) -> Product:
    """Archive a product: hidden from lists and pickers, refused by `product_by_sku` in new
    documents; its log, stock and documents stay. Archiving twice changes nothing."""
    if product.company_id != company.id:
        raise InvalidInput(f"unknown product {product.id!r}", field="id")
    if product.archived_at is None:
        product.archived_at = timezone.now()
        Product.objects.filter(pk=product.pk, archived_at__isnull=True).update(
            archived_at=product.archived_at
        )
    return product


def product_unarchive(*, company: Company, product: Product) -> Product:
    if product.company_id != company.id:
        raise InvalidInput(f"unknown product {product.id!r}", field="id")
    if product.archived_at is not None:
        Product.objects.filter(pk=product.pk).update(archived_at=None)
        product.archived_at = None
    return product


def product_delete(*, company: Company, product: Product) -> None:
    """Delete a product that has never been used: no log rows, in no kit, BOM or document.
    Otherwise Conflict: archive it instead (the log must keep naming it)."""
    if product.company_id != company.id:
        raise InvalidInput(f"unknown product {product.id!r}", field="id")
    if product_has_log(product):
        raise Conflict(
            f"{product.sku} has log rows and cannot be deleted; archive it instead", field="id"
        )
    try:
        with transaction.atomic():
            product.delete()
    except ProtectedError:
        raise Conflict(
            f"{product.sku} is used by a kit, a bill of materials or a document and cannot be "
            "deleted; archive it instead",
            field="id",
        ) from None
