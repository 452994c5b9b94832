"""Importing orders: commitments, the order rows in the log, kits, idempotency."""

from datetime import datetime, timedelta, timezone

import pytest

from stockledger.core.errors import InvalidInput
from stockledger.orders.models import Order, OrderLine, OrderStatus

from .conftest import PLACED


def test_importing_an_order_commits_stock_and_logs_an_order_row_per_line(
    company, user, channel, warehouses, stocked, import_order, log_of, stock_of, verify_clean
):
    main, _ = warehouses
    a, b, _ = stocked
    order, created = import_order("1001", [("A", 2), ("B", 5)], user=user)

    assert created is True
    assert order.status == OrderStatus.OPEN
    assert order.placed_at == PLACED
    assert stock_of(a, main) == (10, 2)
    assert stock_of(b, main) == (20, 5)
    [row] = log_of(a, event_type="order")
    assert (row.quantity, row.physical_change, row.committed_change) == (2, 0, 2)
    assert (row.physical_on_hand, row.committed, row.available_on_hand) == (10, 2, 8)
    assert (row.event_id, row.order_step) == ("1001", "imported")
    assert row.created_at == PLACED
    assert row.imported_at == order.imported_at and row.imported_at > PLACED
    assert (row.cart_type, row.cart_id, row.cart_name) == ("shopify", channel.id, "Shop")
    assert (row.warehouse_name, row.warehouse_committed) == ("Main", 2)
    assert (row.document_type, row.document_id) == ("order", order.id)
    assert row.user_name == user.username and row.kit_sku == ""
    [row_b] = log_of(b, event_type="order")
    assert (row_b.quantity, row_b.committed_change, row_b.available_on_hand) == (5, 5, 15)
    verify_clean()


def test_placed_at_with_an_offset_is_stored_and_logged_in_utc(stocked, import_order, log_of):
    a, _, _ = stocked
    placed = datetime(2025, 3, 1, 10, 30, tzinfo=timezone(timedelta(hours=1)))
    order, _ = import_order("1002", placed_at=placed)
    assert order.placed_at == PLACED and order.placed_at.utcoffset() == timedelta(0)
    assert log_of(a, event_type="order")[0].created_at == PLACED


def test_an_order_for_stock_not_on_hand_commits_it_anyway_and_goes_oversold(
    company, warehouses, product_factory, import_order, log_of, stock_of, verify_clean
):
    _, east = warehouses
    c = product_factory("C")
    import_order("1003", [("C", 3)], warehouse=east)
    assert stock_of(c, east) == (0, 3)
    [row] = log_of(c)
    assert (row.physical_on_hand, row.committed, row.available_on_hand) == (0, 3, -3)
    assert row.went_negative is False
    verify_clean()


def test_a_kit_line_commits_its_components_and_shows_in_kit_and_component_logs(
    stocked, warehouses, import_order, log_of, stock_of, verify_clean
):
    main, _ = warehouses
    a, b, kit = stocked
    order, _ = import_order("K-1", [("KIT", 3)])

    assert stock_of(a, main) == (10, 3)
    assert stock_of(b, main) == (20, 6)
    assert stock_of(kit, main) == (0, 0)
    [kit_row] = log_of(kit)
    assert (kit_row.event_type, kit_row.quantity, kit_row.event_id) == ("order", 3, "K-1")
    assert (kit_row.physical_change, kit_row.committed_change) == (0, 0)
    assert kit_row.kit_sku == "" and kit_row.order_step == "imported"
    # The kit's quantities are derived after the commitment: A 7 / 1, B 14 / 2 -> 7 available.
    assert (kit_row.physical_on_hand, kit_row.available_on_hand) == (10, 7)
    [a_row] = log_of(a, event_type="order")
    [b_row] = log_of(b, event_type="order")
    assert (a_row.quantity, a_row.committed_change, a_row.kit_sku) == (3, 3, "KIT")
    assert (b_row.quantity, b_row.committed_change, b_row.kit_sku) == (6, 6, "KIT")
    assert a_row.event_id == b_row.event_id == "K-1"
    assert {a_row.document_id, b_row.document_id, kit_row.document_id} == {order.id}
    assert a_row.id < kit_row.id and b_row.id < kit_row.id
    line = order.lines.get()
    assert sorted((c.component.sku, c.quantity_per_kit) for c in line.components.all()) == [
        ("A", 1),
        ("B", 2),
    ]
    verify_clean()


def test_a_kit_and_one_of_its_components_on_the_same_order_commit_separately(
    stocked, warehouses, import_order, log_of, stock_of, verify_clean
):
    main, _ = warehouses
    a, _, _ = stocked
    import_order("K-2", [("KIT", 1), ("A", 4)])
    assert stock_of(a, main) == (10, 5)
    assert [(r.quantity, r.kit_sku) for r in log_of(a, event_type="order")] == [
        (1, "KIT"),
        (4, ""),
    ]
    verify_clean()


