"""Time channel settings changes and sync at 100,000 SKUs (not a test: prints timings).

    STOCKLEDGER_HOME=var/bench .venv/bin/python bench/channels_100k.py [--products N]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sl_bench .venv/bin/python bench/...

Creates a fresh company in the configured database (migrating it first): N products (1% of
them kits of two components), stock for every simple product logged through the ledger, two
warehouses, one channel; then times each operation.
"""

import argparse
import os
import sys
import time
import uuid
from contextlib import contextmanager

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stockledger.settings")


@contextmanager
def timed(label: str, results: list):
    start = time.perf_counter()
    try:
        yield
    finally:
        seconds = time.perf_counter() - start
        results.append((label, seconds))
        print(f"{seconds:8.2f} s  {label}", flush=True)


class Rollback(Exception):
    pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--verify", action="store_true", help="also replay the company's log")
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from stockledger.catalog.models import KitComponent, Product, ProductKind
    from stockledger.channels.services import (
        channel_create,
        channel_set_locations,
        channel_set_writeback_warehouses,
    )
    from stockledger.channels.sync import channel_quantities_import, channel_writeback_run
    from stockledger.core.services import company_create
    from stockledger.ledger.models import EventType, LogEntry
    from stockledger.ledger.replay import replay
    from stockledger.ledger.services import LogLine, ledger_record, write_transaction
    from stockledger.warehouses.services import warehouse_create

    call_command("migrate", verbosity=0)
    print(f"database: {connection.vendor}, products: {args.products}", flush=True)
    tag = uuid.uuid4().hex[:8]
    company, user, _ = company_create(
        name=f"Bench {tag}", username=f"bench-{tag}", password="bench-Pass-100k"
    )
    main = warehouse_create(company=company, name="Main")
    east = warehouse_create(company=company, name="East")
    kits = args.products // 100
    simple = args.products - kits
    Product.objects.bulk_create(
        (Product(company=company, sku=f"SKU-{i:06d}", name=f"Product {i}") for i in range(simple)),
        batch_size=5000,
    )
    Product.objects.bulk_create(
        (
            Product(company=company, sku=f"KIT-{i:05d}", name=f"Kit {i}", kind=ProductKind.KIT)
            for i in range(kits)
        ),
        batch_size=5000,
    )
    products = list(Product.objects.filter(company=company).order_by("id"))
    simples = [p for p in products if p.kind == ProductKind.SIMPLE]
    KitComponent.objects.bulk_create(
        [
            KitComponent(kit=k, component=simples[(2 * i + j) % simple], quantity=j + 1)
            for i, k in enumerate(p for p in products if p.kind == ProductKind.KIT)
            for j in range(2)
        ],
        batch_size=5000,
    )
    results: list = []

    @write_transaction
    def stock_everything():
        ledger_record(
            company=company,
            event_type=EventType.ON_HAND,
            lines=[
                LogLine(product=p, warehouse=main if i % 3 else east, physical_change=i % 50 + 1)
                for i, p in enumerate(simples)
            ],
        )

    with timed(f"ledger_record: {simple} stock changes (on_hand) in one call", results):
        stock_everything()

    def facts_through_ledger_record():
        with transaction.atomic():
            ledger_record(
                company=company,
                event_type=EventType.CART_WAREHOUSE,
                lines=[LogLine(product=p, fields={"warehouse_name": "Main"}) for p in products],
            )
            raise Rollback

    try:
        with timed(f"ledger_record: {len(products)} no-change rows (rolled back)", results):
            facts_through_ledger_record()
    except Rollback:
        pass

    channel = channel_create(company=company, cart_type="shopify", name="Shopify")
    before = LogEntry.objects.filter(company=company).count()
    with timed("PUT writeback [Main]: channel_set_writeback_warehouses", results):
        n1 = channel_set_writeback_warehouses(
            company=company, channel=channel, warehouse_ids=[main.id], user=user
        )
    with timed("PUT writeback [Main, East]", results):
        n2 = channel_set_writeback_warehouses(
            company=company, channel=channel, warehouse_ids=[main.id, east.id], user=user
        )
    with timed("PUT writeback [Main, East] again (unchanged)", results):
        n3 = channel_set_writeback_warehouses(
            company=company, channel=channel, warehouse_ids=[main.id, east.id], user=user
        )
    with timed("PUT locations Main, East: channel_set_locations", results):
        n4 = channel_set_locations(
            company=company,
            channel=channel,
            locations=[
                {"warehouse_id": main.id, "location": "gid://shopify/Location/1"},
                {"warehouse_id": east.id, "location": "gid://shopify/Location/2"},
            ],
            user=user,
        )
    print(f"          rows logged: {n1}, {n2}, {n3}, {n4}", flush=True)
    assert LogEntry.objects.filter(company=company).count() == before + n1 + n2 + n4

    with timed(f"writeback run, manual adapter, {len(products)} products", results):
        run = channel_writeback_run(company=company, channel=channel)
    print(f"          {run.label}: {run.status}, {run.products} rows", flush=True)
    with timed("writeback run again with only_changed (nothing changed)", results):
        run = channel_writeback_run(company=company, channel=channel, only_changed=True)
    print(f"          {run.label}: {run.status}, {run.products} rows", flush=True)
    with timed(f"quantities import of {len(products)} SKUs", results):
        channel_quantities_import(
            company=company,
            channel=channel,
            quantities=[{"sku": p.sku, "quantity": 5} for p in products],
        )
    if args.verify:
        with timed("verify (replay) of the company", results):
            mismatches = list(replay(company))
        print(f"          mismatches: {len(mismatches)}", flush=True)
        if mismatches:
            for m in mismatches[:10]:
                print("          ", m)
            sys.exit(1)


if __name__ == "__main__":
    main()
