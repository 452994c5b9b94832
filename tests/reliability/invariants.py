"""What must hold of the ledger after anything at all happened to it."""

from __future__ import annotations

import io
from collections import defaultdict

from django.core.management import call_command

from stockledger.catalog.models import Product, ProductKind
from stockledger.ledger.models import LogEntry
from stockledger.ledger.replay import replay
from stockledger.warehouses.models import Stock


def chain_breaks(company=None) -> list[str]:
    """Rows whose warehouse quantities do not follow from the previous row of their product
    and warehouse plus their own signed change (kits hold no stock and are skipped)."""
    rows = LogEntry.objects.exclude(product__kind=ProductKind.KIT).exclude(warehouse=None)
    if company is not None:
        rows = rows.filter(company=company)
    last: dict[tuple[int, int], tuple[int, int]] = {}
    breaks = []
    for seq, product_id, warehouse_id, dp, dc, wp, wc, wa in rows.order_by("id").values_list(
        "id",
        "product_id",
        "warehouse_id",
        "physical_change",
        "committed_change",
        "warehouse_physical_on_hand",
        "warehouse_committed",
        "warehouse_available_on_hand",
    ):
        before_p, before_c = last.get((product_id, warehouse_id), (0, 0))
        if (wp, wc) != (before_p + dp, before_c + dc) or wa != wp - wc:
            breaks.append(
                f"row #{seq}: after ({before_p}, {before_c}) a change of ({dp}, {dc}) "
                f"recorded ({wp}, {wc}, available {wa})"
            )
        last[(product_id, warehouse_id)] = (wp, wc)
    stock = Stock.objects.exclude(product__kind=ProductKind.KIT)
    if company is not None:
        stock = stock.filter(company=company)
    for product_id, warehouse_id, p, c in stock.values_list(
        "product_id", "warehouse_id", "physical_on_hand", "committed"
    ):
        if last.get((product_id, warehouse_id), (0, 0)) != (p, c):
            breaks.append(
                f"stock of product {product_id} in warehouse {warehouse_id} is ({p}, {c}); "
                f"its last row says {last.get((product_id, warehouse_id))}"
            )
    return breaks


def repeated_sequences(company=None) -> int:
    rows = LogEntry.objects.all() if company is None else LogEntry.objects.filter(company=company)
    ids = list(rows.values_list("id", flat=True))
    return len(ids) - len(set(ids))


def verify_output(company=None) -> str:
    out = io.StringIO()
    args = [] if company is None else ["--company", str(company.id)]
    try:
        call_command("verify", *args, stdout=out)
    except SystemExit as exc:  # verify exits 1 on mismatches
        raise AssertionError(f"stockledger verify failed:\n{out.getvalue()}") from exc
    return out.getvalue()


def assert_ledger_consistent(company=None) -> int:
    """Replay, chain, sequence and `stockledger verify`; returns the number of log rows."""
    assert [str(m) for m in replay(company)] == []
    assert chain_breaks(company) == []
    assert repeated_sequences(company) == 0
    output = verify_output(company)
    assert "verify: OK" in output, output
    rows = LogEntry.objects.all() if company is None else LogEntry.objects.filter(company=company)
    return rows.count()


def stock_table(company) -> dict[tuple[int, int], tuple[int, int]]:
    """(product id, warehouse id) -> (physical, committed) of the company's stock rows."""
    return {
        (p, w): (ph, c)
        for p, w, ph, c in Stock.objects.filter(company=company).values_list(
            "product_id", "warehouse_id", "physical_on_hand", "committed"
        )
    }


def log_counts(company) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for event_type in LogEntry.objects.filter(company=company).values_list("event_type", flat=True):
        counts[event_type] += 1
    return dict(counts)


def products_of(company) -> list[Product]:
    return list(Product.objects.filter(company=company).order_by("id"))


def company_dump(company) -> dict:
    """Every row the company owns (models with a company), and the row count of every other
    Stockledger table: enough to say a refused operation wrote nothing."""
    from django.apps import apps

    dump: dict = {}
    for model in apps.get_models():
        if not model.__module__.startswith("stockledger."):
            continue
        names = {f.name for f in model._meta.get_fields()}
        manager = model._default_manager
        if "company" in names:
            dump[model._meta.label] = sorted(
                tuple(sorted((k, str(v)) for k, v in row.items() if k != "last_used_at"))
                for row in manager.filter(company=company).values()
            )
        else:
            dump[model._meta.label] = manager.count()
    return dump


def fingerprint(*, log_upto: int | None = None) -> dict[str, str]:
    """A digest of every row of every Stockledger table, per table, in one query: equal
    before and after means nothing was written (`last_used_at` of API tokens left out).
    `log_upto`: digest only the log rows up to that id (were the old rows left alone?)."""
    from django.apps import apps
    from django.db import connection

    quote = connection.ops.quote_name
    parts = []
    for model in apps.get_models():
        if not model.__module__.startswith("stockledger."):
            continue
        columns = [
            quote(f.column) for f in model._meta.concrete_fields if f.attname != "last_used_at"
        ]
        table = quote(model._meta.db_table)
        label = model._meta.label
        if label == "ledger.LogEntry" and log_upto is not None:
            table = f"(SELECT * FROM {table} WHERE id <= {int(log_upto)}) AS upto"
        if connection.vendor == "postgresql":
            row = f"ROW({', '.join(columns)})::text"
            parts.append(
                f"SELECT '{label}', md5(coalesce(string_agg({row}, '|' ORDER BY {row}), '')) "
                f"FROM {table}"
            )
        else:
            row = " || ',' || ".join(f"quote({c})" for c in columns)
            parts.append(
                f"SELECT '{label}', (SELECT group_concat(r, '|') FROM "
                f"(SELECT {row} AS r FROM {table} ORDER BY r))"
            )
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts))
        return {label: digest or "" for label, digest in cursor.fetchall()}
