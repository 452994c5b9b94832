"""The product page: quantities per warehouse, kit components, BOM, channels."""

import re

import pytest
from django.urls import reverse

from stockledger.channels.services import channel_create
from stockledger.ledger.services import stock_set

pytestmark = pytest.mark.django_db


def page(client, product) -> str:
    response = client.get(reverse("web:product_detail", args=[product.id]))
    assert response.status_code == 200
    return response.content.decode()


def test_quantities_per_warehouse_and_totals(signed_in, company, warehouses, product_factory):
    main, east = warehouses
    mug = product_factory("MUG")
    stock_set(company=company, product=mug, warehouse=main, physical_on_hand=12)
    stock_set(company=company, product=mug, warehouse=east, physical_on_hand=5)
    html = page(signed_in, mug).split('id="quantities"')[1].split("</section>")[0]
    assert "<td>Main</td>" in html and "<td>East</td>" in html
    assert 'data-total="physical">17<' in html
    assert 'data-total="available">17<' in html


def test_a_kit_lists_its_components_and_which_one_limits_it(
    signed_in, company, warehouses, product_factory
):
    main = warehouses[0]
    mug = product_factory("MUG")
    spork = product_factory("SPORK")
    kit = product_factory(
        "KIT", components=[{"sku": "MUG", "quantity": 2}, {"sku": "SPORK", "quantity": 1}]
    )
    stock_set(company=company, product=mug, warehouse=main, physical_on_hand=10)
    stock_set(company=company, product=spork, warehouse=main, physical_on_hand=3)
    html = page(signed_in, kit)
    components = html.split("<h3>Components</h3>")[1].split("</table>")[0]
    spork_row = components.split(">SPORK</a>")[1].split("</tr>")[0]
    mug_row = components.split(">MUG</a>")[1].split("</tr>")[0]
    assert "limits the kit" in spork_row and "3 kits" in spork_row
    assert "limits the kit" not in mug_row and "5 kits" in mug_row
    assert 'data-total="available">3<' in html
    assert 'id="on-hand-form"' not in html  # kits hold no stock to count


def test_a_manufactured_product_shows_its_bill_of_materials(signed_in, warehouses, product_factory):
    product_factory("WAX")
    product_factory("WICK")
    candle = product_factory(
        "CANDLE", bom=[{"sku": "WAX", "quantity": 3}, {"sku": "WICK", "quantity": 1}]
    )
    html = page(signed_in, candle)
    bom = html.split("<h3>Bill of materials</h3>")[1].split("</table>")[0]
    assert ">WAX</a>" in bom and ">WICK</a>" in bom
    assert '<td class="num">3</td>' in bom


def test_channels_show_what_was_written_what_they_show_and_what_would_be_written(
    signed_in, company, warehouses, product_factory
):
    from stockledger.channels.services import channel_rule_set
    from stockledger.channels.sync import channel_quantities_import, channel_writeback_run

    main = warehouses[0]
    mug = product_factory("MUG")
    shop = channel_create(company=company, cart_type="shopify", name="My Shop")
    channel_create(company=company, cart_type="etsy", name="Quiet Etsy")
    stock_set(company=company, product=mug, warehouse=main, physical_on_hand=9)
    channel_writeback_run(company=company, channel=shop, skus=["MUG"])
    channel_quantities_import(
        company=company, channel=shop, quantities=[{"sku": "MUG", "quantity": 7}]
    )
    channel_rule_set(company=company, channel=shop, product=mug, reserve=2)
    html = page(signed_in, mug).split("<h3>Sales channels</h3>")[1].split("</table>")[0]
    shop_row = html.split("My Shop")[1].split("</tr>")[0]
    cells = re.findall(r'<td class="num">(.*?)</td>', shop_row, re.S)
    assert cells[0] == "9"  # last written
    assert ">7</span>" in cells[1] and "differs" in cells[1]  # what the channel showed
    assert ">7</span>" in cells[2] and "pending" in cells[2]  # 9 - reserve 2, not written yet
    assert "reserve 2" in html.split("My Shop")[1]  # the explanation
    assert "never written back" in html.split("Quiet Etsy")[1].split("</tr>")[0]


def test_quantities_block_refreshes_alone(signed_in, company, warehouses, product_factory):
    mug = product_factory("MUG")
    stock_set(company=company, product=mug, warehouse=warehouses[0], physical_on_hand=4)
    response = signed_in.get(reverse("web:product_quantities", args=[mug.id]))
    html = response.content.decode()
    assert "<html" not in html
    assert 'data-total="physical">4<' in html
