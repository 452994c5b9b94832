import pytest
from django.db import DatabaseError, connection, transaction

from stockledger.ledger.models import LogEntry
from stockledger.ledger.services import stock_adjust


@pytest.fixture
def entry(company, warehouses, product_factory):
    widget = product_factory("AO-1")
    return stock_adjust(company=company, product=widget, warehouse=warehouses[0], change=5)


def test_the_database_refuses_an_update_of_a_log_row(entry):
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE ledger_logentry SET quantity = 99 WHERE id = %s", [entry.id])
    assert LogEntry.objects.get(pk=entry.pk).quantity == 5


def test_the_database_refuses_a_delete_of_a_log_row(entry):
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM ledger_logentry WHERE id = %s", [entry.id])
    assert LogEntry.objects.filter(pk=entry.pk).exists()


def test_the_orm_offers_no_update_or_delete_of_a_log_row(entry):
    entry.quantity = 1
    with pytest.raises(RuntimeError, match="append-only"):
        entry.save()
    with pytest.raises(RuntimeError, match="append-only"):
        entry.delete()
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic():
            LogEntry.objects.filter(pk=entry.pk).update(quantity=3)
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic():
            LogEntry.objects.filter(pk=entry.pk).delete()
    assert LogEntry.objects.get(pk=entry.pk).quantity == 5


def test_the_admin_offers_no_way_to_add_change_or_delete_log_rows(entry, rf):
    from django.contrib import admin

    from stockledger.core.models import User
    from stockledger.ledger.models import LogEntry

    model_admin = admin.site._registry[LogEntry]
    request = rf.get("/admin/")
    request.user = User(is_superuser=True, is_staff=True)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, entry)
    assert not model_admin.has_delete_permission(request, entry)
    assert "delete_selected" not in model_admin.get_actions(request)
