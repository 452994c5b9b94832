"""Receive a PO, receive and restock an RMA, finish an MO, ship or cancel an order: each page
validates inline, shows the log rows the document caused, and belongs to one company."""

import re
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from stockledger.catalog.models import Product
from stockledger.channels.services import channel_create
from stockledger.ledger.services import stock_set
from stockledger.manufacturing.services import mo_create
from stockledger.orders.services import order_import
from stockledger.purchasing.services import purchase_order_create
from stockledger.returns.services import return_create

pytestmark = pytest.mark.django_db

PLACED = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)


def row_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr id="log-(\d+)"', html)]


@pytest.fixture
def mug(product_factory):
    return product_factory("MUG")


@pytest.fixture
def po(company, warehouses, mug, product_factory):
    product_factory("BOWL")
    return purchase_order_create(
        company=company,
        number="PO-1",
        warehouse=warehouses[0],
        lines=[{"sku": "MUG", "quantity": 10}, {"sku": "BOWL", "quantity": 4}],
    )


def test_receiving_a_po_adds_stock_and_shows_its_rows(
    signed_in, po, mug, warehouses, log_of, stock_of
):
    url = reverse("web:po_detail", args=[po.id])
    form = signed_in.get(url).content.decode()
    assert 'value="PO-1-R1"' in form  # a receipt number is suggested
    assert 'name="line-0-quantity" value="10"' in form  # outstanding quantities prefilled
    response = signed_in.post(
        url, {"number": "GR-1", "line-0-quantity": "6", "line-1-quantity": "0"}
    )
    assert response.status_code == 302
    assert stock_of(mug, warehouses[0]) == (6, 0)
    [row] = log_of(mug, event_type="po_received")
    assert (row.quantity, row.event_id) == (6, "PO-1")
    page = signed_in.get(url).content.decode()
    assert "Goods receipt GR-1 recorded" in page
    assert row_ids(page) == [row.id]
    assert "Partially received" in page


def test_a_receipt_number_used_twice_is_refused_next_to_it(signed_in, po, db_dump):
    url = reverse("web:po_detail", args=[po.id])
    signed_in.post(url, {"number": "GR-1", "line-0-quantity": "1"})
    before = db_dump()
    response = signed_in.post(url, {"number": "GR-1", "line-0-quantity": "1"})
    assert response.status_code == 422
    html = response.content.decode()
    assert "GR-1" in html.split('class="field-error"')[1].split("</span>")[0]
    assert db_dump() == before
    response = signed_in.post(url, {"number": "GR-2", "line-0-quantity": "-3"})
    assert response.status_code == 422
    assert "Enter 0 or more." in response.content.decode()


@pytest.fixture
def rma(company, warehouses, mug):
    rma, _ = return_create(
        company=company,
        number="RMA-1",
        warehouse=warehouses[0],
        lines=[{"sku": "MUG", "expected_quantity": 3}],
    )
    return rma


def test_receiving_an_rma_restocks_and_shows_its_rows(
    signed_in, rma, mug, warehouses, log_of, stock_of
):
    url = reverse("web:return_detail", args=[rma.id])
    response = signed_in.post(
        url, {"line-0-received_quantity": "3", "line-0-restocked_quantity": "2"}
    )
    assert response.status_code == 302
    assert stock_of(mug, warehouses[0]) == (2, 0)
    rows = log_of(mug, event_type="return_order")
    received = rows[-1]
    assert (received.received_quantity, received.restocked_quantity) == (3, 2)
    page = signed_in.get(url).content.decode()
    assert row_ids(page) == [r.id for r in rows]
    assert "Receipt recorded" in page


def test_restocking_more_than_received_is_refused_on_that_field(signed_in, rma, log_of, mug):
    url = reverse("web:return_detail", args=[rma.id])
    response = signed_in.post(
        url, {"line-0-received_quantity": "1", "line-0-restocked_quantity": "2"}
    )
    assert response.status_code == 422
    html = response.content.decode()
    field = html.split('name="line-0-restocked_quantity"')[1].split("</label>")[0]
    assert "restocked cannot exceed received" in field
    assert len(log_of(mug, event_type="return_order")) == 1  # only the opening row


