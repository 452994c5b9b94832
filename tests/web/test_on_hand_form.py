"""Count or adjust on hand from the product page: inline errors, and the row it logged."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.fixture
def mug(product_factory):
    return product_factory("MUG")


def post(client, product, htmx=True, **data):
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    return client.post(reverse("web:product_on_hand", args=[product.id]), data, **headers)


def test_a_count_sets_on_hand_and_shows_the_row_it_logged(
    signed_in, warehouses, mug, stock_of, log_of, user
):
    main = warehouses[0]
    response = post(signed_in, mug, warehouse=main.id, mode="set", quantity=12, note="shelf A")
    assert response.status_code == 200
    assert response["HX-Trigger"] == "stock-changed"
    [entry] = log_of(mug)
    assert (entry.event_type, entry.quantity, entry.physical_on_hand) == ("on_hand", 12, 12)
    assert (entry.user_name, entry.note) == (user.username, "shelf A")
    assert stock_of(mug, main) == (12, 0)
    html = response.content.decode()
    assert f'id="log-{entry.id}"' in html
    assert "Saved." in html


def test_an_adjustment_adds_the_signed_change(signed_in, warehouses, mug, stock_of, log_of):
    main = warehouses[0]
    post(signed_in, mug, warehouse=main.id, mode="set", quantity=12)
    response = post(signed_in, mug, warehouse=main.id, mode="adjust", quantity=-5)
    assert response.status_code == 200
    assert stock_of(mug, main) == (7, 0)
    assert [(e.quantity, e.physical_change, e.physical_on_hand) for e in log_of(mug)] == [
        (12, 12, 12),
        (-5, -5, 7),
    ]


def test_taking_more_than_is_there_is_refused_inline_and_logs_nothing(
    signed_in, warehouses, mug, log_of, db_dump
):
    main = warehouses[0]
    post(signed_in, mug, warehouse=main.id, mode="set", quantity=3)
    before = db_dump()
    response = post(signed_in, mug, warehouse=main.id, mode="adjust", quantity=-5)
    assert response.status_code == 422
    assert "HX-Trigger" not in response
    html = response.content.decode()
    assert 'class="field invalid"' in html
    assert "MUG has 3 physical on hand in Main; cannot take 5" in html
    assert db_dump() == before


@pytest.mark.parametrize(
    "data, message",
    [
        ({"mode": "set", "quantity": -1}, "A count cannot be negative."),
        ({"mode": "adjust", "quantity": 0}, "An adjustment must not be zero."),
        ({"mode": "set", "quantity": "lots"}, "Enter a whole number."),
        ({"mode": "set", "quantity": ""}, "This field is required."),
        ({"mode": "set", "quantity": 5, "note": "x" * 2001}, "at most 2000 characters"),
        ({"mode": "teleport", "quantity": 5}, "Select a valid choice. teleport is not one"),
    ],
)
def test_invalid_input_shows_next_to_the_field(signed_in, warehouses, mug, log_of, data, message):
    response = post(signed_in, mug, warehouse=warehouses[0].id, **data)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert log_of(mug) == []


def test_another_companys_warehouse_is_not_a_choice(signed_in, mug, log_of, other_api, warehouses):
    from stockledger.warehouses.services import warehouse_create

    theirs = warehouse_create(company=other_api.company, name="Theirs")
    response = post(signed_in, mug, warehouse=theirs.id, mode="set", quantity=5)
    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()
    assert log_of(mug) == []


def test_a_kit_cannot_be_counted(signed_in, warehouses, product_factory, mug, log_of):
    kit = product_factory("KIT", components=[{"sku": "MUG", "quantity": 1}])
    response = post(signed_in, kit, warehouse=warehouses[0].id, mode="set", quantity=5)
    assert response.status_code == 422
    assert "kits hold no stock" in response.content.decode()
    assert log_of(kit) == [] and log_of(mug) == []


def test_without_htmx_the_whole_page_comes_back_with_the_row(signed_in, warehouses, mug, log_of):
    response = post(signed_in, mug, htmx=False, warehouse=warehouses[0].id, mode="set", quantity=4)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" in html and "Saved." in html
    assert html.count(f'id="log-{log_of(mug)[0].id}"') == 2  # the result and the log table


def test_get_is_not_allowed(signed_in, mug):
    assert signed_in.get(reverse("web:product_on_hand", args=[mug.id])).status_code == 405
