"""The exports API: ask, follow, download; every route is the owning company's only."""

import io
import zipfile
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from stockledger.exports.models import Export

from .conftest import T0, run


def body(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.fixture
def widget(company, warehouses, product_factory, add_rows):
    product = product_factory("WID-9")
    add_rows(product, warehouses[0], 5)
    return product


def test_asking_for_an_export_queues_it_with_its_task(api, user, widget):
    response = api.post("/exports", {"product_id": widget.id})
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["status"] == "queued" and data["rows"] == 0 and data["download_url"] is None
    assert data["requested_by"] == user.username
    export = Export.objects.get(pk=data["id"])
    task = DBTaskResult.objects.get(id=export.task_id)
    assert task.status == "READY"
    assert task.task_path == "stockledger.exports.tasks.run_export"
    assert task.args_kwargs == {"args": [export.id, 1], "kwargs": {}}


def test_a_product_export_downloads_as_csv_once_complete(api, widget):
    export_id = api.post("/exports", {"product_id": widget.id}).json()["id"]
    assert api.get(f"/exports/{export_id}/csv").status_code == 409

    run(Export.objects.get(pk=export_id))
    data = api.get(f"/exports/{export_id}").json()
    assert data["status"] == "complete" and data["rows"] == 5 and data["file_size"] > 0
    assert data["download_url"] == f"/api/v1/exports/{export_id}/file"

    response = api.get(f"/exports/{export_id}/csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    stamp = timezone.now().strftime("%Y%m%d")
    assert response["Content-Disposition"] == (
        f'attachment; filename="inventory-log-WID-9-{stamp}.csv"'
    )
    content = body(response)
    assert content.startswith(b"\xef\xbb\xbfcreated_at,imported_at,event_type,")
    assert content.count(b"\r\n") == 6
    assert body(api.get(f"/exports/{export_id}/file")) == content


def test_a_kit_and_a_multi_product_date_range_export_through_the_api(
    api, company, warehouses, product_factory, add_rows
):
    bolt, nut = product_factory("BOLT"), product_factory("NUT")
    kit = product_factory(
        "KIT", components=[{"sku": "BOLT", "quantity": 1}, {"sku": "NUT", "quantity": 1}]
    )
    add_rows(bolt, warehouses[0], 3, start=T0)
    add_rows(nut, warehouses[1], 3, start=T0 + timedelta(seconds=30))

    kit_id = api.post("/exports", {"product_id": kit.id, "include_components": True}).json()["id"]
    range_id = api.post(
        "/exports",
        {
            "kind": "products",
            "since": (T0 + timedelta(minutes=1)).isoformat(),
            "until": (T0 + timedelta(minutes=2, seconds=1)).isoformat(),
            "timezone": "Asia/Tokyo",
        },
    ).json()["id"]
    for export in Export.objects.filter(pk__in=[kit_id, range_id]):
        run(export)

    kit_csv = body(api.get(f"/exports/{kit_id}/csv")).decode("utf-8-sig").splitlines()
    assert [line.split(",")[20] for line in kit_csv[1:]] == ["BOLT", "NUT"] * 3
    range_csv = body(api.get(f"/exports/{range_id}/csv")).decode("utf-8-sig").splitlines()
    assert [line.split(",")[0] for line in range_csv[1:]] == [
        "2026-03-01T21:01:00.000000+09:00",
        "2026-03-01T21:01:30.000000+09:00",
        "2026-03-01T21:02:00.000000+09:00",
    ]


def test_an_exports_bounds_are_answered_in_utc_like_every_timestamp(api, widget):
    asked = api.post(
        "/exports",
        {
            "product_id": widget.id,
            "since": "2026-03-01T09:00:00+09:00",
            "until": "2026-03-02T00:00:00Z",
            "timezone": "Asia/Tokyo",
        },
    ).json()
    shown = api.get(f"/exports/{asked['id']}").json()
    for answer in (asked, shown):
        assert answer["parameters"]["since"] == "2026-03-01T00:00:00Z"
        assert answer["parameters"]["until"] == "2026-03-02T00:00:00Z"
        assert answer["parameters"]["timezone"] == "Asia/Tokyo"


def test_an_xlsx_export_downloads_from_file_and_not_from_csv(api, widget):
    export_id = api.post("/exports", {"product_id": widget.id, "format": "xlsx"}).json()["id"]
    run(Export.objects.get(pk=export_id))
    assert api.get(f"/exports/{export_id}/csv").status_code == 409
    response = api.get(f"/exports/{export_id}/file")
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml"
    )
    assert response["Content-Disposition"].endswith('.xlsx"')
    assert "xl/worksheets/sheet1.xml" in zipfile.ZipFile(io.BytesIO(body(response))).namelist()


def test_every_export_route_answers_404_to_another_company(api, other_api, widget):
    export_id = api.post("/exports", {"product_id": widget.id}).json()["id"]
    run(Export.objects.get(pk=export_id))
    for path in (
        f"/exports/{export_id}",
        f"/exports/{export_id}/csv",
        f"/exports/{export_id}/file",
    ):
        response = other_api.get(path)
        assert response.status_code == 404, path
        assert response.json() == {"detail": f"export {export_id} not found", "errors": []}
    assert other_api.get("/exports").json() == {"items": [], "next_cursor": None}
    assert api.get(f"/exports/{export_id}/csv").status_code == 200
    # Nor can another company export this company's product.
    response = other_api.post("/exports", {"product_id": widget.id})
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "product_id", "message": f"unknown product {widget.id}"}
    ]


def test_the_list_is_newest_first_in_pages(api, widget):
    ids = [api.post("/exports", {"product_id": widget.id}).json()["id"] for _ in range(5)]
    first = api.get("/exports", {"limit": 2}).json()
    assert [e["id"] for e in first["items"]] == ids[::-1][:2]
    second = api.get("/exports", {"limit": 2, "cursor": first["next_cursor"]}).json()
    third = api.get("/exports", {"limit": 2, "cursor": second["next_cursor"]}).json()
    assert [e["id"] for e in second["items"] + third["items"]] == ids[::-1][2:]
    assert third["next_cursor"] is None
    assert api.get("/exports", {"cursor": "garbage!"}).status_code == 422
    run(Export.objects.get(pk=ids[1]))
    complete = api.get("/exports", {"status": "complete"}).json()["items"]
    assert [e["id"] for e in complete] == [ids[1]]


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"product_id": 10**9}, "product_id"),
        ({"skus": ["NOPE"]}, "skus[0]"),
        ({"timezone": "Nowhere/Land"}, "timezone"),
        ({"since": "2026-03-01T00:00:00"}, "since"),
        ({"interval": "year"}, "interval"),
        ({"format": "pdf"}, "format"),
        ({"event_types": ["gift"]}, "event_types[0]"),
    ],
)
def test_a_bad_request_is_a_422_naming_the_field_and_writes_nothing(api, widget, payload, field):
    response = api.post("/exports", payload)
    assert response.status_code == 422, response.content
    assert response.json()["errors"][0]["field"] == field
    assert not Export.objects.exists() and not DBTaskResult.objects.exists()


def test_a_failed_or_expired_export_has_no_file_to_download(api, widget):
    export_id = api.post("/exports", {"product_id": widget.id}).json()["id"]
    Export.objects.filter(pk=export_id).update(status="failed", error="boom")
    response = api.get(f"/exports/{export_id}/csv")
    assert response.status_code == 409 and "failed" in response.json()["detail"]
    Export.objects.filter(pk=export_id).update(status="expired")
    assert "expired" in api.get(f"/exports/{export_id}/file").json()["detail"]
