"""Setup in the pages: products (with kit components and BOMs), warehouses, sales channels.

Forms show errors next to their field or line and change nothing on bad input; another
company's ids are 404.
"""

import pytest
from django.urls import reverse

from stockledger.catalog.models import BomLine, KitComponent, Product, ProductKind
from stockledger.channels.models import SalesChannel
from stockledger.ledger.services import stock_set
from stockledger.warehouses.models import Warehouse

pytestmark = pytest.mark.django_db


def field_errors(html: str, name: str) -> str:
    """The error text shown in the <label> that holds the input named `name`."""
    start = html.index(f'name="{name}"')
    label_start = html.rindex("<label", 0, start)
    return html[label_start : html.index("</label>", start)]


def lines_data(rows):
    data = {}
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"line-{i}-{key}"] = value
    return data


# --- products -------------------------------------------------------------------------------


def test_a_product_is_created_from_the_new_product_form(signed_in, company):
    page = signed_in.get(reverse("web:product_new"))
    assert page.status_code == 200 and 'name="sku"' in page.content.decode()
    response = signed_in.post(
        reverse("web:product_new"), {"sku": " Ｍug-1 ", "name": "Mug", "kind": "simple"}
    )
    product = Product.objects.get(company=company)
    assert response.status_code == 302
    assert response["Location"] == reverse("web:product_detail", args=[product.id])
    assert (product.sku, product.name, product.kind) == ("Mug-1", "Mug", ProductKind.SIMPLE)


