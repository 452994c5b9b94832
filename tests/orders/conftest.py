from datetime import UTC, datetime

import pytest

PLACED = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
def channel(company):
    from stockledger.channels.services import channel_create

    return channel_create(company=company, cart_type="shopify", name="Shop")


@pytest.fixture
def stocked(company, warehouses, product_factory):
    """Main holds 10 x A and 20 x B; KIT is 1 x A + 2 x B."""
    from stockledger.ledger.services import stock_set

    main, _ = warehouses
    a = product_factory("A")
    b = product_factory("B")
    kit = product_factory(
        "KIT", components=[{"sku": "A", "quantity": 1}, {"sku": "B", "quantity": 2}]
    )
    stock_set(company=company, product=a, warehouse=main, physical_on_hand=10)
    stock_set(company=company, product=b, warehouse=main, physical_on_hand=20)
    return a, b, kit


@pytest.fixture
def import_order(company, channel, warehouses):
    from stockledger.orders.services import order_import

    def run(number="1001", lines=(("A", 2),), *, placed_at=PLACED, warehouse=None, **kw):
        return order_import(
            company=company,
            channel=kw.pop("channel", channel),
            order_number=number,
            placed_at=placed_at,
            warehouse=warehouse or warehouses[0],
            lines=[{"sku": sku, "quantity": q} for sku, q in lines],
            **kw,
        )

    return run
