import pytest
from django.core.management import call_command
from django.db import connection

from stockledger.ledger.services import stock_adjust
from stockledger.warehouses.models import Stock


def test_verify_reports_ok_on_a_consistent_log(company, warehouses, product_factory, capsys):
    widget = product_factory("V-1")
    for change in (5, 3, -2):
        stock_adjust(company=company, product=widget, warehouse=warehouses[0], change=change)
    call_command("verify")
    assert "verify: OK, 3 log rows replayed" in capsys.readouterr().out


def test_verify_exits_1_naming_the_sku_when_stock_drifted_from_the_log(
    company, warehouses, product_factory, capsys
):
    widget = product_factory("V-2")
    stock_adjust(company=company, product=widget, warehouse=warehouses[0], change=5)
    # Simulate a write that went around the ledger.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE warehouses_stock SET physical_on_hand = 9 WHERE product_id = %s", [widget.id]
        )
    assert Stock.objects.get(product=widget).physical_on_hand == 9
    with pytest.raises(SystemExit) as exit_info:
        call_command("verify", company=company.id)
    assert exit_info.value.code == 1
    out = capsys.readouterr().out
    assert "SKU V-2" in out and "recorded 9, replay gives 5" in out
