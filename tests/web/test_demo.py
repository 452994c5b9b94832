"""`stockledger demo`: realistic data through the real services, loaded once."""

import io

import pytest
from django.core.management import call_command
from django.test import Client

from stockledger.catalog.models import Product, ProductKind
from stockledger.core.models import Company
from stockledger.ledger.models import LogEntry
from stockledger.web.demo import login_file

pytestmark = [pytest.mark.django_db, pytest.mark.integration]


def run_demo() -> str:
    out = io.StringIO()
    call_command("demo", stdout=out)
    return out.getvalue()


def test_demo_loads_a_company_whose_log_replays_and_whose_login_works(
    verify_clean, tmp_path, settings
):
    settings.STOCKLEDGER_HOME = tmp_path
    output = run_demo()
    company = Company.objects.get(name="Demo Outfitters")
    rows = LogEntry.objects.filter(company=company)
    assert rows.count() >= 2000
    assert set(Product.objects.filter(company=company).values_list("kind", flat=True)) == {
        ProductKind.SIMPLE,
        ProductKind.KIT,
        ProductKind.MANUFACTURED,
    }
    oldest = rows.order_by("created_at").first().created_at
    newest = rows.order_by("-created_at").first().created_at
    assert (newest - oldest).days >= 85  # spread over about 90 days
    verify_clean(company)
    # Every document page has something to show, and Activity -> Exports has two waiting.
    from stockledger.exports.models import Export
    from stockledger.manufacturing.models import ManufacturingOrder
    from stockledger.orders.models import Order
    from stockledger.purchasing.models import PurchaseOrder
    from stockledger.returns.models import ReturnOrder
    from stockledger.transfers.models import Transfer

    for model in (Order, PurchaseOrder, Transfer, ReturnOrder, ManufacturingOrder):
        assert model.objects.filter(company=company).exists(), model.__name__
    assert Order.objects.filter(company=company, status="open").exists()  # some committed
    assert Export.objects.filter(company=company, status="queued").count() == 2

    login = login_file().read_text()
    assert login.strip() in output
    password = login.split("password ")[1].split()[0]
    client = Client()
    signed_in = client.post("/login/", {"username": "demo", "password": password})
    assert signed_in.status_code == 302
    assert client.get("/products/").status_code == 200

    again = run_demo()
    assert "exists already" in again
    assert Company.objects.filter(name="Demo Outfitters").count() == 1
    assert LogEntry.objects.filter(company=company).count() == rows.count()
