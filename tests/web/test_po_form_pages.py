"""Purchase order pages: write one with lines, edit it while nothing is received, close it."""

import pytest
from django.urls import reverse

from stockledger.purchasing.models import PurchaseOrder
from stockledger.purchasing.services import purchase_order_create, purchase_order_receive

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog(warehouses, product_factory):
    main, east = warehouses
    mug = product_factory("MUG", "Enamel mug")
    bowl = product_factory("BOWL")
    product_factory("GIFTSET", components=[{"sku": "MUG", "quantity": 2}])
    return main, east, mug, bowl


def form_data(warehouse, rows, number="PO-7", supplier="Potter & Sons"):
    data = {"number": number, "supplier": supplier, "warehouse": warehouse.id if warehouse else ""}
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"line-{i}-{key}"] = value
    return data


def test_a_po_written_in_the_pages_has_its_lines_and_changes_no_stock(
    signed_in, catalog, stock_of, log_of, user
):
    main, _, mug, bowl = catalog
    page = signed_in.get(reverse("web:po_new")).content.decode()
    assert 'value="PO-000001"' in page  # a number is suggested
    assert 'list="sku-options"' in page and "for=stocked" in page
    response = signed_in.post(
        reverse("web:po_new"),
        form_data(
            main,
            [
                {"sku": "MUG", "quantity": "12"},
                {"sku": "", "quantity": ""},
                {"sku": "BOWL", "quantity": "3"},
            ],
        ),
    )
    assert response.status_code == 302
    po = PurchaseOrder.objects.get(company=user.company, number="PO-7")
    assert (po.supplier, po.warehouse, po.created_by) == ("Potter & Sons", main, user)
    assert [(li.product.sku, li.quantity_ordered) for li in po.lines.order_by("id")] == [
        ("MUG", 12),
        ("BOWL", 3),
    ]
    assert stock_of(mug, main) == (0, 0) and log_of(mug) == []
    detail = signed_in.get(response["Location"]).content.decode()
    assert "Purchase order PO-7 saved." in detail
    assert reverse("web:po_edit", args=[po.id]) in detail
    assert "From Potter &amp; Sons" in detail
    # The next suggestion follows the highest PO-nnnnnn number.
    purchase_order_create(
        company=user.company,
        number="PO-000041",
        warehouse=main,
        lines=[{"sku": "MUG", "quantity": 1}],
    )
    assert 'value="PO-000042"' in signed_in.get(reverse("web:po_new")).content.decode()


def line_html(html, index):
    return html.split(f'data-line="{index}"')[1].split("data-line=")[0]


@pytest.mark.parametrize(
    "rows, bad_line, message",
    [
        ([{"sku": "NOPE", "quantity": "1"}], 0, "unknown SKU"),
        ([{"sku": "MUG", "quantity": "1"}, {"sku": "GIFTSET", "quantity": "1"}], 1, "is a kit"),
        ([{"sku": "MUG", "quantity": "0"}], 0, "Enter 1 or more."),
        ([{"sku": "MUG", "quantity": "two"}], 0, "Enter a whole number."),
        ([{"sku": "MUG", "quantity": "1"}, {"sku": "MUG", "quantity": "2"}], 1, "listed twice"),
    ],
)
def test_a_bad_line_is_shown_on_that_line_and_nothing_is_written(
    signed_in, catalog, db_dump, rows, bad_line, message
):
    main, *_ = catalog
    before = db_dump()
    response = signed_in.post(reverse("web:po_new"), form_data(main, rows))
    assert response.status_code == 422
    html = response.content.decode()
    assert message in line_html(html, bad_line)
    assert 'class="field-error"' in line_html(html, bad_line)
    assert db_dump() == before


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"number": ""}, "number", "This field is required."),
        ({"warehouse": ""}, "warehouse", "This field is required."),
        ({"supplier": "x" * 201}, "supplier", "at most 200 characters"),
        ({"line-0-sku": "", "line-0-quantity": ""}, None, "Fill in at least one line."),
    ],
)
def test_bad_fields_are_shown_next_to_them_and_nothing_is_written(
    signed_in, catalog, db_dump, change, field, message
):
    main, *_ = catalog
    before = db_dump()
    data = form_data(main, [{"sku": "MUG", "quantity": "1"}]) | change
    response = signed_in.post(reverse("web:po_new"), data)
    assert response.status_code == 422
    html = response.content.decode()
    assert message in html
    if field:
        label = html.split(f'name="{field}"')[1].split("</label>")[0]
        assert message in label
    assert db_dump() == before


