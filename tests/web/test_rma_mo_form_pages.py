"""RMAs opened in the pages (by hand or from an order) and manufacturing orders started in the
pages with the "do the components suffice?" table."""

import pytest
from django.urls import reverse

from stockledger.ledger.services import stock_set
from stockledger.manufacturing.models import ManufacturingOrder
from stockledger.orders.manual import order_enter
from stockledger.orders.services import order_ship
from stockledger.returns.models import ReturnOrder

pytestmark = pytest.mark.django_db


@pytest.fixture
def stocked(company, warehouses, product_factory):
    main, east = warehouses
    mug = product_factory("MUG")
    bowl = product_factory("BOWL")
    stock_set(company=company, product=mug, warehouse=east, physical_on_hand=10)
    stock_set(company=company, product=bowl, warehouse=east, physical_on_hand=10)
    return main, east, mug, bowl


def form_data(fields, rows):
    data = dict(fields)
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"line-{i}-{key}"] = value
    return data


def line_html(html, index):
    return html.split(f'data-line="{index}"')[1].split("data-line=")[0]


# --- RMAs ----------------------------------------------------------------------------------


def test_an_rma_from_an_order_is_prefilled_with_what_shipped_and_logs_expected_rows(
    signed_in, stocked, company, user, log_of
):
    _, east, mug, bowl = stocked
    order = order_enter(
        company=company,
        warehouse=east,
        lines=[{"sku": "MUG", "quantity": 3}, {"sku": "BOWL", "quantity": 2}],
        order_number="PHONE-9",
    )
    order_ship(company=company, order=order, lines=[{"sku": "MUG", "quantity": 2}])
    detail = signed_in.get(reverse("web:order_detail", args=[order.id])).content.decode()
    assert f"{reverse('web:return_new')}?order={order.id}" in detail
    page = signed_in.get(reverse("web:return_new"), {"order": order.id}).content.decode()
    assert 'value="RMA-PHONE-9"' in page
    assert f'<option value="{east.id}" selected>' in page
    assert 'name="line-0-sku" value="MUG"' in page
    assert 'name="line-0-expected_quantity" value="2"' in page  # shipped, not ordered
    assert 'name="line-1-sku" value=""' in page  # BOWL did not ship
    response = signed_in.post(
        reverse("web:return_new"),
        form_data(
            {"number": "RMA-PHONE-9", "warehouse": east.id, "order": order.id},
            [{"sku": "MUG", "expected_quantity": "2"}],
        ),
    )
    assert response.status_code == 302
    rma = ReturnOrder.objects.get(number="RMA-PHONE-9")
    assert (rma.order, rma.warehouse, rma.created_by) == (order, east, user)
    row = log_of(mug, event_type="return_order")[0]
    assert (row.expected_quantity, row.quantity, row.event_id) == (2, None, "RMA-PHONE-9")
    page = signed_in.get(response["Location"]).content.decode()
    assert "RMA RMA-PHONE-9 opened" in page
    assert reverse("web:order_detail", args=[order.id]) in page


