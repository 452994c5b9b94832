"""ledger_record's writes: many lines, new and existing stock rows, ids in line order."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from stockledger.ledger.models import LogEntry
from stockledger.ledger.services import LogLine, ledger_record, stock_adjust, write_transaction
from stockledger.warehouses.models import Stock


@write_transaction
def _receive(*, company, lines, created_at=None):
    return ledger_record(
        company=company, event_type="po_received", lines=lines, created_at=created_at
    )


def test_a_record_of_many_lines_writes_every_row_in_line_order(
    company, warehouses, product_factory, stock_of, verify_clean
):
    main, east = warehouses
    products = [product_factory(f"MANY-{i}") for i in range(60)]
    stock_adjust(company=company, product=products[0], warehouse=main, change=7)
    at = datetime(2026, 2, 1, 8, 30, 15, 250000, tzinfo=UTC)
    lines = [
        LogLine(
            product=products[i % 60],
            warehouse=(main, east)[i % 2],
            physical_change=i + 1,
            quantity=i + 1,
            fields={"event_id": f"PO-{i}", "document_type": "purchase_order", "document_id": i},
        )
        for i in range(250)  # more rows than one INSERT statement carries on SQLite
    ]
    entries = _receive(company=company, lines=lines, created_at=at)

    assert len(entries) == 250
    ids = [e.pk for e in entries]
    assert ids == sorted(ids) and len(set(ids)) == 250
    stored = {e.id: e for e in LogEntry.objects.filter(id__in=ids)}
    for i, entry in enumerate(entries):
        row = stored[entry.pk]
        assert (row.event_id, row.quantity, row.physical_change) == (f"PO-{i}", i + 1, i + 1)
        assert row.created_at == at and row.recorded_at == entry.recorded_at
        assert row.document_id == i and row.went_negative is False
        assert row.warehouse_physical_on_hand == entry.warehouse_physical_on_hand
    # Product k gets lines k, k + 60, ...; their parity (the warehouse) is k's.
    assert stock_of(products[0], main) == (7 + 1 + 61 + 121 + 181 + 241, 0)
    assert stock_of(products[1], east) == (2 + 62 + 122 + 182 + 242, 0)
    assert stock_of(products[1], main) == (0, 0)
    assert Stock.objects.filter(product__in=products).count() == 60
    verify_clean()


def test_values_that_are_not_plain_types_are_stored_as_their_fields_prepare_them(
    company, warehouses, product_factory
):
    widget = product_factory("ODD-1")
    [entry] = _receive(
        company=company,
        lines=[
            LogLine(
                product=widget,
                warehouse=warehouses[0],
                physical_change=3,
                quantity=3,
                fields={"expected_quantity": Decimal("5"), "document_id": "42"},
            )
        ],
        created_at=datetime(2026, 2, 1, 9, 0, tzinfo=UTC) + timedelta(microseconds=1),
    )
    row = LogEntry.objects.get(pk=entry.pk)
    assert (row.expected_quantity, row.document_id) == (5, 42)
    assert row.created_at.microsecond == 1


def test_returned_rows_carry_their_product_warehouse_and_user(
    company, user, warehouses, product_factory, django_assert_num_queries
):
    widget = product_factory("REL-1")
    [entry] = _receive(
        company=company,
        lines=[LogLine(product=widget, warehouse=warehouses[1], physical_change=2, quantity=2)],
    )
    with django_assert_num_queries(0):
        assert entry.product is widget and entry.warehouse is warehouses[1]
        assert entry.company is company and entry.user is None
    assert (entry.product_id, entry.warehouse_id, entry.user_id) == (
        widget.id,
        warehouses[1].id,
        None,
    )


def test_an_unknown_or_repeated_column_in_line_fields_is_a_programming_error(
    company, warehouses, product_factory, db_dump
):
    widget = product_factory("REL-2")
    before = db_dump()
    for fields in ({"no_such_column": 1}, {"quantity": 5}):
        with pytest.raises(TypeError):
            _receive(
                company=company,
                lines=[
                    LogLine(
                        product=widget,
                        warehouse=warehouses[0],
                        physical_change=1,
                        quantity=1,
                        fields=fields,
                    )
                ],
            )
    assert db_dump() == before