def test_importing_the_same_order_twice_logs_it_once(
    stocked, warehouses, import_order, log_of, stock_of, db_dump
):
    main, _ = warehouses
    a, _, _ = stocked
    first, created = import_order("2001", [("A", 2)])
    before = db_dump()
    again, created_again = import_order("2001", [("A", 2)])
    assert (created, created_again) == (True, False)
    assert again.pk == first.pk
    assert db_dump() == before
    assert stock_of(a, main) == (10, 2)
    assert len(log_of(a, event_type="order")) == 1


def test_a_reimport_with_a_different_body_is_a_duplicate_and_changes_nothing(
    stocked, warehouses, import_order, db_dump
):
    _, east = warehouses
    first, _ = import_order("2002", [("A", 2)])
    before = db_dump()
    again, created = import_order(
        "2002", [("B", 9), ("NO-SUCH-SKU", 1)], warehouse=east, placed_at=PLACED + timedelta(1)
    )
    assert created is False and again.pk == first.pk
    assert again.warehouse_id == first.warehouse_id
    assert db_dump() == before


def test_the_same_order_number_from_another_channel_is_another_order(
    company, stocked, import_order, log_of
):
    from stockledger.channels.services import channel_create

    amazon = channel_create(company=company, cart_type="amazon", name="Amazon")
    first, _ = import_order("3001")
    second, created = import_order("3001", channel=amazon)
    assert created is True and second.pk != first.pk
    assert [r.cart_name for r in log_of(stocked[0], event_type="order")] == ["Shop", "Amazon"]


def test_the_order_number_is_trimmed_before_matching_duplicates(stocked, import_order):
    first, _ = import_order("3002")
    again, created = import_order("  3002 ")
    assert created is False and again.pk == first.pk


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"lines": [("NOPE", 1)]}, "lines[0].sku"),
        ({"lines": [("A", 1), ("NOPE", 1)]}, "lines[1].sku"),
        ({"lines": [("A", 0)]}, "lines[0].quantity"),
        ({"lines": [("A", -2)]}, "lines[0].quantity"),
        ({"lines": [("A", 1), ("A", 2)]}, "lines[1].sku"),
        ({"lines": []}, "lines"),
        ({"number": "  "}, "order_number"),
        ({"number": "x" * 101}, "order_number"),
        ({"placed_at": datetime(2025, 3, 1, 9, 30)}, "placed_at"),
        ({"placed_at": "2025-03-01T09:30:00"}, "placed_at"),
        ({"placed_at": "yesterday"}, "placed_at"),
    ],
)
def test_invalid_orders_are_refused_naming_the_field_and_write_nothing(
    stocked, import_order, db_dump, kwargs, field
):
    before = db_dump()
    with pytest.raises(InvalidInput) as err:
        import_order(**kwargs)
    assert err.value.field == field
    assert db_dump() == before


def test_a_naive_placed_at_is_refused_with_a_message_asking_for_an_offset(stocked, import_order):
    with pytest.raises(InvalidInput, match="no UTC offset") as err:
        import_order(placed_at=datetime(2025, 3, 1, 9, 30))
    assert "+01:00" in err.value.message


def test_another_companys_channel_or_warehouse_is_refused(
    company_factory, stocked, import_order, db_dump
):
    from stockledger.channels.services import channel_create
    from stockledger.warehouses.services import warehouse_create

    other, _, _ = company_factory("Other")
    their_channel = channel_create(company=other, cart_type="etsy", name="Theirs")
    their_warehouse = warehouse_create(company=other, name="Theirs")
    before = db_dump()
    with pytest.raises(InvalidInput) as err:
        import_order(channel=their_channel)
    assert err.value.field == "channel_id"
    with pytest.raises(InvalidInput) as err:
        import_order(warehouse=their_warehouse)
    assert err.value.field == "warehouse_id"
    assert db_dump() == before


def test_order_lines_keep_the_order_they_were_given(stocked, import_order):
    order, _ = import_order("4001", [("B", 1), ("KIT", 1), ("A", 1)])
    assert [line.product.sku for line in order.lines.order_by("position")] == ["B", "KIT", "A"]
    assert Order.objects.count() == 1 and OrderLine.objects.count() == 3


def test_losing_the_insert_race_returns_the_winners_order_and_writes_nothing(
    monkeypatch, stocked, import_order, db_dump
):
    """Both duplicate checks miss (the winner had not committed yet): the unique index
    refuses the loser's order, its transaction rolls back, and it answers with the winner's."""
    from stockledger.orders import services

    winner, _ = import_order("RACE-2", [("A", 2)])
    before = db_dump()
    real_find = services.order_find
    calls = []

    def find_missing_twice(**kw):
        calls.append(kw["order_number"])
        return None if len(calls) <= 2 else real_find(**kw)

    monkeypatch.setattr(services, "order_find", find_missing_twice)
    loser, created = import_order("RACE-2", [("A", 2)])
    assert created is False and loser.pk == winner.pk
    assert calls == ["RACE-2"] * 3  # before, inside the transaction, after the refusal
    assert db_dump() == before
