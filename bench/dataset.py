"""The bench's company and its history: built once per engine and size, then reused.

The company's name records the generator version and sizes; a database holding another
dataset is dropped and rebuilt, so a run never measures yesterday's shape of data.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta

from django.db import connection
from django.db.models import Count

from stockledger.catalog.models import Product
from stockledger.catalog.services import product_create
from stockledger.channels.models import SalesChannel
from stockledger.channels.services import channel_create
from stockledger.core.models import Company, User
from stockledger.core.services import company_create, token_create
from stockledger.ledger.models import LogEntry
from stockledger.warehouses.models import Warehouse
from stockledger.warehouses.services import warehouse_create

from .generate import START, History, Item, Place, Sink, write_stock
from .harness import Sizes

# 2: PostgreSQL datasets of version 1 had the log's indexes left invalid (bench/generate.py).
GENERATOR_VERSION = 2
BIG_SKU = "BIG-1"
KIT_SKU = "KIT-1"
COMPONENT_SKUS = tuple(f"KIT-1-C{i}" for i in range(1, 6))
PER_KIT = (1, 2, 1, 3, 1)
BACKGROUND_PRODUCTS = 20
WAREHOUSES = ("Main", "East Coast", "Overflow, Reno")
CHANNELS = (("shopify", "Shopify store"), ("amazon", "Amazon US"), ("etsy", "Etsy shop"))
USERNAME = "bench"
YEARS = 3


@dataclass
class Dataset:
    company: Company
    user: User
    warehouses: list[Warehouse]
    channels: list[SalesChannel]
    big: Product
    kit: Product
    components: list[Product]
    rows: dict[str, int]  # log rows per SKU of big, kit and components
    generated_seconds: float | None  # None when reused

    def token(self) -> str:
        return token_create(user=self.user, name="bench")[1]


def dataset_name(sizes: Sizes) -> str:
    return f"bench v{GENERATOR_VERSION} {sizes.dataset_key}"


def find(sizes: Sizes) -> Dataset | None:
    company = Company.objects.filter(name=dataset_name(sizes)).first()
    if company is None:
        return None
    return _load(company, None)


def database_is_empty() -> bool:
    return not Company.objects.exists()


def _load(company: Company, seconds: float | None) -> Dataset:
    products = {p.sku: p for p in Product.objects.filter(company=company)}
    skus = (BIG_SKU, KIT_SKU, *COMPONENT_SKUS)
    counts = dict(
        LogEntry.objects.filter(company=company, sku__in=skus)
        .values_list("sku")
        .order_by()
        .annotate(n=Count("id"))
    )
    return Dataset(
        company=company,
        user=User.objects.get(company=company, username=USERNAME),
        warehouses=list(Warehouse.objects.filter(company=company).order_by("id")),
        channels=list(SalesChannel.objects.filter(company=company).order_by("id")),
        big=products[BIG_SKU],
        kit=products[KIT_SKU],
        components=[products[s] for s in COMPONENT_SKUS],
        rows={s: counts.get(s, 0) for s in skus},
        generated_seconds=seconds,
    )


def build(sizes: Sizes, seed: int = 7) -> Dataset:
    """Create the company, its warehouses, channels, products, and their histories."""
    started = time.perf_counter()
    # Named for its dataset only once complete: a build that dies half-way is never reused.
    company, user, _ = company_create(
        name=dataset_name(sizes) + " (building)", username=USERNAME, password="bench-password"
    )
    warehouses = [warehouse_create(company=company, name=n) for n in WAREHOUSES]
    channels = [channel_create(company=company, cart_type=t, name=n) for t, n in CHANNELS]
    big = product_create(company=company, sku=BIG_SKU, name="Ceramic mug, 350 ml, blue")
    components = [
        product_create(company=company, sku=s, name=f"Gift set part {i}")
        for i, s in enumerate(COMPONENT_SKUS, 1)
    ]
    kit = product_create(
        company=company,
        sku=KIT_SKU,
        name="Gift set",
        components=[
            {"sku": s, "quantity": q} for s, q in zip(COMPONENT_SKUS, PER_KIT, strict=True)
        ],
    )
    others = [
        product_create(company=company, sku=f"SKU-{i:04d}", name=f"Catalogue item {i}")
        for i in range(1, BACKGROUND_PRODUCTS + 1)
    ]
    wh = [Place(w.id, w.name) for w in warehouses]
    ch = [Place(c.id, c.name, c.cart_type) for c in channels]
    span = timedelta(days=365 * YEARS).total_seconds()
    sink = Sink()
    sink.drop_indexes()
    stock: list[tuple[int, int, int, int]] = []

    def simulate(items, rows_per_item, kit_item=None, seed_offset=0, total=None):
        history = History(
            company_id=company.id,
            user=(user.id, user.username),
            warehouses=wh,
            channels=ch,
            items=items,
            kit=kit_item,
            sink=sink,
            seed=seed + seed_offset,
            start=START,
            mean_gap_seconds=span / (total or rows_per_item),
        )
        history.run(rows_per_item)
        stock.extend(history.stock_rows())

    simulate([Item(big.id, big.sku)], sizes.big_rows, seed_offset=1)
    kit_items = [Item(p.id, p.sku, per_kit=q) for p, q in zip(components, PER_KIT, strict=True)]
    simulate(
        kit_items,
        sizes.kit_rows,
        kit_item=Item(kit.id, kit.sku),
        seed_offset=2,
        total=sizes.kit_rows * 2,
    )
    per_other = max(1, sizes.background_rows // len(others))
    for i, product in enumerate(others):
        simulate([Item(product.id, product.sku)], per_other, seed_offset=10 + i)
    sink.close()
    write_stock(company.id, stock)
    analyze()
    Company.objects.filter(pk=company.pk).update(name=dataset_name(sizes))
    company.refresh_from_db()
    return _load(company, time.perf_counter() - started)


def analyze() -> None:
    """Fresh planner statistics, as a live database's autovacuum / optimize would keep."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("VACUUM (ANALYZE) ledger_logentry")
            cur.execute("ANALYZE")
        else:
            cur.execute("ANALYZE")
