"""Activity -> Imports in the pages: upload, preview, confirm, progress, rejected rows."""

import pytest
from django.test import Client
from django.urls import reverse

from stockledger.imports.models import Import

from .conftest import csv_file, run_apply


@pytest.fixture
def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def mug(product_factory, warehouses):
    return product_factory("MUG")


def upload(client, rows, kind="counts"):
    return client.post(reverse("web:import_new"), {"kind": kind, "file": csv_file(rows)})


def test_the_activity_menu_links_imports_and_the_page_has_a_labelled_upload_form(signed_in):
    page = signed_in.get(reverse("web:import_list")).content.decode()
    assert f'href="{reverse("web:import_list")}"' in page
    assert '<label class="field"><span>Spreadsheet (CSV or XLSX)</span>' in page
    assert 'enctype="multipart/form-data"' in page


def test_uploading_shows_the_preview_and_applying_waits_for_the_confirmation(
    signed_in, mug, log_of, user
):
    response = upload(signed_in, [["sku", "warehouse", "quantity"], ["MUG", "Main", "5"]])
    job = Import.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "web:import_detail", args=[job.id]
    )
    page = signed_in.get(response["Location"]).content.decode()
    assert "<b>1</b> set on hand" in page and "Apply 1 row" in page
    assert log_of(mug) == []
    response = signed_in.post(reverse("web:import_apply", args=[job.id]))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == "queued"
    page = signed_in.get(reverse("web:import_detail", args=[job.id])).content.decode()
    assert 'hx-trigger="every 1s"' in page  # polls until done
    run_apply(job)
    page = signed_in.get(
        reverse("web:import_detail", args=[job.id]) + "?partial=1", HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "Applied: 1 row" in page and "every 1s" not in page
    assert [(e.quantity, e.user_name) for e in log_of(mug)] == [(5, user.username)]


def test_bad_rows_are_listed_and_downloadable_and_cannot_be_applied(signed_in, mug, log_of):
    upload(signed_in, [["sku", "warehouse", "quantity"], ["MUG", "Main", "-5"], ["X", "Main", "1"]])
    job = Import.objects.get()
    page = signed_in.get(reverse("web:import_detail", args=[job.id])).content.decode()
    assert '<tr data-row="2"><td class="num">2</td><td>quantity</td>' in page
    assert "negative count" in page and "unknown SKU &#x27;X&#x27;" in page
    assert "Apply" not in page
    response = signed_in.post(reverse("web:import_apply", args=[job.id]))
    assert response.status_code == 409
    csv_text = b"".join(
        signed_in.get(reverse("web:import_rejected", args=[job.id])).streaming_content
    ).decode("utf-8-sig")
    assert csv_text.splitlines()[1:] == [
        "2,quantity,negative count: a count cannot be below zero,MUG,Main,'-5",
        "3,sku,unknown SKU 'X',X,Main,1",
    ]
    assert log_of(mug) == []


def test_a_repeated_file_asks_before_applying_again(signed_in, mug, log_of):
    rows = [["sku", "warehouse", "quantity", "mode"], ["MUG", "Main", "5", "adjust"]]
    upload(signed_in, rows)
    first = Import.objects.get()
    signed_in.post(reverse("web:import_apply", args=[first.id]))
    run_apply(first)
    upload(signed_in, rows)
    second = Import.objects.exclude(pk=first.pk).get()
    page = signed_in.get(reverse("web:import_detail", args=[second.id])).content.decode()
    assert "This file was imported already" in page and 'name="again"' in page
    response = signed_in.post(reverse("web:import_apply", args=[second.id]))
    assert response.status_code == 409 and "confirm to apply it again" in response.content.decode()
    response = signed_in.post(reverse("web:import_apply", args=[second.id]), {"again": "on"})
    assert response.status_code == 302
    run_apply(second)
    assert [e.physical_on_hand for e in log_of(mug)] == [5, 10]


def test_a_bad_upload_shows_the_error_next_to_the_field(signed_in):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = signed_in.post(
        reverse("web:import_new"), {"kind": "counts", "file": SimpleUploadedFile("a.pdf", b"x")}
    )
    assert response.status_code == 422
    assert "must be a .csv or .xlsx" in response.content.decode()
    assert not Import.objects.exists()


def test_another_companys_import_is_a_404(signed_in, company_factory):
    from stockledger.imports.services import import_upload

    other, other_user, _ = company_factory("Other Co")
    job = import_upload(
        company=other,
        user=other_user,
        kind="counts",
        upload=csv_file([["sku", "warehouse", "quantity"], ["A", "B", "1"]]),
    )
    for name in ("web:import_detail", "web:import_rejected"):
        assert signed_in.get(reverse(name, args=[job.id])).status_code == 404
    assert signed_in.post(reverse("web:import_apply", args=[job.id])).status_code == 404
    assert "Other" not in signed_in.get(reverse("web:import_list")).content.decode()
