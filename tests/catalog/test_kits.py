"""The kit formula (catalog/kits.py): per warehouse, summed; the SQL twin equals the Python one."""

import pytest
from django.db import connection
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stockledger.catalog.kits import kit_in_warehouse, kit_totals
from stockledger.catalog.models import KitComponent, Product, ProductKind
from stockledger.catalog.selectors import quantities_for
from stockledger.channels.services import channel_create
from stockledger.channels.writeback import writeback_lines
from stockledger.ledger.facts import _quantities_sql
from stockledger.ledger.services import stock_set
from stockledger.warehouses.models import Stock, Warehouse

pytestmark = pytest.mark.django_db


def test_a_kit_is_counted_per_warehouse_never_from_components_pooled_across_warehouses():
    # 4 of A and 0 of B in Main, 0 of A and 12 of B in East: no warehouse can build one.
    stock = {(1, 10): (4, 0), (2, 20): (12, 0)}
    parts = [(1, 1), (2, 1)]
    physical, committed = kit_totals(parts, lambda c, w: stock.get((c, w), (0, 0)), [10, 20])
    assert (physical, physical - committed) == (0, 0)


def test_a_kit_never_counts_below_zero_and_names_its_limiting_component():
    kit = kit_in_warehouse([(1, 2), (2, 1)], {1: (9, 2), 2: (1, 5)}.get)
    assert (kit.physical_on_hand, kit.available_on_hand) == (1, 0)
    assert kit.limiting_component_id == 2
    assert kit_in_warehouse([], {}.get).available_on_hand == 0


def test_components_split_across_warehouses_give_the_per_warehouse_kit_figure_and_writeback(
    company, warehouses, product_factory
):
    main, east = warehouses
    mug = product_factory("MUG")
    spork = product_factory("SPORK")
    kit = product_factory(
        "KIT", components=[{"sku": "MUG", "quantity": 1}, {"sku": "SPORK", "quantity": 2}]
    )
    for product, warehouse, quantity in (
        (mug, main, 4),
        (spork, main, 2),
        (mug, east, 1),
        (spork, east, 12),
    ):
        stock_set(company=company, product=product, warehouse=warehouse, physical_on_hand=quantity)
    # Main: min(4/1, 2/2) = 1, limited by SPORK; East: min(1/1, 12/2) = 1, limited by MUG.
    quantities = quantities_for([kit])[kit.id]
    per_warehouse = {w.warehouse_name: w for w in quantities.warehouses}
    assert per_warehouse["Main"].available_on_hand == 1
    assert per_warehouse["Main"].limiting_sku == "SPORK"
    assert per_warehouse["East"].available_on_hand == 1
    assert per_warehouse["East"].limiting_sku == "MUG"
    assert quantities.available_on_hand == 2  # pooled, it would have said min(5, 7) = 5
    channel = channel_create(company=company, cart_type="shopify", name="Shop")
    [line] = writeback_lines(company=company, channel=channel, product_ids=[kit.id])
    assert line.quantity == 2
    assert "Main min(MUG 4/1, SPORK 2/2) = 1" in line.explanation


def test_the_product_page_shows_the_kit_per_warehouse_and_what_limits_it(
    company, warehouses, product_factory, client, user
):
    main, east = warehouses
    product_factory("MUG")
    product_factory("SPORK")
    kit = product_factory(
        "KIT", components=[{"sku": "MUG", "quantity": 1}, {"sku": "SPORK", "quantity": 1}]
    )
    stock_set(
        company=company,
        product=Product.objects.get(sku="MUG", company=company),
        warehouse=main,
        physical_on_hand=3,
    )
    client.force_login(user)
    html = client.get(reverse("web:product_detail", args=[kit.id])).content.decode()
    assert f'data-limiting="{main.id}">SPORK<' in html
    assert "Limited by" in html


def _sql_kit_totals(company, kit_id):
    with_sql, params = _quantities_sql(company, [kit_id])
    with connection.cursor() as cursor:
        cursor.execute(f"{with_sql} SELECT q.physical, q.committed FROM q", params)
        return tuple(cursor.fetchone())


quantity = st.integers(min_value=-20, max_value=60)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    per_kit=st.lists(st.integers(min_value=1, max_value=7), min_size=1, max_size=3),
    stock=st.lists(
        st.one_of(st.none(), st.tuples(quantity, st.integers(min_value=0, max_value=30))),
        min_size=9,
        max_size=9,
    ),
)
def test_the_sql_kit_formula_equals_the_python_one(company, warehouses, per_kit, stock):
    Stock.objects.filter(company=company).delete()
    KitComponent.objects.filter(kit__company=company).delete()
    Product.objects.filter(company=company, kind=ProductKind.KIT).delete()
    all_warehouses = list(Warehouse.objects.filter(company=company).order_by("id"))
    components = []
    for i in range(len(per_kit)):
        product, _ = Product.objects.get_or_create(
            company=company, sku=f"C{i}", defaults={"name": f"C{i}"}
        )
        components.append(product)
    kit = Product.objects.create(company=company, sku="K", name="K", kind=ProductKind.KIT)
    for product, qty in zip(components, per_kit, strict=True):
        KitComponent.objects.create(kit=kit, component=product, quantity=qty)
    held = {}
    cells = iter(stock)
    for product in components:
        for warehouse in all_warehouses:
            cell = next(cells)
            if cell is not None:
                # Rows straight in: the SQL reads only stock rows, whatever wrote them.
                Stock.objects.create(
                    company=company,
                    product=product,
                    warehouse=warehouse,
                    physical_on_hand=cell[0],
                    committed=cell[1],
                )
                held[(product.id, warehouse.id)] = cell
    parts = [(c.id, q) for c, q in zip(components, per_kit, strict=True)]
    expected = kit_totals(
        parts, lambda c, w: held.get((c, w), (0, 0)), [w.id for w in all_warehouses]
    )
    assert _sql_kit_totals(company, kit.id) == expected
