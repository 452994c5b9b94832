"""What a channel is told for each product: the writeback quantity and how it was reached.

1. Base: the product's available on hand summed over the channel's writeback warehouses (all
   of the company's warehouses when the setting is off). A kit ships from one warehouse: its
   base is the sum over the same warehouses of what its components make there
   (catalog/kits.py: min over components of floor(component available there / quantity per
   kit), never below 0).
2. Then the channel's rule for the SKU, if any, in the order a merchant reads it:
   a. reserve: hold back this many units          (available - reserve)
   b. percent: offer this share of what is left,  rounded down; applies only to a positive
      quantity (a share of nothing available is nothing to scale)
   c. minimum: never write less than this. Without a minimum the floor is 0: an oversold
      product is written as 0. A negative minimum lowers the floor, so the channel may show
      an oversold quantity down to it (channels that accept backorders); a positive minimum
      keeps a listing alive while out of stock.
   d. maximum: never write more than this (a maximum is >= the minimum, so c and d commute).

The explanation spells each step, e.g. "2 warehouses (Main, East) = 12; reserve 2 -> 10;
max 8 -> 8".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import cast

from django.db.models import Sum

from stockledger.catalog.kits import kit_warehouses
from stockledger.catalog.models import KitComponent, Product, ProductKind
from stockledger.core.models import Company
from stockledger.ledger.stockbook import chunks
from stockledger.warehouses.models import Stock, Warehouse

from .models import ChannelWarehouse, SalesChannel, WritebackRule


@dataclass(frozen=True)
class Rule:
    maximum: int | None = None
    minimum: int | None = None
    percent: int | None = None
    reserve: int | None = None


@dataclass(frozen=True)
class WritebackLine:
    product_id: int
    sku: str
    kind: str
    base: int
    quantity: int
    explanation: str


def apply_rule(base: int, rule: Rule | None) -> tuple[int, list[str]]:
    """The quantity after the rule's steps, and each step as "<step> -> <result>"."""
    quantity = base
    steps: list[str] = []
    rule = rule or Rule()
    if rule.reserve is not None:
        quantity -= rule.reserve
        steps.append(f"reserve {rule.reserve} -> {quantity}")
    if rule.percent is not None:
        if quantity > 0:
            quantity = quantity * rule.percent // 100
        steps.append(f"{rule.percent}% -> {quantity}")
    if rule.minimum is not None:
        quantity = max(quantity, rule.minimum)
        steps.append(f"min {rule.minimum} -> {quantity}")
    elif quantity < 0:
        quantity = 0
        steps.append("not below 0 -> 0")
    if rule.maximum is not None:
        quantity = min(quantity, rule.maximum)
        steps.append(f"max {rule.maximum} -> {quantity}")
    return quantity, steps


def writeback_warehouses(channel: SalesChannel) -> tuple[list[Warehouse], bool]:
    """The warehouses a channel receives, in creation order, and whether it chose them
    (False: the setting is off and these are all the company's warehouses)."""
    chosen = list(
        Warehouse.objects.filter(
            id__in=ChannelWarehouse.objects.filter(channel=channel).values("warehouse_id")
        ).order_by("id")
    )
    if chosen:
        return chosen, True
    return list(Warehouse.objects.filter(company_id=channel.company_id).order_by("id")), False


def describe_warehouses(warehouses: Sequence[Warehouse], chosen: bool) -> str:
    names = ", ".join(w.name for w in warehouses)
    if not warehouses:
        return "no warehouses"
    if not chosen:
        return f"all warehouses ({names})"
    return f"{len(warehouses)} warehouse{'s' if len(warehouses) != 1 else ''} ({names})"


def rules_for(channel: SalesChannel, product_ids: Iterable[int] | None = None) -> dict[int, Rule]:
    qs = WritebackRule.objects.filter(channel=channel)
    if product_ids is not None:
        qs = qs.filter(product_id__in=list(product_ids))
    return {
        r.product_id: Rule(r.maximum, r.minimum, r.percent, r.reserve)
        for r in qs.only("product_id", "maximum", "minimum", "percent", "reserve")
    }


