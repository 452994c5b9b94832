"""Sales channel settings in the pages: writeback warehouses, locations, rules, a writeback
run; each refusal inline, each change's log rows shown, each channel its company's only."""

import re

import pytest
from django.urls import reverse

from stockledger.channels.models import WritebackRule
from stockledger.channels.services import channel_create
from stockledger.ledger.services import stock_set
from tests.channel_jobs import run_channel_jobs

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(company, warehouses, product_factory):
    mug = product_factory("MUG")
    product_factory("BOWL")
    stock_set(company=company, product=mug, warehouse=warehouses[0], physical_on_hand=8)
    stock_set(company=company, product=mug, warehouse=warehouses[1], physical_on_hand=3)
    return channel_create(company=company, cart_type="shopify", name="My <Shop>")


def act(client, channel, action, data=None):
    return client.post(reverse("web:channel_action", args=[channel.id, action]), data or {})


def test_choosing_writeback_warehouses_logs_a_row_per_product_and_shows_them(
    signed_in, shop, warehouses, log_of
):
    from stockledger.catalog.models import Product

    response = act(signed_in, shop, "warehouses", {"warehouses": [warehouses[1].id]})
    assert response.status_code == 302
    page = signed_in.get(response["Location"]).content.decode()
    assert "2 cart_warehouse rows logged" in page
    mug = Product.objects.get(sku="MUG")
    [row] = log_of(mug, event_type="cart_warehouse")
    assert (row.warehouse_name, row.cart_name) == ("East", "My <Shop>")
    assert f'id="log-{row.id}"' in page
    assert "My &lt;Shop&gt;" in page and "My <Shop>" not in page
    # The channel is now told East only: 3 mugs.
    preview = page.split('id="preview"')[1].split("</table>")[0]
    assert re.search(r'>MUG</a></td><td class="num">3</td>', preview)
    again = act(signed_in, shop, "warehouses", {"warehouses": [warehouses[1].id]})
    assert "unchanged: nothing logged" in signed_in.get(again["Location"]).content.decode()


def test_another_companys_warehouse_is_not_a_choice(signed_in, shop, other_api, log_of):
    from stockledger.warehouses.services import warehouse_create

    theirs = warehouse_create(company=other_api.company, name="Theirs")
    response = act(signed_in, shop, "warehouses", {"warehouses": [theirs.id]})
    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()


def test_a_location_used_twice_is_refused_next_to_the_warehouse(signed_in, shop, warehouses):
    main, east = warehouses
    data = {f"location-{main.id}": "gid://loc/1", f"location-{east.id}": "gid://loc/1"}
    response = act(signed_in, shop, "locations", data)
    assert response.status_code == 422
    html = response.content.decode()
    east_field = html.split(f'name="location-{east.id}"')[1].split("</label>")[0]
    assert "mapped to two warehouses" in east_field
    response = act(signed_in, shop, "locations", {f"location-{main.id}": "gid://loc/1"})
    assert response.status_code == 302
    page = signed_in.get(response["Location"]).content.decode()
    assert "Location mapping saved" in page
    assert 'value="gid://loc/1"' in page


def test_rules_are_added_refused_inline_and_removed(signed_in, shop):
    response = act(signed_in, shop, "rule", {"sku": "MUG", "minimum": "5", "maximum": "2"})
    assert response.status_code == 422
    assert "minimum 5 is above maximum 2" in response.content.decode()
    response = act(signed_in, shop, "rule", {"sku": "NOPE", "maximum": "2"})
    assert response.status_code == 422
    assert "unknown SKU" in response.content.decode().split('name="sku"')[1].split("</label>")[0]
    response = act(signed_in, shop, "rule", {"sku": "MUG", "reserve": "2", "maximum": "5"})
    assert response.status_code == 302
    page = signed_in.get(response["Location"]).content.decode()
    assert "Rule for MUG saved" in page
    assert "reserve 2" in page.split('id="preview"')[1]  # the explanation of what it writes
    rule = WritebackRule.objects.get()
    response = act(signed_in, shop, "rule-delete", {"rule": rule.id})
    assert response.status_code == 302
    assert not WritebackRule.objects.exists()
    assert act(signed_in, shop, "rule-delete", {"rule": "x"}).status_code == 404


def test_write_back_now_logs_export_rows(signed_in, shop, log_of):
    from stockledger.catalog.models import Product

    response = act(signed_in, shop, "writeback")
    assert response.status_code == 302
    page = signed_in.get(response["Location"]).content.decode()
    assert "queued" in page
    assert log_of(Product.objects.get(sku="MUG"), event_type="export") == []
    run_channel_jobs()  # the worker delivers
    page = signed_in.get(response["Location"]).content.decode()
    [row] = log_of(Product.objects.get(sku="MUG"), event_type="export")
    assert row.available_on_hand == 11
    assert f'id="log-{row.id}"' in page
    runs = page.split('id="runs"')[1].split("</table>")[0]
    assert row.event_id in runs


def test_channels_belong_to_their_company(signed_in, other_signed_in, shop):
    assert "My &lt;Shop&gt;" in signed_in.get(reverse("web:channel_list")).content.decode()
    assert "Shop" not in other_signed_in.get(reverse("web:channel_list")).content.decode()
    assert other_signed_in.get(reverse("web:channel_detail", args=[shop.id])).status_code == 404
    for action in ("warehouses", "locations", "rule", "writeback", "resume", "orders"):
        assert act(other_signed_in, shop, action).status_code == 404
    assert act(signed_in, shop, "teleport").status_code == 404