def test_an_rma_by_hand_has_a_suggested_number_and_bad_lines_show_on_their_line(
    signed_in, stocked, db_dump
):
    main, *_ = stocked
    assert 'value="RMA-000001"' in signed_in.get(reverse("web:return_new")).content.decode()
    before = db_dump()
    response = signed_in.post(
        reverse("web:return_new"),
        form_data(
            {"number": "RMA-1", "warehouse": main.id},
            [{"sku": "MUG", "expected_quantity": "1"}, {"sku": "NOPE", "expected_quantity": "1"}],
        ),
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "unknown SKU" in line_html(html, 1) and "field-error" not in line_html(html, 0)
    response = signed_in.post(
        reverse("web:return_new"),
        form_data({"number": "", "warehouse": main.id}, [{"sku": "MUG", "expected_quantity": "0"}]),
    )
    html = response.content.decode()
    assert "This field is required." in html.split('name="number"')[1].split("</label>")[0]
    assert "Enter 1 or more." in line_html(html, 0)
    assert db_dump() == before


def test_an_rma_from_another_companys_order_is_404(signed_in, other_api, db_dump):
    from stockledger.catalog.services import product_create
    from stockledger.warehouses.services import warehouse_create

    theirs = warehouse_create(company=other_api.company, name="Theirs")
    product_create(company=other_api.company, sku="THEIRS", name="x")
    order = order_enter(
        company=other_api.company, warehouse=theirs, lines=[{"sku": "THEIRS", "quantity": 1}]
    )
    before = db_dump()
    assert signed_in.get(reverse("web:return_new"), {"order": order.id}).status_code == 404
    forged = form_data(
        {"number": "RMA-X", "warehouse": theirs.id, "order": order.id},
        [{"sku": "THEIRS", "expected_quantity": "1"}],
    )
    assert signed_in.post(reverse("web:return_new"), forged).status_code == 404
    assert db_dump() == before


# --- manufacturing orders ------------------------------------------------------------------


@pytest.fixture
def table(company, stocked, product_factory):
    main, east, mug, bowl = stocked
    leg = product_factory("LEG")
    top = product_factory("TOP")
    stock_set(company=company, product=leg, warehouse=main, physical_on_hand=10)
    stock_set(company=company, product=top, warehouse=main, physical_on_hand=5)
    product = product_factory(
        "TABLE", bom=[{"sku": "LEG", "quantity": 4}, {"sku": "TOP", "quantity": 1}]
    )
    return main, product, leg, top


def check_html(client, **values):
    return client.get(reverse("web:mo_new_check"), values).content.decode()


def test_the_components_check_says_what_is_short_as_the_form_is_filled(signed_in, table):
    main, _, leg, _ = table
    assert "Type the SKU" in check_html(signed_in)
    assert "No product has the SKU" in check_html(signed_in, sku="NOPE")
    assert "has no bill of materials" in check_html(signed_in, sku="MUG", quantity=1)
    assert "Choose the warehouse" in check_html(signed_in, sku="TABLE", quantity=1)
    html = check_html(signed_in, sku="TABLE", quantity="2", warehouse=main.id)
    assert "The components suffice to make 2 × TABLE in Main" in html
    html = check_html(signed_in, sku="TABLE", quantity="3", warehouse=main.id)
    assert "Not enough components in Main" in html
    leg_row = html.split(f'href="{reverse("web:product_detail", args=[leg.id])}"')[1].split(
        "</tr>"
    )[0]
    # needed 12, physical 10, available 10, short by 2
    assert [c.split(">")[-1] for c in leg_row.split("</td>")[1:5]] == ["4", "12", "10", "10"]
    assert "short 2" in leg_row


def test_starting_an_mo_in_the_pages_shows_the_same_table_after_submit(
    signed_in, table, user, log_of
):
    main, product, leg, _ = table
    page = signed_in.get(reverse("web:mo_new"), {"sku": "TABLE"}).content.decode()
    assert 'value="MO-000001"' in page and "for=manufactured" in page
    response = signed_in.post(
        reverse("web:mo_new"),
        {"number": "MO-1", "sku": "TABLE", "quantity": "3", "warehouse": main.id},
    )
    assert response.status_code == 302
    mo = ManufacturingOrder.objects.get(number="MO-1")
    assert (mo.product, mo.quantity, mo.warehouse, mo.created_by) == (product, 3, main, user)
    assert log_of(leg, event_type="mo_finished") == []
    page = signed_in.get(response["Location"]).content.decode()
    assert "MO MO-1 started" in page
    assert "Not enough components in Main to make 3 × TABLE" in page and "short 2" in page


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"sku": "NOPE"}, "sku", "unknown SKU"),
        ({"sku": "MUG"}, "sku", "has no bill of materials"),
        ({"quantity": "0"}, "quantity", "greater than or equal to 1"),
        ({"quantity": "x"}, "quantity", "Enter a whole number."),
        ({"warehouse": ""}, "warehouse", "This field is required."),
        ({"number": ""}, "number", "This field is required."),
    ],
)
def test_bad_mo_fields_are_shown_next_to_them_and_nothing_is_written(
    signed_in, table, db_dump, change, field, message
):
    main, *_ = table
    before = db_dump()
    data = {"number": "MO-1", "sku": "TABLE", "quantity": "1", "warehouse": main.id} | change
    response = signed_in.post(reverse("web:mo_new"), data)
    assert response.status_code == 422
    html = response.content.decode()
    assert message in html.split(f'name="{field}"')[1].split("</label>")[0]
    assert db_dump() == before


def test_another_companys_product_and_warehouse_are_unknown_to_the_mo_form(
    signed_in, table, other_api, db_dump
):
    from stockledger.catalog.services import product_create
    from stockledger.warehouses.services import warehouse_create

    theirs = warehouse_create(company=other_api.company, name="Theirs")
    product_create(company=other_api.company, sku="PART", name="x")
    product_create(
        company=other_api.company, sku="THING", name="x", bom=[{"sku": "PART", "quantity": 1}]
    )
    main, *_ = table
    assert "No product has the SKU" in check_html(
        signed_in, sku="THING", quantity=1, warehouse=main.id
    )
    assert "Choose the warehouse" in check_html(
        signed_in, sku="TABLE", quantity=1, warehouse=theirs.id
    )
    before = db_dump()
    r = signed_in.post(
        reverse("web:mo_new"),
        {"number": "MO-1", "sku": "THING", "quantity": "1", "warehouse": theirs.id},
    )
    assert r.status_code == 422
    assert db_dump() == before
