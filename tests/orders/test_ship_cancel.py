"""Shipping and cancelling orders: physical and committed, the order rows, the refusals."""

from datetime import UTC, datetime

import pytest

from stockledger.core.errors import Conflict, InvalidInput
from stockledger.orders.models import OrderStatus
from stockledger.orders.services import order_cancel, order_ship


def steps(rows):
    return [(r.order_step, r.quantity, r.physical_change, r.committed_change) for r in rows]


def test_shipping_a_whole_order_takes_physical_and_releases_the_commitment(
    company, user, warehouses, stocked, import_order, log_of, stock_of, verify_clean
):
    main, _ = warehouses
    a, b, _ = stocked
    order, _ = import_order("S-1", [("A", 2), ("B", 5)])
    order = order_ship(company=company, order=order, user=user)

    assert order.status == OrderStatus.SHIPPED
    assert stock_of(a, main) == (8, 0)
    assert stock_of(b, main) == (15, 0)
    assert steps(log_of(a, event_type="order")) == [
        ("imported", 2, 0, 2),
        ("shipped", 2, -2, -2),
    ]
    shipped = log_of(a, event_type="order")[1]
    assert (shipped.physical_on_hand, shipped.committed, shipped.available_on_hand) == (8, 0, 8)
    assert shipped.event_id == "S-1" and shipped.imported_at == order.imported_at
    assert shipped.created_at >= shipped.imported_at  # shipped now, after the import
    assert (shipped.cart_name, shipped.user_name) == ("Shop", user.username)
    assert (shipped.document_type, shipped.document_id) == ("order", order.id)
    assert [line.shipped for line in order.lines.order_by("position")] == [2, 5]
    verify_clean()


def test_shipping_some_lines_leaves_the_order_partially_shipped(
    company, warehouses, stocked, import_order, log_of, stock_of, verify_clean
):
    main, _ = warehouses
    a, b, _ = stocked
    order, _ = import_order("S-2", [("A", 4), ("B", 5)])
    order = order_ship(company=company, order=order, lines=[{"sku": "A", "quantity": 1}])
    assert order.status == OrderStatus.PARTIALLY_SHIPPED
    assert stock_of(a, main) == (9, 3)
    assert stock_of(b, main) == (20, 5)
    assert steps(log_of(b, event_type="order")) == [("imported", 5, 0, 5)]

    order = order_ship(company=company, order=order)  # the rest
    assert order.status == OrderStatus.SHIPPED
    assert steps(log_of(a, event_type="order"))[1:] == [
        ("shipped", 1, -1, -1),
        ("shipped", 3, -3, -3),
    ]
    assert stock_of(a, main) == (6, 0) and stock_of(b, main) == (15, 0)
    verify_clean()


def test_shipping_more_than_is_on_hand_goes_negative_and_marks_the_row(
    company, warehouses, product_factory, import_order, log_of, stock_of, verify_clean
):
    main, _ = warehouses
    c = product_factory("C")
    order, _ = import_order("S-3", [("C", 2)])
    order_ship(company=company, order=order)
    assert stock_of(c, main) == (-2, 0)
    imported, shipped = log_of(c)
    assert imported.went_negative is False
    assert shipped.went_negative is True
    assert (shipped.physical_on_hand, shipped.available_on_hand) == (-2, -2)
    verify_clean()


def test_shipping_a_kit_takes_its_components_by_the_kit_ratio(
    company, warehouses, stocked, import_order, log_of, stock_of, verify_clean
):
    main, _ = warehouses
    a, b, kit = stocked
    order, _ = import_order("SK-1", [("KIT", 3)])
    order_ship(company=company, order=order, lines=[{"sku": "KIT", "quantity": 2}])

    assert stock_of(a, main) == (8, 1)
    assert stock_of(b, main) == (16, 2)
    assert steps(log_of(kit)) == [("imported", 3, 0, 0), ("shipped", 2, 0, 0)]
    assert steps(log_of(a, event_type="order")) == [("imported", 3, 0, 3), ("shipped", 2, -2, -2)]
    assert steps(log_of(b, event_type="order")) == [("imported", 6, 0, 6), ("shipped", 4, -4, -4)]
    assert {r.kit_sku for r in log_of(b, event_type="order")} == {"KIT"}
    kit_shipped = log_of(kit)[1]
    # A: 8 physical, 7 available; B: 16 physical, 14 available (2 per kit) -> kit 8 / 7.
    assert (kit_shipped.physical_on_hand, kit_shipped.available_on_hand) == (8, 7)
    verify_clean()


def test_cancelling_releases_what_is_not_shipped(
    company, user, warehouses, stocked, import_order, log_of, stock_of, verify_clean
):
    main, _ = warehouses
    a, b, kit = stocked
    order, _ = import_order("C-1", [("A", 4), ("KIT", 2)])
    order_ship(company=company, order=order, lines=[{"sku": "A", "quantity": 1}])
    order = order_cancel(company=company, order=order, user=user)

    # Something shipped and nothing remains: the order is closed as shipped.
    assert order.status == OrderStatus.SHIPPED
    assert stock_of(a, main) == (9, 0)
    assert stock_of(b, main) == (20, 0)
    assert steps(log_of(a, event_type="order")) == [
        ("imported", 4, 0, 4),
        ("imported", 2, 0, 2),
        ("shipped", 1, -1, -1),
        ("cancelled", 3, 0, -3),
        ("cancelled", 2, 0, -2),
    ]
    assert steps(log_of(kit)) == [("imported", 2, 0, 0), ("cancelled", 2, 0, 0)]
    lines = {line.product.sku: line for line in order.lines.all()}
    assert (lines["A"].shipped, lines["A"].cancelled, lines["KIT"].cancelled) == (1, 3, 2)
    verify_clean()


