"""Transfers, goods receipts and RMA receipts racing on the same SKUs (real threads).

Threads move stock both ways between two warehouses (simple products and a kit) while others
receive against one purchase order and one RMA. Nothing is lost or made up: each warehouse
ends at its start plus what the accepted operations say, the documents' totals match their
receipts, the log has exactly the rows the accepted operations wrote, and verify is clean.
"""

import random
import threading
from collections import Counter

import pytest
from django.db import close_old_connections, connection

from stockledger.core.errors import InvalidInput
from stockledger.ledger.models import LogEntry
from stockledger.ledger.services import stock_adjust
from stockledger.purchasing.models import GoodsReceipt, PurchaseOrderLine
from stockledger.purchasing.services import purchase_order_create, purchase_order_receive
from stockledger.returns.models import ReturnLine
from stockledger.returns.services import return_create, return_receive
from stockledger.transfers.services import transfer_create
from stockledger.warehouses.models import Stock

START = 40
KIT = {"P1": 2, "P2": 1}


def _scenario(company_factory, *, movers, receivers, rounds):
    from stockledger.catalog.services import product_create
    from stockledger.warehouses.services import warehouse_create

    company, user, _ = company_factory()
    a = warehouse_create(company=company, name="A")
    b = warehouse_create(company=company, name="B")
    products = {sku: product_create(company=company, sku=sku, name=sku) for sku in ("P1", "P2")}
    product_create(
        company=company,
        sku="K",
        name="Kit",
        components=[{"sku": s, "quantity": q} for s, q in KIT.items()],
    )
    for product in products.values():
        for warehouse in (a, b):
            stock_adjust(company=company, product=product, warehouse=warehouse, change=START)
    po = purchase_order_create(
        company=company,
        number="PO-1",
        warehouse=a,
        lines=[{"sku": "P1", "quantity": 1000}, {"sku": "P2", "quantity": 1000}],
    )
    rma, _ = return_create(
        company=company,
        number="RMA-1",
        warehouse=b,
        lines=[{"sku": "P1", "expected_quantity": receivers * rounds}],
    )

    lock = threading.Lock()
    moved = Counter()  # (sku, warehouse name) -> signed units
    done = Counter()
    errors: list[BaseException] = []

    def add(key, value):
        with lock:
            moved[key] += value

    def mover(seed):
        rng = random.Random(seed)
        try:
            for _ in range(rounds):
                sending, receiving = (a, b) if rng.random() < 0.5 else (b, a)
                sku = rng.choice(["P1", "P2", "K"])
                quantity = rng.randint(1, 12)
                try:
                    transfer_create(
                        company=company,
                        sending_warehouse=sending,
                        receiving_warehouse=receiving,
                        lines=[{"sku": sku, "quantity": quantity}],
                        user=user,
                    )
                except InvalidInput as exc:
                    assert exc.field == "lines[0].quantity", exc.message
                    with lock:
                        done["refused transfers"] += 1
                    continue
                parts = KIT.items() if sku == "K" else [(sku, 1)]
                for component, per in parts:
                    add((component, sending.name), -quantity * per)
                    add((component, receiving.name), quantity * per)
                with lock:
                    done["transfers"] += 1
                    done["transfer rows"] += 2 * len(parts) + (2 if sku == "K" else 0)
        except BaseException as exc:  # noqa: BLE001 - any error reaching a caller fails the test
            errors.append(exc)
        finally:
            connection.close()

    def receiver(seed):
        rng = random.Random(seed)
        try:
            for i in range(rounds):
                if rng.random() < 0.5:
                    sku, quantity = rng.choice(["P1", "P2"]), rng.randint(1, 5)
                    purchase_order_receive(
                        company=company,
                        purchase_order=po,
                        number=f"GR-{seed}-{i}",
                        lines=[{"sku": sku, "quantity": quantity}],
                        user=user,
                    )
                    add((sku, "A"), quantity)
                    with lock:
                        done[f"received {sku}"] += quantity
                        done["receipts"] += 1
                else:
                    restocked = rng.randint(0, 1)
                    return_receive(
                        company=company,
                        return_order=rma,
                        lines=[
                            {"sku": "P1", "received_quantity": 1, "restocked_quantity": restocked}
                        ],
                        user=user,
                    )
                    add(("P1", "B"), restocked)
                    with lock:
                        done["returned"] += 1
                        done["restocked"] += restocked
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    pool = [threading.Thread(target=mover, args=(i,)) for i in range(movers)]
    pool += [threading.Thread(target=receiver, args=(100 + i,)) for i in range(receivers)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    close_old_connections()
    assert errors == []
    assert done["transfers"] > 0 and done["receipts"] > 0 and done["returned"] > 0

    for sku, product in products.items():
        for warehouse in (a, b):
            stock = Stock.objects.get(product=product, warehouse=warehouse)
            assert stock.physical_on_hand == START + moved[(sku, warehouse.name)]
            assert stock.physical_on_hand >= 0
    # Totals are conserved: only receipts and restocks add to the company's stock.
    total = sum(s.physical_on_hand for s in Stock.objects.filter(company=company))
    assert total == 4 * START + done["received P1"] + done["received P2"] + done["restocked"]

    po_lines = {
        line.product.sku: line for line in PurchaseOrderLine.objects.filter(purchase_order=po)
    }
    assert po_lines["P1"].quantity_received == done["received P1"]
    assert po_lines["P2"].quantity_received == done["received P2"]
    assert GoodsReceipt.objects.filter(purchase_order=po).count() == done["receipts"]
    rma_line = ReturnLine.objects.get(return_order=rma)
    assert (rma_line.received_quantity, rma_line.restocked_quantity) == (
        done["returned"],
        done["restocked"],
    )
    rows = Counter(LogEntry.objects.filter(company=company).values_list("event_type", flat=True))
    assert rows["inventory_transfer"] == done["transfer rows"]
    assert rows["po_received"] == done["receipts"]
    assert rows["return_order"] == 1 + done["returned"]
    # Within each product and warehouse the recorded quantities chain in sequence order.
    for product in products.values():
        for warehouse in (a, b):
            running = 0
            for row in LogEntry.objects.filter(product=product, warehouse=warehouse).order_by("id"):
                running += row.physical_change
                assert row.warehouse_physical_on_hand == running
    return company


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_transfers_and_receipts_on_postgresql_conserve_stock(
    company_factory, verify_clean
):
    company = _scenario(company_factory, movers=8, receivers=4, rounds=40)
    verify_clean(company)


@pytest.mark.django_db(transaction=True)
def test_concurrent_transfers_and_receipts_on_sqlite_queue_instead_of_failing(
    company_factory, verify_clean
):
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite variant of the concurrency test")
    company = _scenario(company_factory, movers=3, receivers=2, rounds=15)
    verify_clean(company)