@pytest.mark.parametrize(
    "sku, message",
    [("b2", "same as the existing SKU"), ("B\u200b2", "invisible"), ("", "required")],
)
def test_a_bad_or_look_alike_sku_is_shown_next_to_the_sku_field(
    signed_in, product_factory, db_dump, sku, message
):
    product_factory("B2")
    before = db_dump()
    response = signed_in.post(
        reverse("web:product_new"), {"sku": sku, "name": "x", "kind": "simple"}
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert 'class="field-error"' in field_errors(html, "sku")
    assert message in field_errors(html, "sku")
    assert 'class="field-error"' not in field_errors(html, "name")
    assert db_dump() == before


def test_a_kit_is_created_then_its_components_added_removed_and_changed(
    signed_in, company, product_factory
):
    cup, lid, box = product_factory("CUP"), product_factory("LID"), product_factory("BOX")
    response = signed_in.post(
        reverse("web:product_new"), {"sku": "SET", "name": "Cup set", "kind": "kit"}
    )
    kit = Product.objects.get(sku="SET")
    assert response["Location"] == reverse("web:product_edit", args=[kit.id]) + "#lines"
    edit = signed_in.get(reverse("web:product_edit", args=[kit.id])).content.decode()
    assert 'id="lines-form"' in edit and 'list="sku-options"' in edit

    url = reverse("web:product_lines", args=[kit.id])
    saved = signed_in.post(
        url,
        lines_data([{"sku": "cup", "quantity": "2"}, {"sku": "LID", "quantity": "1"}, {"sku": ""}]),
    )
    assert saved.status_code == 302
    assert sorted(KitComponent.objects.filter(kit=kit).values_list("component", "quantity")) == [
        (cup.id, 2),
        (lid.id, 1),
    ]
    # Remove LID, change CUP, add BOX.
    signed_in.post(
        url,
        lines_data(
            [
                {"sku": "CUP", "quantity": "3"},
                {"sku": "LID", "quantity": "1", "remove": "1"},
                {"sku": "BOX", "quantity": "1"},
            ]
        ),
    )
    assert sorted(KitComponent.objects.filter(kit=kit).values_list("component", "quantity")) == [
        (cup.id, 3),
        (box.id, 1),
    ]
    detail = signed_in.get(reverse("web:product_detail", args=[kit.id])).content.decode()
    assert "CUP" in detail and "BOX" in detail and "LID</a>" not in detail


def test_a_bad_component_line_is_shown_on_its_line_and_changes_nothing(
    signed_in, company, product_factory, db_dump
):
    product_factory("CUP")
    kit = product_factory("SET", components=[{"sku": "CUP", "quantity": 1}])
    before = db_dump()
    response = signed_in.post(
        reverse("web:product_lines", args=[kit.id]),
        lines_data(
            [
                {"sku": "CUP", "quantity": "2"},
                {"sku": "", "quantity": ""},  # a blank row between does not shift the errors
                {"sku": "NOPE", "quantity": "1"},
            ]
        ),
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "unknown SKU" in field_errors(html, "line-2-sku")
    assert 'class="field-error"' not in field_errors(html, "line-0-sku")
    assert db_dump() == before


def test_a_manufactured_products_bill_of_materials_is_edited_on_its_page(
    signed_in, company, product_factory
):
    wood = product_factory("WOOD")
    signed_in.post(
        reverse("web:product_new"), {"sku": "CHAIR", "name": "Chair", "kind": "manufactured"}
    )
    chair = Product.objects.get(sku="CHAIR")
    bad = signed_in.post(
        reverse("web:product_lines", args=[chair.id]),
        lines_data([{"sku": "WOOD", "quantity": "zero"}]),
    )
    assert bad.status_code == 422
    assert "whole number" in field_errors(bad.content.decode(), "line-0-quantity")
    signed_in.post(
        reverse("web:product_lines", args=[chair.id]),
        lines_data([{"sku": "WOOD", "quantity": "4"}]),
    )
    assert list(BomLine.objects.filter(product=chair).values_list("component", "quantity")) == [
        (wood.id, 4)
    ]


def test_the_edit_form_changes_name_and_sku_and_locks_the_sku_once_logged(
    signed_in, company, warehouses, product_factory
):
    mug = product_factory("MUG")
    url = reverse("web:product_edit", args=[mug.id])
    signed_in.post(url, {"sku": "MUG-1", "name": "Mug", "kind": "simple"})
    mug.refresh_from_db()
    assert (mug.sku, mug.name) == ("MUG-1", "Mug")
    stock_set(company=company, product=mug, warehouse=warehouses[0], physical_on_hand=2)
    page = signed_in.get(url).content.decode()
    assert "cannot change once the product has log rows" in page
    # A forged SKU is ignored (the field is disabled); the name still changes.
    signed_in.post(url, {"sku": "FORGED", "name": "Enamel mug", "kind": "simple"})
    mug.refresh_from_db()
    assert (mug.sku, mug.name) == ("MUG-1", "Enamel mug")
    refused = signed_in.post(url, {"name": "Enamel mug", "kind": "kit"})
    assert refused.status_code == 422
    assert "log rows" in field_errors(refused.content.decode(), "kind")


def test_an_archived_product_leaves_the_list_but_its_page_and_log_stay(
    signed_in, company, warehouses, product_factory
):
    mug = product_factory("MUG")
    product_factory("BOWL")
    stock_set(company=company, product=mug, warehouse=warehouses[0], physical_on_hand=2)
    assert (
        'id="edit-product"'
        in signed_in.get(reverse("web:product_detail", args=[mug.id])).content.decode()
    )
    response = signed_in.post(reverse("web:product_archive", args=[mug.id]))
    assert response.status_code == 302
    listed = signed_in.get(reverse("web:product_list")).content.decode()
    assert "BOWL" in listed and ">MUG<" not in listed
    with_archived = signed_in.get(reverse("web:product_list") + "?archived=1").content.decode()
    assert ">MUG<" in with_archived and "archived</span>" in with_archived
    detail = signed_in.get(reverse("web:product_detail", args=[mug.id])).content.decode()
    assert 'id="archived-notice"' in detail and 'id="on-hand-form"' not in detail
    assert 'id="log-' in detail
    suggestions = signed_in.get(reverse("web:sku_suggestions") + "?line-0-sku=M").content.decode()
    assert "MUG" not in suggestions
    signed_in.post(reverse("web:product_unarchive", args=[mug.id]))
    assert Product.objects.get(pk=mug.pk).archived_at is None


def test_delete_is_offered_only_before_the_first_log_row(
    signed_in, company, warehouses, product_factory
):
    mug, spare = product_factory("MUG"), product_factory("SPARE")
    stock_set(company=company, product=mug, warehouse=warehouses[0], physical_on_hand=2)
    assert (
        "Delete MUG"
        not in signed_in.get(reverse("web:product_edit", args=[mug.id])).content.decode()
    )
    forged = signed_in.post(reverse("web:product_delete", args=[mug.id]))
    assert forged.status_code == 302 and Product.objects.filter(pk=mug.pk).exists()
    signed_in.post(reverse("web:product_delete", args=[spare.id]))
    assert not Product.objects.filter(pk=spare.pk).exists()


def test_the_empty_product_list_invites_the_first_warehouse_and_product(signed_in):
    html = signed_in.get(reverse("web:product_list")).content.decode()
    assert "your first warehouse" in html and reverse("web:product_new") in html


# --- warehouses -----------------------------------------------------------------------------


def test_a_warehouse_is_added_renamed_and_archived_in_the_pages(signed_in, company):
    empty = signed_in.get(reverse("web:warehouse_list")).content.decode()
    assert "No warehouses yet" in empty
    assert signed_in.post(reverse("web:warehouse_list"), {"name": "Main"}).status_code == 302
    main = Warehouse.objects.get(company=company)
    renamed = signed_in.post(reverse("web:warehouse_edit", args=[main.id]), {"name": "Main St"})
    assert renamed.status_code == 302
    main.refresh_from_db()
    assert main.name == "Main St"
    signed_in.post(reverse("web:warehouse_archive", args=[main.id]))
    main.refresh_from_db()
    assert main.archived_at is not None
    listed = signed_in.get(reverse("web:warehouse_list")).content.decode()
    assert "Main St" not in listed.split('id="warehouse-table"')[1].split("</table>")[0]
    # Hidden from a new document's picker.
    assert "Main St" not in signed_in.get(reverse("web:transfer_new")).content.decode()


def test_a_taken_warehouse_name_is_shown_next_to_the_field(signed_in, warehouses, db_dump):
    before = db_dump()
    response = signed_in.post(reverse("web:warehouse_list"), {"name": "main"})
    assert response.status_code == 422
    assert "already exists" in field_errors(response.content.decode(), "name")
    response = signed_in.post(reverse("web:warehouse_edit", args=[warehouses[1].id]), {"name": ""})
    assert response.status_code == 422
    assert db_dump() == before


def test_a_warehouse_holding_stock_is_not_archived(signed_in, company, warehouses, product_factory):
    main = warehouses[0]
    stock_set(company=company, product=product_factory("MUG"), warehouse=main, physical_on_hand=1)
    response = signed_in.post(reverse("web:warehouse_archive", args=[main.id]), follow=True)
    assert "still holds MUG" in response.content.decode()
    main.refresh_from_db()
    assert main.archived_at is None


# --- sales channels -------------------------------------------------------------------------


def test_a_sales_channel_is_created_then_its_settings_page_opens(signed_in, company):
    assert (
        "Add your first sales channel"
        in signed_in.get(reverse("web:channel_list")).content.decode()
    )
    bad = signed_in.post(reverse("web:channel_new"), {"cart_type": "", "name": "Shop"})
    assert bad.status_code == 422 and 'class="field-error"' in field_errors(
        bad.content.decode(), "cart_type"
    )
    assert not SalesChannel.objects.exists()
    response = signed_in.post(reverse("web:channel_new"), {"cart_type": "shopify", "name": "Shop"})
    channel = SalesChannel.objects.get(company=company)
    assert response["Location"] == reverse("web:channel_detail", args=[channel.id])
    assert (channel.cart_type, channel.name) == ("shopify", "Shop")


# --- tenancy --------------------------------------------------------------------------------


def test_another_companys_products_and_warehouses_are_404(
    other_signed_in, product_factory, warehouses, db_dump
):
    mug = product_factory("MUG")
    main = warehouses[0]
    before = db_dump()
    for name in [
        "web:product_edit",
        "web:product_lines",
        "web:product_archive",
        "web:product_delete",
    ]:
        url = reverse(name, args=[mug.id])
        assert (
            other_signed_in.post(url, {"sku": "X", "name": "X", "kind": "simple"}).status_code
            == 404
        )
    assert other_signed_in.get(reverse("web:product_edit", args=[mug.id])).status_code == 404
    for name in ["web:warehouse_edit", "web:warehouse_archive", "web:warehouse_unarchive"]:
        assert other_signed_in.post(reverse(name, args=[main.id]), {"name": "X"}).status_code == 404
    assert db_dump() == before


def test_the_setup_pages_need_a_signed_in_user(client):
    for url in [
        reverse("web:product_new"),
        reverse("web:warehouse_list"),
        reverse("web:channel_new"),
    ]:
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_after_a_rename_the_product_log_still_shows_the_old_name(
    signed_in, company, warehouses, product_factory
):
    main = warehouses[0]
    mug = product_factory("MUG")
    stock_set(company=company, product=mug, warehouse=main, physical_on_hand=2)
    signed_in.post(reverse("web:warehouse_edit", args=[main.id]), {"name": "Main Street"})
    main.refresh_from_db()
    stock_set(company=company, product=mug, warehouse=main, physical_on_hand=3)
    log = signed_in.get(reverse("web:product_log", args=[mug.id])).content.decode()
    cell = '<td class="warehouse" data-label="Warehouse">'
    assert f"{cell}Main <span" in log and f"{cell}Main Street <span" in log


def test_an_archived_warehouse_is_not_offered_in_a_channels_settings(
    signed_in, company, warehouses
):
    from stockledger.channels.services import channel_create
    from stockledger.warehouses.services import warehouse_archive

    main, east = warehouses
    channel = channel_create(company=company, cart_type="shopify", name="Shop")
    warehouse_archive(company=company, warehouse=east)
    html = signed_in.get(reverse("web:channel_detail", args=[channel.id])).content.decode()
    assert f'value="{main.id}"' in html and f'value="{east.id}"' not in html