def test_cancelling_an_unshipped_order_marks_it_cancelled(
    company, warehouses, stocked, import_order, log_of, stock_of
):
    main, _ = warehouses
    a, _, _ = stocked
    order, _ = import_order("C-2", [("A", 2)])
    order = order_cancel(company=company, order=order)
    assert order.status == OrderStatus.CANCELLED
    assert stock_of(a, main) == (10, 0)
    assert steps(log_of(a, event_type="order"))[-1] == ("cancelled", 2, 0, -2)


def test_cancelling_some_lines_keeps_the_order_open(
    company, warehouses, stocked, import_order, log_of, stock_of
):
    main, _ = warehouses
    a, b, _ = stocked
    order, _ = import_order("C-3", [("A", 2), ("B", 3)])
    order = order_cancel(company=company, order=order, lines=[{"sku": "B", "quantity": 3}])
    assert order.status == OrderStatus.OPEN
    assert stock_of(b, main) == (20, 0) and stock_of(a, main) == (10, 2)
    order = order_ship(company=company, order=order)
    assert order.status == OrderStatus.SHIPPED
    assert steps(log_of(b, event_type="order")) == [("imported", 3, 0, 3), ("cancelled", 3, 0, -3)]


def test_shipped_at_and_cancelled_at_become_the_rows_created_at(
    company, stocked, import_order, log_of
):
    a, _, _ = stocked
    at = datetime(2025, 3, 2, 12, 0, tzinfo=UTC)
    order, _ = import_order("T-1", [("A", 2)])
    order_ship(company=company, order=order, lines=[{"sku": "A", "quantity": 1}], shipped_at=at)
    order_cancel(company=company, order=order, cancelled_at="2025-03-03T00:00:00+00:00")
    rows = log_of(a, event_type="order")
    assert [r.created_at for r in rows[1:]] == [at, datetime(2025, 3, 3, tzinfo=UTC)]


def _refused(exc_type, db_dump, fn, **kwargs):
    before = db_dump()
    with pytest.raises(exc_type) as err:
        fn(**kwargs)
    assert db_dump() == before
    return err.value


def test_shipping_a_cancelled_order_is_a_conflict_that_changes_nothing(
    company, stocked, import_order, db_dump
):
    order, _ = import_order("R-1", [("A", 2)])
    order_cancel(company=company, order=order)
    err = _refused(Conflict, db_dump, order_ship, company=company, order=order)
    assert "cancelled" in err.message
    lines = [{"sku": "A", "quantity": 1}]
    _refused(Conflict, db_dump, order_ship, company=company, order=order, lines=lines)


def test_shipping_more_than_remains_is_a_conflict_that_changes_nothing(
    company, stocked, import_order, db_dump
):
    order, _ = import_order("R-2", [("A", 2), ("B", 2)])
    order_ship(company=company, order=order, lines=[{"sku": "A", "quantity": 1}])
    lines = [{"sku": "B", "quantity": 1}, {"sku": "A", "quantity": 2}]
    err = _refused(Conflict, db_dump, order_ship, company=company, order=order, lines=lines)
    assert err.field == "lines[1].quantity"
    assert "1 of A left to ship" in err.message


def test_shipping_or_cancelling_a_shipped_order_is_a_conflict(
    company, stocked, import_order, db_dump
):
    order, _ = import_order("R-3", [("A", 2)])
    order_ship(company=company, order=order)
    assert (
        "already shipped"
        in _refused(Conflict, db_dump, order_ship, company=company, order=order).message
    )
    assert (
        "is shipped"
        in _refused(Conflict, db_dump, order_cancel, company=company, order=order).message
    )


def test_cancelling_a_cancelled_order_is_a_conflict(company, stocked, import_order, db_dump):
    order, _ = import_order("R-4", [("A", 2)])
    order_cancel(company=company, order=order)
    _refused(Conflict, db_dump, order_cancel, company=company, order=order)


@pytest.mark.parametrize(
    "lines, field",
    [
        ([{"sku": "B", "quantity": 1}], "lines[0].sku"),  # not on the order
        ([{"sku": "NOPE", "quantity": 1}], "lines[0].sku"),
        ([{"sku": "A", "quantity": 0}], "lines[0].quantity"),
        ([{"sku": "A", "quantity": 1}, {"sku": "A", "quantity": 1}], "lines[1].sku"),
        ([], "lines"),
    ],
)
def test_invalid_ship_lines_are_refused_naming_the_field(
    company, stocked, import_order, db_dump, lines, field
):
    order, _ = import_order("R-5", [("A", 2)])
    for fn in (order_ship, order_cancel):
        err = _refused(InvalidInput, db_dump, fn, company=company, order=order, lines=lines)
        assert err.field == field


def test_a_shipment_refused_by_a_later_line_leaves_the_earlier_lines_unshipped(
    company, warehouses, stocked, import_order, stock_of, log_of
):
    main, _ = warehouses
    a, _, _ = stocked
    order, _ = import_order("R-6", [("A", 2), ("B", 2)])
    with pytest.raises(Conflict):
        order_ship(
            company=company,
            order=order,
            lines=[{"sku": "A", "quantity": 2}, {"sku": "B", "quantity": 3}],
        )
    assert stock_of(a, main) == (10, 2)
    assert len(log_of(a, event_type="order")) == 1
    assert order.lines.get(product=a).shipped == 0
