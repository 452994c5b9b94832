"""core.bulk_sql.insert_objects writes what bulk_create writes, ids in insertion order."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from stockledger.channels.services import channel_create
from stockledger.core.bulk_sql import insert_objects
from stockledger.orders.models import Order, OrderLine, OrderStatus


def _orders(company, user, warehouse, channel, prefix, count):
    placed = datetime(2026, 4, 1, 9, 30, 0, 123456, tzinfo=UTC)
    return [
        Order(
            company=company,
            channel=channel,
            order_number=f"{prefix}-{i}",
            placed_at=placed + timedelta(minutes=i),
            imported_at=placed + timedelta(hours=1),
            warehouse=warehouse,
            status=OrderStatus.OPEN if i % 2 else "partially_shipped",
            imported_by=user if i % 3 else None,
        )
        for i in range(count)
    ]


def _stored(orders):
    fields = ["company_id", "order_number"] + [
        f.attname
        for f in Order._meta.concrete_fields
        if f.attname not in ("id", "updated_at", "company_id", "order_number")
    ]
    by_id = {o.id: o for o in Order.objects.filter(id__in=[o.pk for o in orders])}
    return [tuple(getattr(by_id[o.pk], f) for f in fields) for o in orders]


def test_inserted_objects_read_back_as_bulk_created_ones_do(
    company, user, warehouses, product_factory
):
    channel = channel_create(company=company, cart_type="shopify", name="Shop")
    ours = insert_objects(Order, _orders(company, user, warehouses[0], channel, "A", 60))
    theirs = Order.objects.bulk_create(_orders(company, user, warehouses[0], channel, "B", 60))
    assert [o.pk for o in ours] == sorted(o.pk for o in ours)
    assert all(o._state.adding is False and o._state.db == "default" for o in ours)
    # Every column but the id, updated_at and the order number reads back the same.
    assert [r[:1] + r[2:] for r in _stored(ours)] == [r[:1] + r[2:] for r in _stored(theirs)]
    assert [r[1] for r in _stored(ours)] == [f"A-{i}" for i in range(60)]
    mine = {o.order_number: o for o in Order.objects.filter(order_number__startswith="A-")}
    for i, order in enumerate(ours):
        stored = mine[f"A-{i}"]
        assert stored.pk == order.pk and stored.updated_at is not None
        assert stored.placed_at == order.placed_at and stored.status == order.status
        assert stored.imported_by_id == (user.id if i % 3 else None)


def test_values_of_other_types_are_prepared_by_their_field(
    company, user, warehouses, product_factory
):
    channel = channel_create(company=company, cart_type="amazon", name="Amz")
    [order] = insert_objects(Order, _orders(company, user, warehouses[1], channel, "C", 1))
    widget = product_factory("INS-1")
    [line] = insert_objects(
        OrderLine,
        [OrderLine(order=order, position=Decimal("0"), product=widget, quantity="4")],
    )
    stored = OrderLine.objects.get(pk=line.pk)
    assert (stored.position, stored.quantity, stored.order_id) == (0, 4, order.pk)
