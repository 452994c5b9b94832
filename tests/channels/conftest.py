import pytest

from stockledger.channels.services import channel_create
from stockledger.ledger.services import stock_set


@pytest.fixture
def channel(company):
    return channel_create(company=company, cart_type="shopify", name="Shopify US")


@pytest.fixture
def stock(company):
    """Set physical on hand (logged as on_hand rows, so verify stays clean)."""

    def put(product, warehouse, quantity):
        stock_set(company=company, product=product, warehouse=warehouse, physical_on_hand=quantity)

    return put
