"""Manufacturing orders: creating one, finishing all or part, the mo_finished rows."""

import pytest

from stockledger.core.errors import Conflict, InsufficientStock, InvalidInput
from stockledger.manufacturing.models import ManufacturingOrder, MoStatus
from stockledger.manufacturing.services import mo_finish


def moves(rows):
    return [(r.sku, r.event_type, r.quantity, r.physical_change) for r in rows]


def test_creating_an_mo_copies_the_bom_and_changes_no_stock(make_mo, bom, db_dump, log_of):
    table, leg, top = bom
    mo = make_mo(quantity=2)
    assert (mo.status, mo.finished_quantity, mo.remaining) == (MoStatus.OPEN, 0, 2)
    assert sorted((c.component.sku, c.quantity_per_unit) for c in mo.components.all()) == [
        ("LEG", 4),
        ("TOP", 1),
    ]
    assert log_of(table) == [] and len(log_of(leg)) == 1  # only the stock_set


def test_finishing_an_mo_adds_the_product_and_consumes_the_components(
    company, user, warehouses, bom, make_mo, log_of, stock_of, verify_clean
):
    main, _ = warehouses
    table, leg, top = bom
    mo = make_mo(quantity=2)
    mo = mo_finish(company=company, mo=mo, user=user)

    assert (mo.status, mo.finished_quantity) == (MoStatus.FINISHED, 2)
    assert stock_of(table, main) == (2, 0)
    assert stock_of(leg, main) == (2, 0)
    assert stock_of(top, main) == (0, 0)
    [made] = log_of(table)
    [used_legs] = log_of(leg, event_type="mo_finished")
    [used_top] = log_of(top, event_type="mo_finished")
    assert moves([made, used_legs, used_top]) == [
        ("TABLE", "mo_finished", 2, 2),
        ("LEG", "mo_finished", -8, -8),
        ("TOP", "mo_finished", -2, -2),
    ]
    assert {r.event_id for r in (made, used_legs, used_top)} == {"MO-1"}
    assert {(r.document_type, r.document_id) for r in (made, used_legs, used_top)} == {
        ("manufacturing_order", mo.id)
    }
    assert (made.physical_on_hand, made.available_on_hand, made.warehouse_name) == (2, 2, "Main")
    assert (used_legs.physical_on_hand, used_legs.warehouse_physical_on_hand) == (2, 2)
    assert made.user_name == user.username
    assert made.cart_type == "" and made.imported_at is None
    verify_clean()


def test_finishing_part_of_an_mo_then_the_rest(
    company, warehouses, bom, make_mo, log_of, stock_of, verify_clean
):
    main, _ = warehouses
    table, leg, _ = bom
    mo = make_mo(quantity=2)
    mo = mo_finish(company=company, mo=mo, quantity=1)
    assert (mo.status, mo.finished_quantity, mo.remaining) == (MoStatus.PARTIALLY_FINISHED, 1, 1)
    assert stock_of(table, main) == (1, 0) and stock_of(leg, main) == (6, 0)
    mo = mo_finish(company=company, mo=mo)
    assert (mo.status, mo.finished_quantity) == (MoStatus.FINISHED, 2)
    assert moves(log_of(table)) == [("TABLE", "mo_finished", 1, 1), ("TABLE", "mo_finished", 1, 1)]
    assert [r.quantity for r in log_of(leg, event_type="mo_finished")] == [-4, -4]
    verify_clean()


def test_finishing_without_enough_components_is_refused_naming_the_short_one(
    company, bom, make_mo, db_dump
):
    mo = make_mo(quantity=3)  # needs 12 legs (10 on hand) and 3 tops (2 on hand)
    before = db_dump()
    with pytest.raises(InsufficientStock) as err:
        mo_finish(company=company, mo=mo)
    assert "LEG needs 12, has 10" in err.value.message
    assert "TOP needs 3, has 2" in err.value.message
    assert err.value.field == "quantity"
    assert db_dump() == before


