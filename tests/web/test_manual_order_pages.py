"""Manual orders (phone, market stall): entered in the pages on the Manual channel, they commit
stock and log `order` rows like an imported order, then ship or cancel from their page."""

import pytest
from django.urls import reverse

from stockledger.channels.models import CartType, SalesChannel
from stockledger.channels.services import channel_create
from stockledger.ledger.services import stock_set
from stockledger.orders.manual import order_enter
from stockledger.orders.models import Order

pytestmark = pytest.mark.django_db


@pytest.fixture
def stocked(company, warehouses, product_factory):
    main, east = warehouses
    mug = product_factory("MUG")
    bowl = product_factory("BOWL")
    product_factory(
        "SET", components=[{"sku": "MUG", "quantity": 2}, {"sku": "BOWL", "quantity": 1}]
    )
    stock_set(company=company, product=mug, warehouse=main, physical_on_hand=10)
    stock_set(company=company, product=bowl, warehouse=main, physical_on_hand=5)
    return main, east, mug, bowl


def form_data(warehouse, rows, number=""):
    data = {"order_number": number, "warehouse": warehouse.id if warehouse else ""}
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"line-{i}-{key}"] = value
    return data


def test_a_manual_order_commits_stock_and_logs_order_rows_on_the_manual_channel(
    signed_in, stocked, stock_of, log_of, user, verify_clean
):
    main, _, mug, bowl = stocked
    assert not SalesChannel.objects.filter(company=user.company).exists()
    page = signed_in.get(reverse("web:order_new")).content.decode()
    assert 'placeholder="M-000001"' in page
    response = signed_in.post(
        reverse("web:order_new"),
        form_data(main, [{"sku": "MUG", "quantity": "3"}, {"sku": "SET", "quantity": "1"}]),
    )
    assert response.status_code == 302, response.content.decode()
    channel = SalesChannel.objects.get(company=user.company)
    assert (channel.name, channel.cart_type, channel.adapter) == ("Manual", "manual", "manual")
    order = Order.objects.get(channel=channel)
    assert order.order_number == "M-000001" and order.imported_by == user
    assert stock_of(mug, main) == (10, 5)  # 3 + 2 per set
    assert stock_of(bowl, main) == (5, 1)
    rows = log_of(mug)
    assert [(r.event_type, r.order_step, r.quantity, r.kit_sku) for r in rows[1:]] == [
        ("order", "imported", 3, ""),
        ("order", "imported", 2, "SET"),
    ]
    assert (rows[1].cart_type, rows[1].cart_name, rows[1].cart_id) == (
        "manual",
        "Manual",
        channel.id,
    )
    assert (rows[1].event_id, rows[1].user_name) == ("M-000001", user.username)
    detail = signed_in.get(response["Location"]).content.decode()
    assert "Order M-000001 entered" in detail and "Ship what remains" in detail

    # Shipping it from its page takes the stock, like an imported order.
    signed_in.post(reverse("web:order_action", args=[order.id, "ship"]))
    assert stock_of(mug, main) == (5, 0)
    assert log_of(mug)[-1].order_step == "shipped"
    # The next order reuses the channel and takes the next number.
    signed_in.post(reverse("web:order_new"), form_data(main, [{"sku": "BOWL", "quantity": "1"}]))
    assert SalesChannel.objects.filter(company=user.company).count() == 1
    assert Order.objects.order_by("-id").first().order_number == "M-000002"
    verify_clean()


def test_a_typed_number_is_used_and_a_number_already_entered_is_refused(
    signed_in, stocked, db_dump
):
    main, *_ = stocked
    r = signed_in.post(
        reverse("web:order_new"), form_data(main, [{"sku": "MUG", "quantity": "1"}], "PHONE-1")
    )
    assert r.status_code == 302
    assert Order.objects.get().order_number == "PHONE-1"
    before = db_dump()
    r = signed_in.post(
        reverse("web:order_new"), form_data(main, [{"sku": "MUG", "quantity": "1"}], "PHONE-1")
    )
    assert r.status_code == 422
    label = r.content.decode().split('name="order_number"')[1].split("</label>")[0]
    assert "already exists on the Manual channel" in label
    assert db_dump() == before


