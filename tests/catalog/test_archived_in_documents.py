"""Archived products and warehouses are refused in every new document, through the one
look-up the documents share; what exists (receipts, logs) still works."""

import pytest

from stockledger.catalog.services import product_archive
from stockledger.channels.services import channel_create
from stockledger.ledger.models import LogEntry
from stockledger.ledger.services import stock_set
from stockledger.warehouses.services import warehouse_archive

pytestmark = pytest.mark.django_db

PLACED = "2026-03-01T09:00:00Z"


@pytest.fixture
def setup(company, warehouses, product_factory):
    main, east = warehouses
    mug = product_factory("MUG")
    product_factory("BOWL")
    product_factory("CHAIR", bom=[{"sku": "BOWL", "quantity": 1}])
    stock_set(company=company, product=mug, warehouse=main, physical_on_hand=5)
    channel = channel_create(company=company, cart_type="shopify", name="Shop")
    return main, east, mug, channel


def documents(main, east, channel, sku):
    """(path, body, field at fault) of each kind of new document naming `sku`."""
    line = [{"sku": sku, "quantity": 1}]
    return [
        (
            "/orders",
            {
                "channel_id": channel.id,
                "order_number": "1001",
                "placed_at": PLACED,
                "warehouse_id": main.id,
                "lines": line,
            },
            "lines[0].sku",
        ),
        (
            "/purchase-orders",
            {"number": "PO-1", "warehouse_id": main.id, "lines": line},
            "lines[0].sku",
        ),
        (
            "/transfers",
            {
                "sending_warehouse_id": main.id,
                "receiving_warehouse_id": east.id,
                "notes": "",
                "lines": line,
            },
            "lines[0].sku",
        ),
        (
            "/returns",
            {
                "number": "RMA-1",
                "warehouse_id": main.id,
                "lines": [{"sku": sku, "expected_quantity": 1}],
            },
            "lines[0].sku",
        ),
        ("/stock/on-hand", {"sku": sku, "warehouse_id": main.id, "physical_on_hand": 1}, "sku"),
    ]


def test_an_archived_product_is_refused_in_every_new_document(api, company, setup):
    main, east, mug, channel = setup
    product_archive(company=company, product=mug)
    before = LogEntry.objects.count()
    for path, body, field in documents(main, east, channel, "mug"):
        response = api.post(path, body)
        assert response.status_code == 422, (path, response.json())
        errors = {e["field"]: e["message"] for e in response.json()["errors"]}
        assert "archived" in errors[field], path
    bulk = api.post(
        "/orders/bulk",
        {
            "orders": [
                {
                    "channel_id": channel.id,
                    "order_number": "1002",
                    "placed_at": PLACED,
                    "warehouse_id": main.id,
                    "lines": [{"sku": "MUG", "quantity": 1}],
                }
            ]
        },
    )
    assert bulk.json()["results"][0]["status"] == "error"
    assert "archived" in bulk.json()["results"][0]["detail"]
    assert LogEntry.objects.count() == before


def test_an_archived_component_is_refused_for_a_manufacturing_order(api, company, setup):
    main, _, _, _ = setup
    from stockledger.catalog.models import Product

    chair = Product.objects.get(sku="CHAIR")
    product_archive(company=company, product=chair)
    response = api.post(
        "/manufacturing-orders",
        {"number": "MO-1", "sku": "chair", "quantity": 1, "warehouse_id": main.id},
    )
    assert response.status_code == 422 and "archived" in response.json()["detail"]


def test_an_archived_warehouse_is_refused_in_every_new_document(
    api, company, setup, product_factory
):
    main, east, _, channel = setup
    warehouse_archive(company=company, warehouse=east)
    for path, body, _ in documents(east, main, channel, "BOWL"):
        response = api.post(path, body)
        assert response.status_code == 422, path
        assert "archived" in response.json()["detail"], path


def test_a_purchase_order_raised_before_archiving_is_still_received(api, company, setup):
    main, _, mug, _ = setup
    po = api.post(
        "/purchase-orders",
        {"number": "PO-7", "warehouse_id": main.id, "lines": [{"sku": "MUG", "quantity": 3}]},
    ).json()
    product_archive(company=company, product=mug)
    receipt = api.post(
        f"/purchase-orders/{po['id']}/receipts",
        {"number": "GR-1", "lines": [{"sku": "MUG", "quantity": 3}]},
    )
    assert receipt.status_code == 201, receipt.json()
    assert LogEntry.objects.filter(product=mug, event_type="po_received").count() == 1
