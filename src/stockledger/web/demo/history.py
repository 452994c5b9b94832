"""The demo's 90 days: opening counts, then each day's business through the real services."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from random import Random

from django.db import transaction

from stockledger.catalog.models import Product, ProductKind
from stockledger.catalog.services import product_create
from stockledger.channels.models import SalesChannel
from stockledger.channels.services import channel_create
from stockledger.core.models import Company, User
from stockledger.core.services import user_create
from stockledger.ledger.services import stock_adjust, stock_set
from stockledger.warehouses.models import Stock, Warehouse
from stockledger.warehouses.services import warehouse_create

from .data import (
    CHANNELS,
    COUNTERS,
    DAYS,
    KITS,
    MANUFACTURED,
    MATERIALS,
    SIMPLE_PRODUCTS,
    WAREHOUSES,
)


@dataclass
class Demo:
    """What the demo built so far, handed from one step to the next."""

    company: Company
    user: User
    rng: Random
    start: datetime
    now: datetime
    warehouses: list[Warehouse] = field(default_factory=list)
    channels: list[SalesChannel] = field(default_factory=list)
    products: dict[str, Product] = field(default_factory=dict)
    demand: dict[str, int] = field(default_factory=dict)
    staff: list[User] = field(default_factory=list)

    def at(self, day: int, hour: float) -> datetime:
        """A moment of a demo day (day 0 is 90 days ago), never in the future."""
        return min(self.start + timedelta(days=day, hours=hour), self.now - timedelta(minutes=5))

    @property
    def main(self) -> Warehouse:
        return self.warehouses[0]

    @property
    def store(self) -> Warehouse:
        return self.warehouses[-1]

    def stocked(self) -> list[Product]:
        return [p for p in self.products.values() if p.kind != ProductKind.KIT]

    def on_hand(self, product: Product, warehouse: Warehouse) -> int:
        return (
            Stock.objects.filter(product=product, warehouse=warehouse)
            .values_list("physical_on_hand", flat=True)
            .first()
            or 0
        )

    def available(self, product: Product, warehouse: Warehouse) -> int:
        row = Stock.objects.filter(product=product, warehouse=warehouse).first()
        return row.available_on_hand if row else 0


def build_catalog(demo: Demo) -> None:
    company = demo.company
    with transaction.atomic():
        demo.warehouses = [warehouse_create(company=company, name=n) for n in WAREHOUSES]
        demo.channels = [channel_create(company=company, cart_type=t, name=n) for t, n in CHANNELS]
        for sku, name, demand in SIMPLE_PRODUCTS:
            demo.products[sku] = product_create(company=company, sku=sku, name=name)
            demo.demand[sku] = demand
        for sku, name, parts, demand in KITS:
            components = [{"sku": s, "quantity": q} for s, q in parts]
            demo.products[sku] = product_create(
                company=company, sku=sku, name=name, components=components
            )
            demo.demand[sku] = demand
        for sku, name, parts, demand in MANUFACTURED:
            bom = [{"sku": s, "quantity": q} for s, q in parts]
            demo.products[sku] = product_create(company=company, sku=sku, name=name, bom=bom)
            demo.demand[sku] = demand
        for name in COUNTERS:
            demo.staff.append(
                user_create(company=company, username=name, password=secrets.token_urlsafe(12))
            )


def opening_counts(demo: Demo) -> None:
    """Day 0: a full count of every warehouse."""
    rng = demo.rng
    for product in demo.stocked():
        for i, warehouse in enumerate(demo.warehouses):
            if product.sku in MATERIALS:
                quantity = int(140 * rng.uniform(0.9, 1.1)) if i == 0 else 0
            else:
                base = 30 + 20 * demo.demand.get(product.sku, 1)
                quantity = int(base * (1.0, 0.7, 0.2)[i] * rng.uniform(0.8, 1.2))
            if quantity:
                stock_set(
                    company=demo.company,
                    product=product,
                    warehouse=warehouse,
                    physical_on_hand=quantity,
                    user=demo.user,
                    note="Opening count",
                    created_at=demo.at(0, 8 + i + rng.random()),
                )


def sales_as_adjustments(demo: Demo, day: int) -> None:
    """Shipments out of each warehouse, recorded as adjustments (no orders app yet)."""
    rng = demo.rng
    for product in demo.stocked():
        demand = demo.demand.get(product.sku, 0)
        for warehouse in demo.warehouses:
            if not demand or rng.random() > 0.4:
                continue
            quantity = min(rng.randint(1, max(1, demand)), demo.on_hand(product, warehouse))
            if quantity <= 0:
                continue
            stock_adjust(
                company=demo.company,
                product=product,
                warehouse=warehouse,
                change=-quantity,
                user=rng.choice(demo.staff),
                note="Shipped" if warehouse != demo.store else "Till sales",
                created_at=demo.at(day, 10 + rng.random() * 8),
            )


def restock_as_adjustments(demo: Demo, day: int) -> None:
    """Weekly deliveries into the main warehouse, as adjustments (no purchasing app yet)."""
    if day % 7 != 1:
        return
    rng = demo.rng
    for product in demo.stocked():
        for warehouse in demo.warehouses:
            demand = demo.demand.get(product.sku, 0)
            target = 30 + 20 * demand
            have = demo.on_hand(product, warehouse)
            if demand and have < target // 2:
                stock_adjust(
                    company=demo.company,
                    product=product,
                    warehouse=warehouse,
                    change=target - have,
                    user=demo.user,
                    note="Supplier delivery",
                    created_at=demo.at(day, 8 + rng.random()),
                )


def cycle_counts(demo: Demo, day: int) -> None:
    """Twice a week a few counts; most match, some find units missing."""
    rng = demo.rng
    if day % 7 not in (2, 5):
        return
    for product in rng.sample(demo.stocked(), 5):
        warehouse = rng.choice(demo.warehouses)
        current = demo.on_hand(product, warehouse)
        missing = min(current, rng.choice([0, 0, 0, 1, 2, 3]))
        stock_set(
            company=demo.company,
            product=product,
            warehouse=warehouse,
            physical_on_hand=current - missing,
            user=rng.choice(demo.staff),
            note="Cycle count" + (f": {missing} missing" if missing else ", matches"),
            created_at=demo.at(day, 7 + rng.random()),
        )


Step = Callable[[Demo, int], None]


def daily_steps() -> list[Step]:
    return [restock_as_adjustments, cycle_counts, sales_as_adjustments]


def run_history(demo: Demo) -> None:
    opening_counts(demo)
    for day in range(1, DAYS + 1):
        for step in daily_steps():
            step(demo, day)
