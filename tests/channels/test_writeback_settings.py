"""Writeback warehouses and location mapping: cart_warehouse rows in every product's log."""

import pytest

from stockledger.channels.models import ChannelLocation, ChannelWarehouse
from stockledger.channels.services import channel_set_locations, channel_set_writeback_warehouses
from stockledger.core.errors import InvalidInput
from stockledger.ledger.models import LogEntry


@pytest.fixture
def catalog(product_factory, warehouses, stock):
    main, east = warehouses
    widget = product_factory("W-1")
    gadget = product_factory("G-1")
    idle = product_factory("IDLE")  # no stock anywhere: still affected
    kit = product_factory("KIT", components=[{"sku": "W-1", "quantity": 2}, {"sku": "G-1", "quantity": 1}])
    stock(widget, main, 10)
    stock(widget, east, 3)
    stock(gadget, main, 4)
    return widget, gadget, idle, kit


def test_choosing_writeback_warehouses_logs_a_cart_warehouse_row_in_every_products_log(
    company, user, channel, warehouses, catalog, log_of, stock_of, verify_clean
):
    main, east = warehouses
    widget, gadget, idle, kit = catalog

    logged = channel_set_writeback_warehouses(
        company=company, channel=channel, warehouse_ids=[east.id, main.id], user=user
    )

    assert logged == 4
    expected = {
        # sku: (physical, committed, available) right after the change
        "W-1": (13, 0, 13),
        "G-1": (4, 0, 4),
        "IDLE": (0, 0, 0),
        "KIT": (4, 0, 4),  # min(13 // 2, 4 // 1)
    }
    for product in catalog:
        [row] = log_of(product, event_type="cart_warehouse")
        assert (row.physical_on_hand, row.committed, row.available_on_hand) == expected[
            product.sku
        ]
        assert row.warehouse_name == "Main, East"
        assert row.warehouse_locations == ""
        assert (row.cart_type, row.cart_id, row.cart_name) == ("shopify", channel.id, "Shopify US")
        assert row.user_name == user.username
        assert row.warehouse_id is None
        assert (row.physical_change, row.committed_change, row.quantity) == (0, 0, None)
        assert row.note == "Writeback warehouses set to Main, East (was: All warehouses)"
        assert (row.document_type, row.document_id) == ("sales_channel", channel.id)
        assert row.sku == product.sku
    assert set(ChannelWarehouse.objects.values_list("warehouse_id", flat=True)) == {
        main.id,
        east.id,
    }
    assert stock_of(widget, main) == (10, 0)
    verify_clean()
