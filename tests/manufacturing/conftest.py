import pytest


@pytest.fixture
def bom(company, warehouses, product_factory):
    """TABLE is made of 4 x LEG + 1 x TOP; Main holds 10 legs and 2 tops."""
    from stockledger.ledger.services import stock_set

    main, _ = warehouses
    leg = product_factory("LEG")
    top = product_factory("TOP")
    table = product_factory(
        "TABLE", bom=[{"sku": "LEG", "quantity": 4}, {"sku": "TOP", "quantity": 1}]
    )
    stock_set(company=company, product=leg, warehouse=main, physical_on_hand=10)
    stock_set(company=company, product=top, warehouse=main, physical_on_hand=2)
    return table, leg, top


@pytest.fixture
def make_mo(company, user, warehouses, bom):
    from stockledger.manufacturing.services import mo_create

    def make(number="MO-1", quantity=2, product=None, warehouse=None):
        return mo_create(
            company=company,
            number=number,
            product=product or bom[0],
            quantity=quantity,
            warehouse=warehouse or warehouses[0],
            user=user,
        )

    return make
