"""The imports API: a dry run answers the preview; applying queues it; tenancy holds."""

import csv
import io

from django.test import Client

from stockledger.imports.models import Import

from .conftest import csv_file, run_apply


def post_file(token, file, **fields):
    client = Client()
    data = {"file": file, **fields}
    return client.post("/api/v1/imports", data, HTTP_AUTHORIZATION=f"Bearer {token}")


def test_a_dry_run_answers_the_preview_with_row_errors_and_changes_nothing(
    tenant, product_factory, warehouses, log_of
):
    mug = product_factory("MUG")
    file = csv_file([["sku", "warehouse", "quantity"], ["MUG", "Main", "3"], ["NOPE", "Main", "x"]])
    r = post_file(tenant[2], file, kind="counts", dry_run="true")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["status"] == "invalid" and body["rows_read"] == 2 and body["rows_bad"] == 1
    assert body["actions"] == {"set": 1}
    assert body["errors"] == [
        {"row": 3, "column": "sku", "message": "unknown SKU 'NOPE'"},
        {"row": 3, "column": "quantity", "message": "quantity 'x' is not a number"},
    ]
    assert log_of(mug) == []
    rejected = Client().get(body["rejected_rows_url"], HTTP_AUTHORIZATION=f"Bearer {tenant[2]}")
    rows = list(csv.reader(io.StringIO(b"".join(rejected.streaming_content).decode("utf-8-sig"))))
    assert rows == [
        ["row", "column", "error", "sku", "warehouse", "quantity"],
        [
            "3",
            "sku; quantity",
            "unknown SKU 'NOPE'; quantity 'x' is not a number",
            "NOPE",
            "Main",
            "x",
        ],
    ]


def test_without_dry_run_bad_rows_are_422_and_a_good_file_is_applied(
    api, tenant, product_factory, warehouses, log_of
):
    mug = product_factory("MUG")
    bad = post_file(
        tenant[2],
        csv_file([["sku", "warehouse", "quantity"], ["MUG", "Nowhere", "3"]]),
        kind="counts",
        dry_run="false",
    )
    assert bad.status_code == 422
    assert bad.json()["errors"] == [
        {"field": "rows[2].warehouse", "message": "unknown warehouse 'Nowhere'"}
    ]
    good = post_file(
        tenant[2],
        csv_file([["sku", "warehouse", "quantity", "reason"], ["MUG", "Main", "3", "promotion"]]),
        kind="counts",
        dry_run="false",
    )
    assert good.status_code == 202, good.content
    assert good.json()["status"] == "queued"
    job = run_apply(Import.objects.get(pk=good.json()["id"]))
    assert job.status == "complete"
    [entry] = log_of(mug)
    assert (entry.quantity, entry.reason, entry.user_name) == (3, "promotion", tenant[1].username)
    detail = api.get(f"/imports/{job.id}").json()
    assert detail["status"] == "complete" and detail["rows_applied"] == 1
    listed = api.get("/imports").json()["items"]
    assert [i["id"] for i in listed] == list(
        Import.objects.order_by("-id").values_list("id", flat=True)
    )


def test_dry_run_then_apply_and_a_repeat_needs_confirm_repeat(
    api, tenant, product_factory, warehouses
):
    product_factory("MUG")
    rows = [["sku", "warehouse", "quantity", "mode"], ["MUG", "Main", "2", "adjust"]]
    first = post_file(tenant[2], csv_file(rows), kind="counts").json()
    assert first["status"] == "ready"
    r = api.post(f"/imports/{first['id']}/apply", {})
    assert r.status_code == 202
    run_apply(Import.objects.get(pk=first["id"]))
    second = post_file(tenant[2], csv_file(rows), kind="counts").json()
    assert second["repeat_of"] == first["id"]
    r = api.post(f"/imports/{second['id']}/apply", {})
    assert r.status_code == 409 and f"import {first['id']}" in r.json()["detail"]
    assert api.post(f"/imports/{second['id']}/apply", {"confirm_repeat": True}).status_code == 202


def test_another_companys_import_is_a_404(api, other_api, tenant, product_factory, warehouses):
    product_factory("MUG")
    job = post_file(
        tenant[2], csv_file([["sku", "warehouse", "quantity"], ["MUG", "Main", "1"]]), kind="counts"
    ).json()
    assert other_api.get(f"/imports/{job['id']}").status_code == 404
    assert other_api.post(f"/imports/{job['id']}/apply", {}).status_code == 404
    assert other_api.get(f"/imports/{job['id']}/rejected.csv").status_code == 404
    assert other_api.get("/imports").json()["items"] == []


def test_the_other_companys_skus_and_warehouses_are_unknown(
    tenant, company_factory, warehouse_factory, product_factory
):
    other, _, _ = company_factory("Other Co")
    product_factory("THEIRS", company=other)
    warehouse_factory("Main")
    file = csv_file([["sku", "warehouse", "quantity"], ["THEIRS", "Main", "1"]])
    body = post_file(tenant[2], file, kind="counts").json()
    assert body["errors"] == [{"row": 2, "column": "sku", "message": "unknown SKU 'THEIRS'"}]


def test_imports_are_in_the_openapi_schema(api):
    paths = api.get("/openapi.json").json()["paths"]
    assert {
        "/api/v1/imports",
        "/api/v1/imports/{import_id}",
        "/api/v1/imports/{import_id}/apply",
        "/api/v1/imports/{import_id}/rejected.csv",
    } <= set(paths)
    assert "multipart/form-data" in paths["/api/v1/imports"]["post"]["requestBody"]["content"]
