"""The demo's 90 days: opening counts, then each day's business through the real services."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from random import Random

from django.db import transaction
from django.utils import timezone

from stockledger.catalog.kits import kit_in_warehouse
from stockledger.catalog.models import KitComponent, Product, ProductKind
from stockledger.catalog.services import product_create
from stockledger.channels.models import SalesChannel
from stockledger.channels.services import channel_create
from stockledger.core.models import Company, User
from stockledger.core.permissions import Role
from stockledger.core.services import user_create
from stockledger.ledger.services import stock_set
from stockledger.warehouses.models import Stock, Warehouse
from stockledger.warehouses.services import warehouse_create

from .data import (
    CHANNELS,
    COUNTERS,
    DAYS,
    KITS,
    MANUFACTURED,
    MATERIALS,
    OTHER_ROLES,
    SIMPLE_PRODUCTS,
    WAREHOUSES,
)


@dataclass
class Demo:
    """What the demo built so far, and the work it has scheduled for later days."""

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
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # (role, user, password)
    # (due day, what): orders to ship, receipts to record, MOs to finish, RMAs to receive
    due: list[tuple[int, str, object]] = field(default_factory=list)
    numbers: dict[str, int] = field(default_factory=dict)

    def at(self, day: int, hour: float) -> datetime:
        """A moment of a demo day (day 0 is 90 days ago), never in the future."""
        return min(self.start + timedelta(days=day, hours=hour), self.now - timedelta(minutes=5))

    def times(self, day: int, start: float, end: float, count: int) -> list[datetime]:
        """`count` moments between two hours of a day, in order: the day's log reads in the
        order things happened."""
        return sorted(self.at(day, self.rng.uniform(start, end)) for _ in range(count))

    def next_number(self, kind: str, first: int) -> int:
        self.numbers[kind] = self.numbers.get(kind, first - 1) + 1
        return self.numbers[kind]

    def schedule(self, day: int, kind: str, what: object) -> None:
        self.due.append((day, kind, what))

    def take_due(self, day: int, kind: str) -> list:
        ready = [what for d, k, what in self.due if k == kind and d <= day]
        self.due = [(d, k, w) for d, k, w in self.due if not (k == kind and d <= day)]
        return ready

    @property
    def main(self) -> Warehouse:
        return self.warehouses[0]

    @property
    def reno(self) -> Warehouse:
        return self.warehouses[1]

    @property
    def store(self) -> Warehouse:
        return self.warehouses[-1]

    def stocked(self) -> list[Product]:
        return [p for p in self.products.values() if p.kind != ProductKind.KIT]

    def sellable(self) -> list[Product]:
        return [p for p in self.products.values() if p.sku not in MATERIALS]

    def on_hand(self, product: Product, warehouse: Warehouse) -> int:
        return (
            Stock.objects.filter(product=product, warehouse=warehouse)
            .values_list("physical_on_hand", flat=True)
            .first()
            or 0
        )

    def available(self, product: Product, warehouse: Warehouse) -> int:
        """Available on hand in one warehouse (a kit: as many as its components allow)."""
        if product.kind == ProductKind.KIT:
            parts = list(
                KitComponent.objects.filter(kit=product)
                .order_by("component_id")
                .values_list("component_id", "quantity")
            )
            stock = dict(
                (pid, (p, c))
                for pid, p, c in Stock.objects.filter(
                    product_id__in=[c for c, _q in parts], warehouse=warehouse
                ).values_list("product_id", "physical_on_hand", "committed")
            )
            return kit_in_warehouse(parts, lambda c: stock.get(c, (0, 0))).available_on_hand
        row = Stock.objects.filter(product=product, warehouse=warehouse).first()
        return row.available_on_hand if row else 0


@contextmanager
def clock(at: datetime) -> Iterator[None]:
    """Run services as if it were `at`: the demo replays 90 days, so everything a service
    stamps with "now" (imported_at, a PO's creation, recorded_at) falls on the simulated day."""
    real = timezone.now
    timezone.now = lambda: at
    try:
        yield
    finally:
        timezone.now = real


def build_catalog(demo: Demo) -> None:
    company = demo.company
    with transaction.atomic(), clock(demo.start):
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
            password = secrets.token_urlsafe(9)
            demo.staff.append(
                user_create(company=company, username=name, password=password, role=Role.CLERK)
            )
            demo.logins.append((Role.CLERK.value, name, password))
        for role, name in OTHER_ROLES:
            password = secrets.token_urlsafe(9)
            user_create(company=company, username=name, password=password, role=role)
            demo.logins.append((role.value, name, password))


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
                at = demo.at(0, 8 + i + rng.random())
                with clock(at):
                    stock_set(
                        company=demo.company,
                        product=product,
                        warehouse=warehouse,
                        physical_on_hand=quantity,
                        user=demo.user,
                        note="Opening count",
                        created_at=at,
                    )


def run_history(demo: Demo) -> None:
    from .days import DAILY_STEPS

    opening_counts(demo)
    for day in range(1, DAYS + 1):
        for step in DAILY_STEPS:
            step(demo, day)
