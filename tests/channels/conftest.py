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


@pytest.fixture
def commit(company):
    """Commit units at a warehouse (as an imported order line does), through the ledger."""
    from stockledger.ledger.models import EventType, OrderStep
    from stockledger.ledger.services import LogLine, ledger_record, write_transaction

    @write_transaction
    def put(product, warehouse, quantity):
        ledger_record(
            company=company,
            event_type=EventType.ORDER,
            lines=[
                LogLine(
                    product=product,
                    warehouse=warehouse,
                    committed_change=quantity,
                    quantity=quantity,
                    fields={"order_step": OrderStep.IMPORTED, "event_id": "TEST-ORDER"},
                )
            ],
        )

    return put
