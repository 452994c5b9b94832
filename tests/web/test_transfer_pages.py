"""Transfer pages: the form with inline errors per line, the list, and a transfer's log rows."""

import re

import pytest
from django.urls import reverse

from stockledger.ledger.services import stock_set
from stockledger.transfers.services import transfer_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def stocked(company, warehouses, product_factory):
    main, east = warehouses
    mug = product_factory("MUG")
    bowl = product_factory("BOWL")
    stock_set(company=company, product=mug, warehouse=main, physical_on_hand=10)
    stock_set(company=company, product=bowl, warehouse=main, physical_on_hand=3)
    return main, east, mug, bowl


def post_transfer(client, main, east, rows, notes="weekly run"):
    data = {"sending_warehouse": main.id, "receiving_warehouse": east.id, "notes": notes}
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"line-{i}-{key}"] = value
    return client.post(reverse("web:transfer_new"), data)


def test_a_transfer_moves_stock_and_its_page_shows_the_rows_it_logged(
    signed_in, stocked, stock_of, log_of, user
):
    main, east, mug, bowl = stocked
    response = post_transfer(
        signed_in,
        main,
        east,
        [{"sku": "MUG", "quantity": "4", "notes": "shelf A"}, {"sku": "", "quantity": ""}],
    )
    assert response.status_code == 302
    assert stock_of(mug, main) == (6, 0) and stock_of(mug, east) == (4, 0)
    sent, arrived = log_of(mug, event_type="inventory_transfer")
    assert (sent.line_notes, sent.transfer_notes, sent.user_name) == (
        "shelf A",
        "weekly run",
        user.username,
    )
    page = signed_in.get(response["Location"])
    html = page.content.decode()
    assert f"Transfer {sent.event_id} saved" in html
    assert f'id="log-{sent.id}"' in html and f'id="log-{arrived.id}"' in html
    # The product's log links back to the transfer.
    log = signed_in.get(reverse("web:product_log", args=[mug.id])).content.decode()
    assert f'<a href="{response["Location"]}">{sent.event_id}</a>' in log


def test_a_line_taking_more_than_the_sender_holds_is_shown_on_that_line(
    signed_in, stocked, db_dump
):
    main, east, mug, bowl = stocked
    before = db_dump()
    response = post_transfer(
        signed_in,
        main,
        east,
        [
            {"sku": "MUG", "quantity": "2"},
            {"sku": "", "quantity": ""},  # a blank row between does not shift the errors
            {"sku": "BOWL", "quantity": "5"},
        ],
    )
    assert response.status_code == 422
    html = response.content.decode()
    line = html.split('data-line="2"')[1].split('data-line="3"')[0]
    assert "BOWL" in line and 'class="field-error"' in line
    assert "field-error" not in html.split('data-line="0"')[1].split('data-line="1"')[0]
    assert db_dump() == before


@pytest.mark.parametrize(
    "rows, message",
    [
        ([{"sku": "NOPE", "quantity": "1"}], "unknown SKU"),
        ([{"sku": "MUG", "quantity": "0"}], "Enter 1 or more."),
        ([{"sku": "MUG", "quantity": "two"}], "Enter a whole number."),
        ([{"sku": "", "quantity": ""}], "Fill in at least one line."),
    ],
)
def test_bad_lines_are_refused_inline(signed_in, stocked, log_of, rows, message):
    main, east, mug, _ = stocked
    response = post_transfer(signed_in, main, east, rows)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert log_of(mug, event_type="inventory_transfer") == []


def test_the_same_warehouse_twice_is_refused(signed_in, stocked):
    main, _, _, _ = stocked
    response = post_transfer(signed_in, main, main, [{"sku": "MUG", "quantity": "1"}])
    assert response.status_code == 422
    assert "Choose a different warehouse than the sender." in response.content.decode()


def test_the_form_starts_with_the_product_and_grows_a_line_at_a_time(signed_in, stocked):
    html = signed_in.get(reverse("web:transfer_new"), {"sku": "MUG"}).content.decode()
    assert 'name="line-0-sku" value="MUG"' in html
    row = signed_in.get(reverse("web:transfer_line_row"), {"index": "3"}).content.decode()
    assert 'name="line-3-sku"' in row
    assert "index=4" in row  # the button now adds line 4


def test_lists_and_pages_are_scoped_to_the_company(signed_in, other_signed_in, stocked, user):
    main, east, mug, _ = stocked
    transfer, _ = transfer_create(
        company=user.company,
        sending_warehouse=main,
        receiving_warehouse=east,
        lines=[{"sku": "MUG", "quantity": 1}],
        notes="<b>bold</b>",
    )
    mine = signed_in.get(reverse("web:transfer_list")).content.decode()
    assert transfer.number in mine and "&lt;b&gt;bold&lt;/b&gt;" in mine
    theirs = other_signed_in.get(reverse("web:transfer_list")).content.decode()
    assert transfer.number not in theirs
    url = reverse("web:transfer_detail", args=[transfer.id])
    assert other_signed_in.get(url).status_code == 404
    assert signed_in.get(url).status_code == 200


def test_the_list_pages_by_id_newest_first(signed_in, stocked, user):
    main, east, _, _ = stocked
    stock_set(company=user.company, product=stocked[2], warehouse=main, physical_on_hand=60)
    made = [
        transfer_create(
            company=user.company,
            sending_warehouse=main,
            receiving_warehouse=east,
            lines=[{"sku": "MUG", "quantity": 1}],
        )[0].id
        for _ in range(51)
    ][::-1]
    url = reverse("web:transfer_list")
    first = signed_in.get(url).content.decode()
    assert [int(i) for i in re.findall(r'/transfers/(\d+)/">TR-', first)] == made[:50]
    cursor = re.search(r'rel="next" href="\?before=([^"&]+)"', first).group(1)
    second = signed_in.get(url, {"before": cursor}).content.decode()
    assert [int(i) for i in re.findall(r'/transfers/(\d+)/">TR-', second)] == made[50:]
    assert signed_in.get(url, {"before": "x"}).status_code == 404


def test_sku_suggestions_come_from_the_company_only(signed_in, stocked, other_api):
    from stockledger.catalog.services import product_create

    product_create(company=other_api.company, sku="MUG-THEIRS", name="Their mug")
    html = signed_in.get(reverse("web:sku_suggestions"), {"line-0-sku": "mu"}).content.decode()
    assert '<option value="MUG">' in html
    assert "MUG-THEIRS" not in html
