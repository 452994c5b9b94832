"""Setting changes and syncs record exact quantities while stock changes concurrently."""

import threading

import pytest
from django.db import close_old_connections, connection

from stockledger.channels.services import channel_set_writeback_warehouses
from stockledger.channels.sync import channel_writeback_run
from stockledger.ledger.models import LogEntry
from stockledger.ledger.services import stock_adjust


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_cart_warehouse_and_export_rows_stay_exact_under_concurrent_stock_changes(
    company, channel, warehouses, product_factory, verify_clean
):
    main, east = warehouses
    products = [product_factory(f"P-{i}") for i in range(20)]
    product_factory("KIT", components=[{"sku": "P-0", "quantity": 1}])
    errors = []

    def adjuster(seed):
        try:
            for n in range(40):
                product = products[(seed * 7 + n) % len(products)]
                stock_adjust(
                    company=company, product=product, warehouse=(main, east)[n % 2], change=1
                )
        except Exception as exc:  # noqa: BLE001 - any error fails the test
            errors.append(exc)
        finally:
            connection.close()

    def toggler():
        try:
            for n in range(12):
                choice = [[main.id], [east.id], []][n % 3]
                channel_set_writeback_warehouses(
                    company=company, channel=channel, warehouse_ids=choice
                )
                if n % 4 == 0:
                    channel_writeback_run(company=company, channel=channel)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=adjuster, args=(i,)) for i in range(3)]
    threads.append(threading.Thread(target=toggler))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    close_old_connections()

    assert errors == []
    assert LogEntry.objects.filter(event_type="on_hand").count() == 120
    assert LogEntry.objects.filter(event_type="cart_warehouse").count() == 12 * 21
    assert LogEntry.objects.filter(event_type="export").count() == 3 * 21
    # Every fact row recorded the totals the replay reaches at its place in the log.
    verify_clean()
