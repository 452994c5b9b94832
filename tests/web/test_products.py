"""The Products tab: search by SKU or name, keyset pages, quantities, kit marker."""

import pytest
from django.urls import reverse

from stockledger.ledger.services import stock_set

pytestmark = pytest.mark.django_db


def rows_of(html: str) -> list[str]:
    import re

    return re.findall(r'<td class="sku"><a href="/products/\d+/">([^<]+)</a>', html)


def numbers(row: str) -> list[str]:
    import re

    return re.findall(r'<td class="num[^"]*">([^<]*)</td>', row)


def test_search_finds_products_by_sku_or_name(signed_in, product_factory):
    product_factory("MUG-1", "Camp mug")
    product_factory("BOWL-1", "Enamel bowl")
    product_factory("SPORK", "Titanium spork for a mug lover")
    url = reverse("web:product_list")
    assert rows_of(signed_in.get(url, {"q": "bowl"}).content.decode()) == ["BOWL-1"]
    assert rows_of(signed_in.get(url, {"q": "mug"}).content.decode()) == ["MUG-1", "SPORK"]
    assert rows_of(signed_in.get(url, {"q": "mug-1"}).content.decode()) == ["MUG-1"]
    assert "No product matches" in signed_in.get(url, {"q": "zzz"}).content.decode()


def test_the_list_pages_by_sku_with_a_next_link(signed_in, product_factory):
    for i in range(53):
        product_factory(f"P-{i:03d}")
    url = reverse("web:product_list")
    first = signed_in.get(url).content.decode()
    assert rows_of(first)[:2] == ["P-000", "P-001"]
    assert len(rows_of(first)) == 50
    assert "after=P-049" in first
    second = signed_in.get(url, {"after": "P-049"}).content.decode()
    assert rows_of(second) == ["P-050", "P-051", "P-052"]
    assert "after=" not in second.split('class="pager"')[1]


def test_the_list_shows_physical_committed_available_and_marks_kits(
    signed_in, product_factory, warehouses, company
):
    mug = product_factory("MUG", "Mug")
    product_factory("KIT", "Mug pair", components=[{"sku": "MUG", "quantity": 2}])
    stock_set(company=company, product=mug, warehouse=warehouses[0], physical_on_hand=7)
    html = signed_in.get(reverse("web:product_list")).content.decode()
    kit_row = html.split(">KIT</a>")[1].split("</tr>")[0]
    assert 'class="tag kit"' in kit_row
    assert numbers(kit_row) == ["3", "0", "3"]  # 7 mugs make 3 pairs
    mug_row = html.split(">MUG</a>")[1].split("</tr>")[0]
    assert 'class="tag' not in mug_row
    assert numbers(mug_row) == ["7", "0", "7"]


def test_an_htmx_search_returns_only_the_results(signed_in, product_factory):
    product_factory("MUG-1", "Camp mug")
    response = signed_in.get(reverse("web:product_list"), {"q": "mug"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "<html" not in html
    assert rows_of(html) == ["MUG-1"]


def test_product_text_is_escaped(signed_in, product_factory):
    product_factory("XSS-1", "<script>alert('x')</script>")
    html = signed_in.get(reverse("web:product_list")).content.decode()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