def test_a_number_already_used_is_shown_on_the_number_field(signed_in, catalog, user, db_dump):
    main, *_ = catalog
    purchase_order_create(
        company=user.company, number="PO-7", warehouse=main, lines=[{"sku": "MUG", "quantity": 1}]
    )
    before = db_dump()
    response = signed_in.post(
        reverse("web:po_new"), form_data(main, [{"sku": "MUG", "quantity": "1"}])
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "already exists" in html.split('name="number"')[1].split("</label>")[0]
    assert db_dump() == before


def test_another_companys_warehouse_is_refused_on_the_warehouse_field(
    signed_in, catalog, other_api, db_dump
):
    from stockledger.warehouses.services import warehouse_create

    theirs = warehouse_create(company=other_api.company, name="Theirs")
    before = db_dump()
    response = signed_in.post(
        reverse("web:po_new"), form_data(theirs, [{"sku": "MUG", "quantity": "1"}])
    )
    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode().split('name="warehouse"')[1]
    assert db_dump() == before


@pytest.fixture
def po(catalog, user):
    main, *_ = catalog
    return purchase_order_create(
        company=user.company,
        number="PO-7",
        warehouse=main,
        supplier="Potter",
        lines=[{"sku": "MUG", "quantity": 10}, {"sku": "BOWL", "quantity": 2}],
    )


def test_editing_an_unreceived_po_replaces_its_lines(signed_in, catalog, po):
    main, east, *_ = catalog
    url = reverse("web:po_edit", args=[po.id])
    page = signed_in.get(url).content.decode()
    assert 'name="line-0-sku" value="MUG"' in page and 'name="line-0-quantity" value="10"' in page
    assert 'name="line-2-sku" value=""' in page  # one blank row to add to
    response = signed_in.post(
        url, form_data(east, [{"sku": "BOWL", "quantity": "5"}], number="PO-7B", supplier="")
    )
    assert response.status_code == 302
    po.refresh_from_db()
    assert (po.number, po.warehouse, po.supplier) == ("PO-7B", east, "")
    assert [(li.product.sku, li.quantity_ordered) for li in po.lines.all()] == [("BOWL", 5)]


def test_a_bad_edit_changes_nothing(signed_in, catalog, po, db_dump):
    main, *_ = catalog
    before = db_dump()
    response = signed_in.post(
        reverse("web:po_edit", args=[po.id]), form_data(main, [{"sku": "NOPE", "quantity": "1"}])
    )
    assert response.status_code == 422
    assert "unknown SKU" in line_html(response.content.decode(), 0)
    assert db_dump() == before


def test_a_po_with_a_receipt_is_no_longer_editable(signed_in, catalog, po, user, db_dump):
    main, *_ = catalog
    purchase_order_receive(
        company=user.company,
        purchase_order=po,
        number="GR-1",
        lines=[{"sku": "MUG", "quantity": 1}],
    )
    detail = signed_in.get(reverse("web:po_detail", args=[po.id])).content.decode()
    assert reverse("web:po_edit", args=[po.id]) not in detail
    before = db_dump()
    response = signed_in.post(
        reverse("web:po_edit", args=[po.id]), form_data(main, [{"sku": "BOWL", "quantity": "1"}])
    )
    assert response.status_code == 302
    assert db_dump() == before
    page = signed_in.get(response["Location"]).content.decode()
    assert "only a PO nothing has been received against can be edited" in page


def test_closing_with_units_outstanding_says_so_and_refuses_receipts(
    signed_in, catalog, po, user, db_dump
):
    purchase_order_receive(
        company=user.company,
        purchase_order=po,
        number="GR-1",
        lines=[{"sku": "MUG", "quantity": 4}],
    )
    response = signed_in.post(reverse("web:po_close", args=[po.id]))
    assert response.status_code == 302
    po.refresh_from_db()
    assert po.status == "closed" and po.closed_by == user
    page = signed_in.get(response["Location"]).content.decode()
    assert "closed with 8 units still outstanding" in page
    assert "it takes no more receipts" in page and 'id="receive-form"' not in page
    before = db_dump()
    forged = signed_in.post(
        reverse("web:po_detail", args=[po.id]), {"number": "GR-2", "line-0-quantity": "1"}
    )
    assert forged.status_code == 302
    again = signed_in.post(reverse("web:po_close", args=[po.id]))
    assert "already closed" in signed_in.get(again["Location"]).content.decode()
    assert db_dump() == before


def test_another_companys_po_is_404_for_edit_and_close(other_signed_in, po, db_dump):
    before = db_dump()
    assert other_signed_in.get(reverse("web:po_edit", args=[po.id])).status_code == 404
    assert other_signed_in.post(reverse("web:po_edit", args=[po.id]), {}).status_code == 404
    assert other_signed_in.post(reverse("web:po_close", args=[po.id])).status_code == 404
    assert other_signed_in.get(reverse("web:po_close", args=[po.id])).status_code == 405
    assert db_dump() == before


def test_sku_suggestions_for_a_po_leave_out_kits_and_other_companies(
    signed_in, other_signed_in, catalog, product_factory, other_api
):
    product_factory("MUGWORT", company=other_api.company)
    url = reverse("web:sku_suggestions")
    html = signed_in.get(url, {"for": "stocked", "line-0-sku": "g"}).content.decode()
    assert html.strip() == ""  # GIFTSET is a kit
    html = signed_in.get(url, {"line-0-sku": "mu"}).content.decode()
    assert 'value="MUG"' in html and "MUGWORT" not in html


def test_line_rows_are_added_for_each_document_kind(signed_in):
    for kind, field in [
        ("purchase-order", "line-4-quantity"),
        ("return", "line-4-expected_quantity"),
        ("order", "line-4-sku"),
        ("transfer", "line-4-notes"),
    ]:
        html = signed_in.get(reverse("web:line_row", args=[kind]), {"index": "4"}).content.decode()
        assert f'name="{field}"' in html and "index=5" in html
    assert signed_in.get(reverse("web:line_row", args=["nope"])).status_code == 404


def test_a_product_page_starts_a_po_or_an_mo_for_it(signed_in, catalog, product_factory):
    _, _, mug, _ = catalog
    page = signed_in.get(reverse("web:product_detail", args=[mug.id])).content.decode()
    assert f"{reverse('web:po_new')}?sku=MUG" in page
    assert reverse("web:mo_new") not in page
    form = signed_in.get(reverse("web:po_new"), {"sku": "MUG"}).content.decode()
    assert 'name="line-0-sku" value="MUG"' in form
    table = product_factory("TABLE", bom=[{"sku": "MUG", "quantity": 4}])
    page = signed_in.get(reverse("web:product_detail", args=[table.id])).content.decode()
    assert f"{reverse('web:mo_new')}?sku=TABLE" in page