@pytest.fixture
def mo(company, warehouses, product_factory):
    leg = product_factory("LEG")
    product_factory("TOP")
    product_factory("TABLE", bom=[{"sku": "LEG", "quantity": 4}, {"sku": "TOP", "quantity": 1}])
    top = Product.objects.get(company=company, sku="TOP")
    table = Product.objects.get(company=company, sku="TABLE")
    stock_set(company=company, product=leg, warehouse=warehouses[0], physical_on_hand=10)
    stock_set(company=company, product=top, warehouse=warehouses[0], physical_on_hand=5)
    return mo_create(
        company=company, number="MO-1", product=table, quantity=3, warehouse=warehouses[0]
    )


def test_finishing_an_mo_makes_the_product_and_shows_its_rows(signed_in, mo, log_of):
    url = reverse("web:mo_detail", args=[mo.id])
    page = signed_in.get(url).content.decode()
    assert "short" in page  # 10 legs make 2 tables, not 3
    response = signed_in.post(url, {"quantity": "2"})
    assert response.status_code == 302
    rows = log_of(mo.product, event_type="mo_finished")
    assert [r.quantity for r in rows] == [2]
    page = signed_in.get(url).content.decode()
    assert rows[0].id in row_ids(page)
    assert len(row_ids(page)) == 3  # the table and its two components


def test_finishing_more_than_the_components_allow_is_refused_inline(signed_in, mo, log_of):
    response = signed_in.post(reverse("web:mo_detail", args=[mo.id]), {"quantity": "3"})
    assert response.status_code == 422
    assert "LEG" in response.content.decode().split('role="alert"')[1]
    assert log_of(mo.product) == []


@pytest.fixture
def order(company, warehouses, mug):
    stock_set(company=company, product=mug, warehouse=warehouses[0], physical_on_hand=5)
    channel = channel_create(company=company, cart_type="shopify", name="Shop")
    order, _ = order_import(
        company=company,
        channel=channel,
        order_number="#1001",
        placed_at=PLACED,
        warehouse=warehouses[0],
        lines=[{"sku": "MUG", "quantity": 2}],
    )
    return order


def test_an_order_page_ships_and_shows_its_rows(
    signed_in, order, mug, warehouses, stock_of, log_of
):
    url = reverse("web:order_detail", args=[order.id])
    assert row_ids(signed_in.get(url).content.decode()) == [log_of(mug, event_type="order")[0].id]
    response = signed_in.post(reverse("web:order_action", args=[order.id, "ship"]))
    assert response.status_code == 302
    assert stock_of(mug, warehouses[0]) == (3, 0)
    page = signed_in.get(url).content.decode()
    assert len(row_ids(page)) == 2
    assert "Order #1001 shipped" in page
    again = signed_in.post(reverse("web:order_action", args=[order.id, "cancel"]), follow=True)
    assert 'class="flash error"' in again.content.decode()


def test_order_list_filters_by_status(signed_in, order):
    url = reverse("web:order_list")
    assert "#1001" in signed_in.get(url, {"status": "open"}).content.decode()
    assert "#1001" not in signed_in.get(url, {"status": "shipped"}).content.decode()


@pytest.mark.parametrize(
    "name, fixture",
    [
        ("web:po_detail", "po"),
        ("web:return_detail", "rma"),
        ("web:mo_detail", "mo"),
        ("web:order_detail", "order"),
    ],
)
def test_another_companys_documents_are_404(request, other_signed_in, signed_in, name, fixture):
    document = request.getfixturevalue(fixture)
    url = reverse(name, args=[document.id])
    assert signed_in.get(url).status_code == 200
    assert other_signed_in.get(url).status_code == 404
    # A page that takes no POST answers 405 to everyone before looking at the id (nothing
    # about the other company's document shows); one that does answers 404.
    assert other_signed_in.post(url, {"number": "X", "quantity": "1"}).status_code in (404, 405)


def test_another_companys_order_cannot_be_shipped(other_signed_in, order, log_of, mug):
    response = other_signed_in.post(reverse("web:order_action", args=[order.id, "ship"]))
    assert response.status_code == 404
    assert len(log_of(mug, event_type="order")) == 1


def test_every_list_page_opens(signed_in, po, rma, mo, order):
    for name in [
        "web:order_list",
        "web:po_list",
        "web:transfer_list",
        "web:return_list",
        "web:mo_list",
    ]:
        response = signed_in.get(reverse(name))
        assert response.status_code == 200, name
    assert "PO-1" in signed_in.get(reverse("web:po_list")).content.decode()
    assert "RMA-1" in signed_in.get(reverse("web:return_list")).content.decode()
    assert "MO-1" in signed_in.get(reverse("web:mo_list")).content.decode()