def writeback_lines(
    *,
    company: Company,
    channel: SalesChannel,
    product_ids: Sequence[int] | None = None,
    warehouse: Warehouse | None = None,
) -> list[WritebackLine]:
    """Each product's writeback quantity for `channel` (all the company's products, kits
    included, with `product_ids` None), oldest product first. Reads only. With `warehouse`:
    that warehouse's own quantity (a location of a channel written per location)."""
    warehouses, chosen = ([warehouse], True) if warehouse else writeback_warehouses(channel)
    where = describe_warehouses(warehouses, chosen)
    warehouse_ids = [w.id for w in warehouses]

    products = Product.objects.filter(company=company).order_by("id")
    rows: list[tuple[int, str, str]] = []
    if product_ids is None:
        rows = list(products.values_list("id", "sku", "kind"))
    else:
        for chunk in chunks(sorted(set(product_ids))):
            rows.extend(products.filter(id__in=chunk).values_list("id", "sku", "kind"))

    kit_ids = [pid for pid, _sku, kind in rows if kind == ProductKind.KIT]
    components: dict[int, list[tuple[int, str, int]]] = {}
    for chunk in chunks(kit_ids):
        for kit_id, component_id, component_sku, qty in (
            KitComponent.objects.filter(kit_id__in=chunk)
            .order_by("kit_id", "component__sku")
            .values_list("kit_id", "component_id", "component__sku", "quantity")
        ):
            components.setdefault(kit_id, []).append((component_id, component_sku, qty))

    available = _available(
        company,
        warehouse_ids,
        None if product_ids is None else {pid for pid, _s, _k in rows},
    )
    component_stock = _component_stock(
        company, warehouse_ids, {c for parts in components.values() for c, _s, _q in parts}
    )
    names = {w.id: w.name for w in warehouses}
    rules = rules_for(channel, None if product_ids is None else [r[0] for r in rows])

    lines = []
    for product_id, sku, kind in rows:
        if kind == ProductKind.KIT:
            base, text = _kit_base(components.get(product_id, []), component_stock, names, where)
        else:
            base = available.get(product_id, 0)
            text = f"{where} = {base}"
        quantity, steps = apply_rule(base, rules.get(product_id))
        lines.append(
            WritebackLine(product_id, sku, kind, base, quantity, "; ".join([text, *steps]))
        )
    return lines


def _available(
    company: Company, warehouse_ids: list[int], product_ids: set[int] | None
) -> dict[int, int]:
    """Available on hand per product summed over the warehouses (products without stock
    rows there are absent: 0)."""
    if not warehouse_ids:
        return {}
    qs = Stock.objects.filter(company=company, warehouse_id__in=warehouse_ids)
    result: dict[int, int] = {}

    def add(q) -> None:
        for pid, physical, committed in (
            q.values("product_id")
            .annotate(p=Sum("physical_on_hand"), c=Sum("committed"))
            .values_list("product_id", "p", "c")
        ):
            result[pid] = int(physical) - int(committed)

    if product_ids is None:
        add(qs.order_by())
    else:
        for chunk in chunks(sorted(product_ids)):
            add(qs.filter(product_id__in=chunk).order_by())
    return result


def _component_stock(
    company: Company, warehouse_ids: list[int], component_ids: set[int]
) -> dict[tuple[int, int], tuple[int, int]]:
    """(physical, committed) of each kit component in each writeback warehouse."""
    result: dict[tuple[int, int], tuple[int, int]] = {}
    if not warehouse_ids or not component_ids:
        return result
    qs = Stock.objects.filter(company=company, warehouse_id__in=warehouse_ids)
    for chunk in chunks(sorted(component_ids)):
        for pid, wid, physical, committed in qs.filter(product_id__in=chunk).values_list(
            "product_id", "warehouse_id", "physical_on_hand", "committed"
        ):
            result[(pid, wid)] = (physical, committed)
    return result


def _kit_base(
    parts: list[tuple[int, str, int]],
    stock: dict[tuple[int, int], tuple[int, int]],
    names: dict[int, str],
    where: str,
) -> tuple[int, str]:
    """The kit's base: per writeback warehouse what its components there make, summed."""
    if not parts:
        return 0, f"{where}: kit without components = 0"
    ratio = [(component_id, qty) for component_id, _sku, qty in parts]
    skus = {component_id: sku for component_id, sku, _qty in parts}
    kits = kit_warehouses(ratio, lambda c, w: stock.get((c, w), (0, 0)), names)
    base = sum(k.available_on_hand for k in kits)
    steps = []
    for kit in kits:
        where_id = cast(int, kit.warehouse_id)  # kit_warehouses gives each its warehouse
        shares = ", ".join(
            f"{skus[c]} {_available_of(stock.get((c, where_id)))}/{qty}" for c, qty in ratio
        )
        steps.append(f"{names[where_id]} min({shares}) = {kit.available_on_hand}")
    return base, f"{where}: kit = {' + '.join(steps) or '0'} = {base}"


def _available_of(quantities: tuple[int, int] | None) -> int:
    return 0 if quantities is None else quantities[0] - quantities[1]
