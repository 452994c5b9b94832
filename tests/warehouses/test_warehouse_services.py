"""Warehouses: create, rename (old log rows keep their name), archive."""

import csv
import io

import pytest
from django.core.management import call_command

from stockledger.core.errors import Conflict, InvalidInput
from stockledger.ledger.services import stock_adjust, stock_set
from stockledger.transfers.services import transfer_create
from stockledger.warehouses.models import Warehouse
from stockledger.warehouses.services import (
    warehouse_archive,
    warehouse_by_id,
    warehouse_create,
    warehouse_rename,
    warehouse_unarchive,
)

pytestmark = pytest.mark.django_db


def test_a_name_already_used_is_refused_whatever_its_case(company, warehouses):
    with pytest.raises(InvalidInput) as caught:
        warehouse_create(company=company, name="  main ")
    assert caught.value.field == "name"
    with pytest.raises(InvalidInput) as caught:
        warehouse_rename(company=company, warehouse=warehouses[1], name="MAIN")
    assert caught.value.field == "name"
    assert sorted(Warehouse.objects.filter(company=company).values_list("name", flat=True)) == [
        "East",
        "Main",
    ]


def test_a_rename_never_rewrites_old_log_rows(
    company, user, warehouses, product_factory, log_of, tmp_path
):
    main, east = warehouses
    mug = product_factory("MUG")
    stock_set(company=company, product=mug, warehouse=main, physical_on_hand=5)
    transfer_create(
        company=company,
        sending_warehouse=main,
        receiving_warehouse=east,
        lines=[{"sku": "MUG", "quantity": 2}],
        notes="",
        user=user,
    )
    warehouse_rename(company=company, warehouse=main, name="Main Street")
    warehouse_rename(company=company, warehouse=east, name="East Side")
    stock_adjust(company=company, product=mug, warehouse=main, change=-1)

    rows = log_of(mug)
    assert [r.warehouse_name for r in rows] == ["Main", "Main", "East", "Main Street"]
    assert {(r.sending_warehouse_name, r.receiving_warehouse_name) for r in rows[1:3]} == {
        ("Main", "East")
    }
    # The CSV says the same: names as written, not as they are now.
    out = tmp_path / "log.csv"
    call_command("export_log", company=company.id, sku="MUG", output=str(out))
    exported = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [r["warehouse_name"] for r in exported] == ["Main", "Main", "East", "Main Street"]
    assert exported[1]["sending_warehouse_name"] == "Main"
    assert exported[2]["receiving_warehouse_name"] == "East"


def test_an_archived_warehouse_is_refused_for_new_documents(
    company, warehouses, api, product_factory
):
    _, east = warehouses
    product_factory("MUG")
    warehouse_archive(company=company, warehouse=east)
    with pytest.raises(InvalidInput) as caught:
        warehouse_by_id(company=company, warehouse_id=east.id, field="warehouse_id")
    assert caught.value.field == "warehouse_id" and "archived" in caught.value.message
    assert warehouse_by_id(company=company, warehouse_id=east.id, archived_ok=True) == east
    response = api.post(
        "/purchase-orders",
        {"number": "PO-1", "warehouse_id": east.id, "lines": [{"sku": "MUG", "quantity": 1}]},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "warehouse_id"
    warehouse_unarchive(company=company, warehouse=east)
    assert warehouse_by_id(company=company, warehouse_id=east.id) == east


def test_a_warehouse_holding_stock_cannot_be_archived(company, warehouses, product_factory):
    main, _ = warehouses
    mug = product_factory("MUG")
    stock_set(company=company, product=mug, warehouse=main, physical_on_hand=5)
    with pytest.raises(Conflict) as caught:
        warehouse_archive(company=company, warehouse=main)
    assert "MUG" in caught.value.message
    assert Warehouse.objects.get(pk=main.pk).archived_at is None
    stock_set(company=company, product=mug, warehouse=main, physical_on_hand=0)
    warehouse_archive(company=company, warehouse=main)
    assert Warehouse.objects.get(pk=main.pk).archived_at is not None


def test_another_companys_warehouse_cannot_be_renamed(company, company_factory):
    other, _, _ = company_factory("Other")
    theirs = warehouse_create(company=other, name="Theirs")
    with pytest.raises(InvalidInput):
        warehouse_rename(company=company, warehouse=theirs, name="Mine")
    assert Warehouse.objects.get(pk=theirs.pk).name == "Theirs"
