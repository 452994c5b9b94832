"""The products and warehouses API: edit, archive, delete, tenancy."""

import pytest

from stockledger.catalog.models import Product
from stockledger.ledger.services import stock_set

pytestmark = pytest.mark.django_db


def errors(response):
    return {e["field"]: e["message"] for e in response.json().get("errors", [])}


def test_a_look_alike_sku_is_refused_with_the_field_named(api, product_factory):
    product_factory("B2")
    for sku in ["b2", "Ｂ２", "B\u200b2"]:
        response = api.post("/products", {"sku": sku, "name": "again"})
        assert response.status_code == 422, sku
        assert "sku" in errors(response)
    assert Product.objects.count() == 1


def test_a_kit_is_created_empty_then_given_components_with_patch(api, product_factory):
    product_factory("CUP")
    product_factory("LID")
    kit = api.post("/products", {"sku": "SET", "name": "Set", "kind": "kit"}).json()
    assert (kit["kind"], kit["components"], kit["archived"]) == ("kit", [], False)
    response = api.request(
        "PATCH",
        f"/products/{kit['id']}",
        {
            "name": "Cup set",
            "components": [{"sku": "cup", "quantity": 2}, {"sku": "LID", "quantity": 1}],
        },
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["name"] == "Cup set"
    assert [(c["sku"], c["quantity"]) for c in body["components"]] == [("CUP", 2), ("LID", 1)]
    bad = api.request(
        "PATCH", f"/products/{kit['id']}", {"components": [{"sku": "NOPE", "quantity": 1}]}
    )
    assert bad.status_code == 422 and "components[0].sku" in errors(bad)


def test_put_replaces_a_manufactured_products_bom(api, product_factory):
    product_factory("WOOD")
    product_factory("GLUE")
    chair = product_factory("CHAIR", bom=[{"sku": "WOOD", "quantity": 4}])
    response = api.put(
        f"/products/{chair.id}",
        {"sku": "CHAIR", "name": "Chair", "bom": [{"sku": "GLUE", "quantity": 1}]},
    )
    assert response.status_code == 200
    assert [(b["sku"], b["quantity"]) for b in response.json()["bom"]] == [("GLUE", 1)]


def test_archived_products_leave_the_list_and_are_refused_in_new_documents(
    api, company, warehouses, product_factory
):
    mug = product_factory("MUG")
    product_factory("BOWL")
    stock_set(company=company, product=mug, warehouse=warehouses[0], physical_on_hand=3)
    archived = api.post(f"/products/{mug.id}/archive")
    assert archived.status_code == 200 and archived.json()["archived"] is True
    assert [p["sku"] for p in api.get("/products").json()["items"]] == ["BOWL"]
    assert [p["sku"] for p in api.get("/products", {"archived": "true"}).json()["items"]] == ["MUG"]
    refused = api.post(
        "/purchase-orders",
        {
            "number": "PO-9",
            "warehouse_id": warehouses[0].id,
            "lines": [{"sku": "MUG", "quantity": 1}],
        },
    )
    assert refused.status_code == 422 and "archived" in errors(refused)["lines[0].sku"]
    # The log stays readable.
    assert len(api.get(f"/products/{mug.id}/log").json()["items"]) == 1
    assert api.post(f"/products/{mug.id}/unarchive").json()["archived"] is False


def test_another_companys_product_and_warehouse_are_404(other_api, product_factory, warehouses):
    mug = product_factory("MUG")
    main = warehouses[0]
    assert other_api.request("PATCH", f"/products/{mug.id}", {"name": "x"}).status_code == 404
    assert other_api.post(f"/products/{mug.id}/archive").status_code == 404
    assert other_api.request("PATCH", f"/warehouses/{main.id}", {"name": "x"}).status_code == 404
    assert other_api.post(f"/warehouses/{main.id}/archive").status_code == 404
    mug.refresh_from_db()
    main.refresh_from_db()
    assert (mug.name, mug.archived_at, main.name, main.archived_at) == (
        "Product MUG",
        None,
        "Main",
        None,
    )


def test_a_warehouse_is_renamed_and_archived(api, warehouses):
    main, east = warehouses
    renamed = api.request("PATCH", f"/warehouses/{east.id}", {"name": "East Side"})
    assert renamed.json()["name"] == "East Side"
    taken = api.request("PATCH", f"/warehouses/{east.id}", {"name": "main"})
    assert taken.status_code == 422 and "name" in errors(taken)
    assert api.post(f"/warehouses/{east.id}/archive").json()["archived"] is True
    assert [w["name"] for w in api.get("/warehouses").json()["items"]] == ["Main"]
    assert [w["name"] for w in api.get("/warehouses", {"archived": "true"}).json()["items"]] == [
        "East Side"
    ]
