import pytest

from stockledger.core.errors import InsufficientStock, InvalidInput
from stockledger.ledger.services import stock_adjust, stock_set


def test_setting_on_hand_logs_the_signed_change_and_resulting_quantities(
    company, user, warehouses, product_factory, log_of, stock_of, verify_clean
):
    main, east = warehouses
    widget = product_factory("W-1")
    stock_set(
        company=company,
        product=widget,
        warehouse=main,
        physical_on_hand=10,
        user=user,
        note="cycle count",
    )
    stock_set(company=company, product=widget, warehouse=east, physical_on_hand=4, user=user)
    stock_set(company=company, product=widget, warehouse=main, physical_on_hand=7, user=user)

    rows = log_of(widget)
    assert [(r.event_type, r.quantity, r.physical_change) for r in rows] == [
        ("on_hand", 10, 10),
        ("on_hand", 4, 4),
        ("on_hand", -3, -3),
    ]
    # Product totals across warehouses, and the warehouse's own quantities.
    assert [(r.physical_on_hand, r.available_on_hand, r.committed) for r in rows] == [
        (10, 10, 0),
        (14, 14, 0),
        (11, 11, 0),
    ]
    assert [(r.warehouse_name, r.warehouse_physical_on_hand) for r in rows] == [
        ("Main", 10),
        ("East", 4),
        ("Main", 7),
    ]
    assert rows[0].user_name == user.username
    assert rows[0].note == "cycle count"
    assert rows[0].sku == "W-1"
    assert rows[0].id < rows[1].id < rows[2].id
    assert stock_of(widget, main) == (7, 0)
    verify_clean()


def test_setting_negative_on_hand_is_refused_and_writes_nothing(
    company, user, warehouses, product_factory, log_of, stock_of
):
    widget = product_factory("W-2")
    with pytest.raises(InvalidInput) as err:
        stock_set(company=company, product=widget, warehouse=warehouses[0], physical_on_hand=-1)
    assert err.value.field == "physical_on_hand"
    assert log_of(widget) == []
    assert stock_of(widget, warehouses[0]) == (0, 0)


def test_adjusting_below_zero_is_refused_with_a_message_naming_the_sku(
    company, warehouses, product_factory, log_of, stock_of
):
    widget = product_factory("W-3")
    stock_adjust(company=company, product=widget, warehouse=warehouses[0], change=2)
    with pytest.raises(InsufficientStock, match="W-3 has 2 physical on hand in Main"):
        stock_adjust(company=company, product=widget, warehouse=warehouses[0], change=-3)
    assert len(log_of(widget)) == 1
    assert stock_of(widget, warehouses[0]) == (2, 0)


def test_a_kit_holds_no_stock(company, warehouses, product_factory, log_of):
    product_factory("C-1")
    kit = product_factory("K-1", components=[{"sku": "C-1", "quantity": 2}])
    with pytest.raises(InvalidInput, match="kit"):
        stock_adjust(company=company, product=kit, warehouse=warehouses[0], change=5)
    with pytest.raises(InvalidInput, match="kit"):
        stock_set(company=company, product=kit, warehouse=warehouses[0], physical_on_hand=5)
    assert log_of(kit) == []
