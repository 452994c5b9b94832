"""Export Inventory Log from a product, Activity -> Exports, and downloading the file."""

import csv
import io
import re

import pytest
from django.urls import reverse

from stockledger.exports.models import Export
from stockledger.exports.tasks import run_export
from stockledger.ledger.columns import SEED_COLUMNS
from stockledger.ledger.services import stock_set

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def exports_dir(settings, tmp_path):
    settings.STOCKLEDGER_EXPORTS_DIR = tmp_path / "exports"
    settings.STOCKLEDGER_EXPORT_HEARTBEAT_SECONDS = 60
    return settings.STOCKLEDGER_EXPORTS_DIR


@pytest.fixture
def mug(company, warehouses, product_factory):
    mug = product_factory("MUG")
    stock_set(company=company, product=mug, warehouse=warehouses[0], physical_on_hand=4)
    stock_set(company=company, product=mug, warehouse=warehouses[1], physical_on_hand=2)
    return mug


def ask(client, product, **data):
    data.setdefault("format", "csv")
    return client.post(
        reverse("web:product_export", args=[product.id]), data, HTTP_HX_REQUEST="true"
    )


def run(export):
    run_export.call(export.id, 1)
    export.refresh_from_db()
    return export


def test_asking_for_an_export_queues_it_and_says_where_to_find_it(signed_in, mug, warehouses):
    response = ask(
        signed_in,
        mug,
        since="2025-01-01",
        until="2025-01-31",
        event_types=["on_hand", "order"],
        warehouses=[warehouses[1].id],
    )
    assert response.status_code == 200
    assert response["HX-Trigger"] == "export-started"
    export = Export.objects.get()
    assert (export.status, export.kind, export.product_id) == ("queued", "product", mug.id)
    p = export.parameters
    assert (p["since"], p["until"]) == ("2025-01-01T00:00:00+00:00", "2025-02-01T00:00:00+00:00")
    assert (p["event_types"], p["warehouse_ids"]) == (["on_hand", "order"], [warehouses[1].id])
    html = response.content.decode()
    assert f"Export #{export.id} of MUG" in html
    assert f'href="{reverse("web:export_list")}"' in html
    # The Activity badge counts it while it waits.
    page = signed_in.get(reverse("web:product_detail", args=[mug.id])).content.decode()
    assert re.search(r'<span class="badge"[^>]*>1</span>', page)


def test_bad_options_are_refused_inline(signed_in, mug, other_api):
    from stockledger.warehouses.services import warehouse_create

    response = ask(signed_in, mug, since="2025-02-01", until="2025-01-01")
    assert response.status_code == 422
    assert "The end date is before the start date." in response.content.decode()
    theirs = warehouse_create(company=other_api.company, name="Theirs")
    response = ask(signed_in, mug, warehouses=[theirs.id])
    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()
    response = ask(signed_in, mug, format="pdf")
    assert response.status_code == 422
    assert "Select a valid choice. pdf is not one of the available choices." in (
        response.content.decode()
    )
    assert Export.objects.count() == 0


def test_a_complete_export_offers_its_file_with_the_seed_columns(signed_in, mug, log_of):
    ask(signed_in, mug)
    export = run(Export.objects.get())
    assert export.status == "complete"
    page = signed_in.get(reverse("web:export_list")).content.decode()
    row = page.split(f'id="export-{export.id}"')[1].split("</tr>")[0]
    file_url = reverse("web:export_file", args=[export.id])
    assert f'href="{file_url}"' in row and ">CSV</a>" in row
    assert ">2</td>" in row  # rows
    assert 'data-polling="off"' in page
    response = signed_in.get(file_url)
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert tuple(rows[0][:20]) == SEED_COLUMNS
    assert len(rows) == 1 + len(log_of(mug))


def test_a_kit_exports_with_its_components(signed_in, mug, product_factory):
    kit = product_factory("KIT", components=[{"sku": "MUG", "quantity": 2}])
    response = ask(signed_in, kit, include_components="on")
    assert response.status_code == 200
    export = run(Export.objects.get())
    assert (export.kind, export.rows) == ("kit_with_components", 2)
    page = signed_in.get(reverse("web:export_list")).content.decode()
    assert "with components" in page


def test_a_running_export_makes_the_list_poll_and_a_failed_one_shows_why(
    signed_in, mug, monkeypatch
):
    ask(signed_in, mug)
    export = Export.objects.get()
    page = signed_in.get(reverse("web:export_list")).content.decode()
    assert 'data-polling="on"' in page and 'hx-trigger="every 2s"' in page

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("stockledger.exports.runner.write_log_csv", broken)
    with pytest.raises(OSError):
        run_export.call(export.id, 1)
    partial = signed_in.get(
        reverse("web:export_list"), {"partial": "1"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "<html" not in partial
    assert "OSError: disk full" in partial
    assert 'data-polling="off"' in partial
    file_url = reverse("web:export_file", args=[export.id])
    assert f'href="{file_url}"' not in partial
    response = signed_in.get(file_url)
    assert response.status_code == 409
    assert "failed" in response.content.decode()


def test_another_companys_exports_are_invisible_and_404(signed_in, other_signed_in, mug):
    ask(signed_in, mug)
    export = run(Export.objects.get())
    theirs = other_signed_in.get(reverse("web:export_list")).content.decode()
    assert f'id="export-{export.id}"' not in theirs
    assert other_signed_in.get(reverse("web:export_file", args=[export.id])).status_code == 404
    assert other_signed_in.post(reverse("web:product_export", args=[mug.id])).status_code == 404


def test_without_htmx_the_request_comes_back_as_a_page(signed_in, mug):
    response = signed_in.post(reverse("web:product_export", args=[mug.id]), {"format": "xlsx"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" in html and "is on its way" in html and "<b>XLSX</b>" in html