def test_an_existing_channel_named_manual_of_another_type_is_left_alone(company, stocked):
    main, *_ = stocked
    shop = channel_create(company=company, cart_type="shopify", name="Manual")
    order = order_enter(company=company, warehouse=main, lines=[{"sku": "MUG", "quantity": 1}])
    assert order.channel != shop
    assert (order.channel.name, order.channel.cart_type) == ("Manual orders", CartType.MANUAL)


def line_html(html, index):
    return html.split(f'data-line="{index}"')[1].split("data-line=")[0]


@pytest.mark.parametrize(
    "rows, bad_line, message",
    [
        ([{"sku": "NOPE", "quantity": "1"}], 0, "unknown SKU"),
        ([{"sku": "MUG", "quantity": "1"}, {"sku": "MUG", "quantity": "1"}], 1, "listed twice"),
        ([{"sku": "MUG", "quantity": "-1"}], 0, "Enter 1 or more."),
        ([{"sku": "MUG", "quantity": "2000000"}], 0, "at most 1,000,000"),
    ],
)
def test_a_bad_line_is_shown_on_its_line_and_nothing_is_written_not_even_the_channel(
    signed_in, stocked, db_dump, rows, bad_line, message
):
    main, *_ = stocked
    before = db_dump()
    response = signed_in.post(reverse("web:order_new"), form_data(main, rows))
    assert response.status_code == 422
    assert message in line_html(response.content.decode(), bad_line)
    assert db_dump() == before


def test_a_missing_warehouse_or_another_companys_is_shown_on_the_field(
    signed_in, stocked, other_api, db_dump
):
    from stockledger.warehouses.services import warehouse_create

    theirs = warehouse_create(company=other_api.company, name="Theirs")
    before = db_dump()
    for warehouse, message in [
        (None, "This field is required."),
        (theirs, "Select a valid choice"),
    ]:
        r = signed_in.post(
            reverse("web:order_new"), form_data(warehouse, [{"sku": "MUG", "quantity": "1"}])
        )
        assert r.status_code == 422
        assert message in r.content.decode().split('name="warehouse"')[1].split("</label>")[0]
    r = signed_in.post(reverse("web:order_new"), form_data(stocked[0], []))
    assert "Fill in at least one line." in r.content.decode()
    assert db_dump() == before


def test_another_companys_manual_order_is_404(signed_in, other_signed_in, stocked, company):
    main, *_ = stocked
    order = order_enter(company=company, warehouse=main, lines=[{"sku": "MUG", "quantity": 1}])
    assert other_signed_in.get(reverse("web:order_detail", args=[order.id])).status_code == 404
    assert (
        other_signed_in.post(reverse("web:order_action", args=[order.id, "ship"])).status_code
        == 404
    )
    assert order.order_number not in other_signed_in.get(reverse("web:order_list")).content.decode()


def test_api_enters_a_manual_order_and_opens_an_rma_from_it(api, other_api, stocked, log_of):
    main, _, mug, _ = stocked
    r = api.post(
        "/orders/manual", {"warehouse_id": main.id, "lines": [{"sku": "MUG", "quantity": 2}]}
    )
    assert r.status_code == 201, r.content
    order = r.json()
    assert (order["order_number"], order["cart_type"], order["channel_name"]) == (
        "M-000001",
        "manual",
        "Manual",
    )
    assert log_of(mug, event_type="order")[0].order_step == "imported"
    again = api.post(
        "/orders/manual",
        {
            "warehouse_id": main.id,
            "order_number": "M-000001",
            "lines": [{"sku": "MUG", "quantity": 1}],
        },
    )
    assert again.status_code == 422 and again.json()["errors"][0]["field"] == "order_number"
    body = {
        "number": "RMA-1",
        "warehouse_id": main.id,
        "order_id": order["id"],
        "lines": [{"sku": "MUG", "expected_quantity": 1}],
    }
    assert (
        other_api.post("/returns", body).status_code == 422
    )  # our warehouse and order are unknown to them
    r = api.post("/returns", body)
    assert r.status_code == 201, r.content
    assert r.json()["order_id"] == order["id"]