def test_a_component_short_only_in_the_mos_warehouse_is_refused(
    company, warehouses, bom, make_mo, db_dump
):
    from stockledger.ledger.services import stock_set

    main, east = warehouses
    _, leg, top = bom
    stock_set(company=company, product=leg, warehouse=east, physical_on_hand=100)
    stock_set(company=company, product=top, warehouse=east, physical_on_hand=1)
    mo = make_mo(quantity=2, warehouse=east)
    before = db_dump()
    with pytest.raises(InsufficientStock, match="in East .*TOP needs 2, has 1") as err:
        mo_finish(company=company, mo=mo)
    assert "LEG" not in err.value.message
    assert db_dump() == before


def test_finishing_past_the_mos_quantity_is_a_conflict_that_changes_nothing(
    company, bom, make_mo, db_dump
):
    mo = make_mo(quantity=2)
    mo_finish(company=company, mo=mo, quantity=1)
    before = db_dump()
    with pytest.raises(Conflict, match="1 of 2 left to make; cannot finish 2"):
        mo_finish(company=company, mo=mo, quantity=2)
    assert db_dump() == before
    mo_finish(company=company, mo=mo)
    before = db_dump()
    with pytest.raises(Conflict, match="already finished"):
        mo_finish(company=company, mo=mo)
    with pytest.raises(Conflict, match="already finished"):
        mo_finish(company=company, mo=mo, quantity=1)
    assert db_dump() == before


def test_a_non_positive_finish_quantity_is_invalid(company, bom, make_mo, db_dump):
    mo = make_mo(quantity=2)
    before = db_dump()
    for bad in (0, -1):
        with pytest.raises(InvalidInput) as err:
            mo_finish(company=company, mo=mo, quantity=bad)
        assert err.value.field == "quantity"
    assert db_dump() == before


def test_finishing_uses_the_bom_as_it_was_when_the_mo_was_created(
    company, warehouses, bom, make_mo, log_of, verify_clean
):
    from stockledger.catalog.models import BomLine

    main, _ = warehouses
    table, leg, top = bom
    mo = make_mo(quantity=1)
    BomLine.objects.filter(product=table, component=leg).update(quantity=1)
    mo_finish(company=company, mo=mo)
    assert [r.quantity for r in log_of(leg, event_type="mo_finished")] == [-4]
    verify_clean()


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"number": " "}, "number"),
        ({"number": "M" * 101}, "number"),
        ({"quantity": 0}, "quantity"),
        ({"quantity": 1_000_001}, "quantity"),
        ({"product": "LEG"}, "sku"),  # no bill of materials
        ({"product": "KIT"}, "sku"),
    ],
)
def test_invalid_mos_are_refused_naming_the_field(
    make_mo, product_factory, bom, db_dump, kwargs, field
):
    product_factory("KIT", components=[{"sku": "LEG", "quantity": 1}])
    if "product" in kwargs:
        from stockledger.catalog.models import Product

        kwargs["product"] = Product.objects.get(sku=kwargs["product"])
    before = db_dump()
    with pytest.raises(InvalidInput) as err:
        make_mo(**kwargs)
    assert err.value.field == field
    assert db_dump() == before


def test_an_mo_number_is_used_once_per_company(company_factory, make_mo, bom, db_dump):
    from stockledger.catalog.services import product_create
    from stockledger.manufacturing.services import mo_create
    from stockledger.warehouses.services import warehouse_create

    make_mo("MO-7")
    before = db_dump()
    with pytest.raises(InvalidInput, match="already exists") as err:
        make_mo("MO-7")
    assert err.value.field == "number"
    assert db_dump() == before

    other, _, _ = company_factory("Other")
    product_create(company=other, sku="P", name="P")
    made = product_create(company=other, sku="M", name="M", bom=[{"sku": "P", "quantity": 1}])
    wh = warehouse_create(company=other, name="W")
    mo = mo_create(company=other, number="MO-7", product=made, quantity=1, warehouse=wh)
    assert ManufacturingOrder.objects.filter(number="MO-7").count() == 2
    assert mo.company == other
