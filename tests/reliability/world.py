"""A small company with a few hot SKUs across three warehouses, and random operations on it.

The concurrency tests run these operations from many threads at once; every operation the
services accept is added to a `Tally` of the stock changes the caller asked for, worked out
from the request (not from the rows written), so the final stock can be checked against what
callers were told happened.

Hot SKUs: A, B, C (simple), KIT = 1 x A + 2 x B, TABLE (manufactured) = 2 x A + 1 x C.
A sales channel reports quantities (`import` rows), is written back to (`export` rows) and
has its writeback warehouses changed (`cart_warehouse` rows in every product's log).
Shared documents everyone races on: one purchase order, one manufacturing order and one RMA
per warehouse, and a pool of orders any worker may ship or cancel part of.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

from stockledger.core.errors import Conflict, InsufficientStock, InvalidInput

PLACED = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
SIMPLE = ("A", "B", "C")
KIT_RATIO = {"A": 1, "B": 2}
BOM = {"A": 2, "C": 1}
START = 300  # physical on hand of each simple SKU in each warehouse at the start


class UnexpectedError(AssertionError):
    """An error other than a domain refusal reached the caller of an operation."""


@dataclass
class World:
    company: object
    user: object
    channel: object
    warehouses: list
    products: dict  # sku -> Product
    purchase_orders: list  # one per warehouse
    manufacturing_orders: list
    returns: list
    shared_orders: list = field(default_factory=list)  # (order, {sku: quantity})
    lock: threading.Lock = field(default_factory=threading.Lock)

    def expand(self, sku: str, units: int) -> list[tuple[object, int]]:
        """What holds the stock of `units` of `sku`: [(product, units)]."""
        if sku == "KIT":
            return [(self.products[c], units * k) for c, k in KIT_RATIO.items()]
        return [(self.products[sku], units)]


def build_world(company, user, *, start: int = START) -> World:
    from stockledger.catalog.services import product_create
    from stockledger.channels.services import channel_create
    from stockledger.ledger.services import stock_set
    from stockledger.manufacturing.services import mo_create
    from stockledger.purchasing.services import purchase_order_create
    from stockledger.returns.services import return_create
    from stockledger.warehouses.services import warehouse_create

    warehouses = [warehouse_create(company=company, name=n) for n in ("North", "South", "West")]
    channel = channel_create(company=company, cart_type="shopify", name="Shop")
    products = {sku: product_create(company=company, sku=sku, name=sku) for sku in SIMPLE}
    products["KIT"] = product_create(
        company=company,
        sku="KIT",
        name="Kit",
        components=[{"sku": c, "quantity": k} for c, k in KIT_RATIO.items()],
    )
    products["TABLE"] = product_create(
        company=company,
        sku="TABLE",
        name="Table",
        bom=[{"sku": c, "quantity": k} for c, k in BOM.items()],
    )
    for w in warehouses:
        for sku in SIMPLE:
            stock_set(
                company=company,
                product=products[sku],
                warehouse=w,
                physical_on_hand=start,
                user=user,
            )
    pos = [
        purchase_order_create(
            company=company,
            number=f"PO-{w.name}",
            warehouse=w,
            lines=[{"sku": s, "quantity": 10**9} for s in SIMPLE],
        )
        for w in warehouses
    ]
    mos = [
        mo_create(
            company=company,
            number=f"MO-{w.name}",
            product=products["TABLE"],
            quantity=10**6,
            warehouse=w,
        )
        for w in warehouses
    ]
    rmas = [
        return_create(
            company=company,
            number=f"RMA-{w.name}",
            warehouse=w,
            lines=[
                {"sku": "A", "expected_quantity": 10**9},
                {"sku": "KIT", "expected_quantity": 10**8},
            ],
        )[0]
        for w in warehouses
    ]
    return World(company, user, channel, warehouses, products, pos, mos, rmas)


class Tally:
    """Stock changes callers were told happened, per (product id, warehouse id)."""

    def __init__(self, world: World, *, start: int = START) -> None:
        self.lock = threading.Lock()
        self.expected: dict[tuple[int, int], list[int]] = {}
        for w in world.warehouses:
            for sku in SIMPLE:
                self.expected[(world.products[sku].id, w.id)] = [start, 0]

    def add(self, product, warehouse, physical: int = 0, committed: int = 0) -> None:
        with self.lock:
            row = self.expected.setdefault((product.id, warehouse.id), [0, 0])
            row[0] += physical
            row[1] += committed


@dataclass
class Worker:
    """One thread's random operations; keeps its private open orders."""

    world: World
    tally: Tally
    index: int
    rng: random.Random
    private_orders: list = field(default_factory=list)
    counter: int = 0
    outcomes: Counter = field(default_factory=Counter)

    def next_number(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}-{self.index}-{self.counter}"

    # --- operations ------------------------------------------------------------------------

    def adjust(self):
        from stockledger.ledger.services import stock_adjust

        product = self.world.products[self.rng.choice(SIMPLE)]
        warehouse = self.rng.choice(self.world.warehouses)
        change = self.rng.choice([-6, -3, -2, -1, 1, 2, 3, 5, 8])
        stock_adjust(
            company=self.world.company,
            product=product,
            warehouse=warehouse,
            change=change,
            user=self.world.user,
        )
        self.tally.add(product, warehouse, change)

    def count(self):
        from stockledger.ledger.services import stock_set

        product = self.world.products[self.rng.choice(SIMPLE)]
        warehouse = self.rng.choice(self.world.warehouses)
        entry = stock_set(
            company=self.world.company,
            product=product,
            warehouse=warehouse,
            physical_on_hand=self.rng.randint(0, 2 * START),
            user=self.world.user,
        )
        # The change of a count depends on what was there: the row says what it found.
        self.tally.add(product, warehouse, entry.physical_change)

    def _lines(self, skus, top: int) -> dict[str, int]:
        chosen = self.rng.sample(skus, self.rng.randint(1, 2))
        return {sku: self.rng.randint(1, top) for sku in chosen}

    def transfer(self):
        from stockledger.transfers.services import transfer_create

        sending, receiving = self.rng.sample(self.world.warehouses, 2)
        lines = self._lines(["A", "B", "C", "KIT"], 5)
        transfer_create(
            company=self.world.company,
            sending_warehouse=sending,
            receiving_warehouse=receiving,
            lines=[{"sku": s, "quantity": q} for s, q in lines.items()],
            user=self.world.user,
        )
        for sku, q in lines.items():
            for product, units in self.world.expand(sku, q):
                self.tally.add(product, sending, -units)
                self.tally.add(product, receiving, units)

    def receive(self):
        from stockledger.purchasing.services import purchase_order_receive

        po = self.rng.choice(self.world.purchase_orders)
        lines = self._lines(list(SIMPLE), 10)
        purchase_order_receive(
            company=self.world.company,
            purchase_order=po,
            number=self.next_number("GR"),
            lines=[{"sku": s, "quantity": q} for s, q in lines.items()],
            user=self.world.user,
        )
        for sku, q in lines.items():
            self.tally.add(self.world.products[sku], po.warehouse, q)

    def restock(self):
        from stockledger.returns.services import return_receive

        rma = self.rng.choice(self.world.returns)
        sku = self.rng.choice(["A", "KIT"])
        received = self.rng.randint(1, 3)
        restocked = self.rng.randint(0, received)
        return_receive(
            company=self.world.company,
            return_order=rma,
            lines=[{"sku": sku, "received_quantity": received, "restocked_quantity": restocked}],
            user=self.world.user,
        )
        for product, units in self.world.expand(sku, restocked):
            self.tally.add(product, rma.warehouse, units)

    def import_order(self):
        from stockledger.orders.services import order_import

        warehouse = self.rng.choice(self.world.warehouses)
        lines = self._lines(["A", "B", "C", "KIT"], 4)
        order, created = order_import(
            company=self.world.company,
            channel=self.world.channel,
            order_number=self.next_number("SO"),
            placed_at=PLACED,
            warehouse=warehouse,
            lines=[{"sku": s, "quantity": q} for s, q in lines.items()],
            user=self.world.user,
        )
        assert created
        for sku, q in lines.items():
            for product, units in self.world.expand(sku, q):
                self.tally.add(product, warehouse, 0, units)
        if self.rng.random() < 0.5:
            self.private_orders.append((order, lines))
        else:
            with self.world.lock:
                self.world.shared_orders.append((order, lines))

    def _step(self, ship: bool):
        from stockledger.orders.services import order_cancel, order_ship

        step = order_ship if ship else order_cancel
        if self.private_orders and self.rng.random() < 0.5:
            # Only this worker touches its private orders: everything remaining is all of it.
            order, lines = self.private_orders.pop(self.rng.randrange(len(self.private_orders)))
            step(company=self.world.company, order=order, user=self.world.user)
            picked = lines
        else:
            with self.world.lock:
                pool = list(self.world.shared_orders)
            if not pool:  # nothing to ship or cancel yet
                self.import_order()
                return "import_order"
            order, lines = self.rng.choice(pool)
            sku = self.rng.choice(sorted(lines))
            picked = {sku: self.rng.randint(1, lines[sku])}
            step(
                company=self.world.company,
                order=order,
                lines=[{"sku": s, "quantity": q} for s, q in picked.items()],
                user=self.world.user,
            )
        for sku, q in picked.items():
            for product, units in self.world.expand(sku, q):
                self.tally.add(product, order.warehouse, -units if ship else 0, -units)

    def ship(self):
        return self._step(ship=True)

    def cancel(self):
        return self._step(ship=False)

    def finish(self):
        from stockledger.manufacturing.services import mo_finish

        mo = self.rng.choice(self.world.manufacturing_orders)
        units = self.rng.randint(1, 3)
        mo_finish(company=self.world.company, mo=mo, quantity=units, user=self.world.user)
        self.tally.add(self.world.products["TABLE"], mo.warehouse, units)
        for sku, k in BOM.items():
            self.tally.add(self.world.products[sku], mo.warehouse, -units * k)

    def channel_import(self):
        from stockledger.channels.sync import channel_quantities_import

        skus = self.rng.sample(list(self.world.products), self.rng.randint(1, 3))
        channel_quantities_import(
            company=self.world.company,
            channel=self.world.channel,
            quantities=[{"sku": s, "quantity": self.rng.randint(0, 50)} for s in skus],
        )

    def write_back(self):
        from stockledger.channels.sync import channel_writeback_run

        channel_writeback_run(
            company=self.world.company,
            channel=self.world.channel,
            only_changed=self.rng.random() < 0.5,
        )

    def channel_settings(self):
        from stockledger.channels.services import channel_set_writeback_warehouses

        chosen = self.rng.sample(self.world.warehouses, self.rng.randint(0, 2))
        channel_set_writeback_warehouses(
            company=self.world.company,
            channel=self.world.channel,
            warehouse_ids=[w.id for w in chosen],
            user=self.world.user,
        )

    OPERATIONS = {
        "adjust": 4,
        "count": 1,
        "transfer": 3,
        "receive": 2,
        "restock": 1,
        "import_order": 4,
        "ship": 3,
        "cancel": 1,
        "finish": 2,
        "channel_import": 1,
        "write_back": 1,
        "channel_settings": 1,
    }

    # A refusal a caller may legitimately get under contention, per operation.
    REFUSALS = {
        "adjust": (InsufficientStock,),
        "transfer": (InvalidInput,),  # "North holds 2 of A; cannot transfer 5"
        "ship": (Conflict,),
        "cancel": (Conflict,),
        "finish": (InsufficientStock,),
        "write_back": (Conflict,),  # another run of the channel is still going
    }

    def run(self, operations: int) -> None:
        names = list(self.OPERATIONS)
        weights = [self.OPERATIONS[n] for n in names]
        for _ in range(operations):
            name = self.rng.choices(names, weights)[0]
            try:
                done = getattr(self, name)() or name
            except self.REFUSALS.get(name, ()) as exc:
                if isinstance(exc, InvalidInput) and "holds" not in exc.message:
                    raise
                self.outcomes[f"{name} refused ({type(exc).__name__})"] += 1
            except Exception as exc:
                raise UnexpectedError(f"{name}: {exc!r}") from exc
            else:
                self.outcomes[f"{done} done"] += 1
