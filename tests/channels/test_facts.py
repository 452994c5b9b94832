"""ledger_record_facts: the bulk writer of no-stock-change rows agrees with ledger_record."""

import pytest
from django.db import transaction

from stockledger.core.errors import InvalidInput
from stockledger.ledger.facts import ledger_record_facts
from stockledger.ledger.models import EventType, LogEntry
from stockledger.ledger.services import LogLine, ledger_record, write_transaction

QUANTITIES = ("physical_on_hand", "committed", "available_on_hand")


@pytest.fixture
def mixed_catalog(product_factory, warehouses, stock, commit):
    main, east = warehouses
    a = product_factory("A")
    b = product_factory("B")
    oversold = product_factory("OVER")
    product_factory("EMPTY")
    stock(a, main, 9)
    stock(a, east, 4)
    commit(a, main, 3)
    stock(b, east, 5)
    stock(oversold, main, 1)
    commit(oversold, main, 4)  # available -3
    product_factory("KIT-AB", components=[{"sku": "A", "quantity": 2}, {"sku": "B", "quantity": 1}])
    product_factory("KIT-OVER", components=[{"sku": "OVER", "quantity": 1}])
    product_factory("KIT-EMPTY", components=[{"sku": "EMPTY", "quantity": 3}])
    return main, east


def quantities(event_type):
    return {
        e.sku: tuple(getattr(e, q) for q in QUANTITIES)
        for e in LogEntry.objects.filter(event_type=event_type)
    }


def test_fact_rows_record_the_same_quantities_as_ledger_record_including_kits(
    company, mixed_catalog, verify_clean
):
    from stockledger.catalog.models import Product

    products = list(Product.objects.filter(company=company).order_by("id"))

    @write_transaction
    def both():
        ledger_record(
            company=company,
            event_type=EventType.IMPORT,
            lines=[LogLine(product=p) for p in products],
        )
        return ledger_record_facts(company=company, event_type=EventType.CART_WAREHOUSE)

    assert both() == len(products)
    by_ledger = quantities("import")
    by_facts = quantities("cart_warehouse")
    assert by_facts == by_ledger
    assert by_facts["A"] == (13, 3, 10)
    assert by_facts["OVER"] == (1, 4, -3)
    assert by_facts["EMPTY"] == (0, 0, 0)
    # Kit, per warehouse: Main has no B (0 kits); East min(4 // 2, 5 // 1) = 2.
    assert by_facts["KIT-AB"] == (2, 0, 2)
    # A component oversold: the kit is 0 available, never negative; physical 1.
    assert by_facts["KIT-OVER"] == (1, 1, 0)
    assert by_facts["KIT-EMPTY"] == (0, 0, 0)
    verify_clean()


def test_fact_rows_carry_common_and_per_row_columns_and_an_available_override(
    company, mixed_catalog, product_factory, log_of, verify_clean
):
    from stockledger.catalog.models import Product

    a = Product.objects.get(sku="A")
    kit = Product.objects.get(sku="KIT-AB")

    @write_transaction
    def write():
        return ledger_record_facts(
            company=company,
            event_type=EventType.EXPORT,
            rows={
                a.id: {"quantity": 7, "available_on_hand": 7, "explanation": "a"},
                kit.id: {"quantity": 2, "explanation": "k"},
            },
            common={"event_id": "export-1", "delivery_status": "recorded"},
        )

    assert write() == 2
    [row_a] = log_of(a, event_type="export")
    assert (row_a.quantity, row_a.available_on_hand, row_a.physical_on_hand) == (7, 7, 13)
    assert (row_a.explanation, row_a.event_id, row_a.delivery_status) == (
        "a",
        "export-1",
        "recorded",
    )
    assert row_a.warehouse_id is None and row_a.physical_change == 0
    [row_kit] = log_of(kit, event_type="export")
    assert (row_kit.quantity, row_kit.available_on_hand, row_kit.explanation) == (2, 2, "k")
    verify_clean()


def test_fact_rows_refuse_columns_the_ledger_computes_and_other_companies_products(
    company, company_factory, product_factory
):
    other_company = company_factory("Elsewhere")[0]
    theirs = product_factory("THEIRS", company=other_company)
    mine = product_factory("MINE")
    with transaction.atomic():
        with pytest.raises(ValueError, match="physical_change"):
            ledger_record_facts(company=company, event_type="import", common={"physical_change": 1})
        with pytest.raises(ValueError, match="available_on_hand"):
            ledger_record_facts(
                company=company, event_type="import", common={"available_on_hand": 1}
            )
        with pytest.raises(InvalidInput):
            ledger_record_facts(
                company=company, event_type="import", product_ids=[mine.id, theirs.id]
            )
    assert LogEntry.objects.count() == 0


def test_fact_rows_for_some_products_leave_the_others_alone(
    company, mixed_catalog, log_of, verify_clean
):
    from stockledger.catalog.models import Product

    kit = Product.objects.get(sku="KIT-AB")

    @write_transaction
    def write():
        return ledger_record_facts(company=company, event_type="import", product_ids=[kit.id])

    assert write() == 1
    assert [r.sku for r in LogEntry.objects.filter(event_type="import")] == ["KIT-AB"]
    assert quantities("import")["KIT-AB"] == (2, 0, 2)
    verify_clean()
