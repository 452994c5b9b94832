"""Importing on-hand counts: preview with bad rows, all-or-nothing apply through the ledger."""

import pytest

from stockledger.core.errors import Conflict
from stockledger.imports.models import ImportRow, ImportRowError
from stockledger.imports.selectors import import_errors
from stockledger.ledger.services import stock_set

from .conftest import csv_file

HEADER = ["SKU", "Warehouse", "Quantity", "Mode", "Reason", "Note"]


@pytest.fixture
def catalog(product_factory, warehouses):
    return product_factory("MUG"), product_factory("CUP"), product_factory("BOWL")


def errors_of(job):
    return [(e.row_number, e.column, e.message) for e in import_errors(job)]


def test_a_count_file_with_bad_rows_is_previewed_with_row_column_and_reason_and_changes_nothing(
    upload, catalog, warehouses, log_of, product_factory
):
    product_factory("KIT", components=[{"sku": "MUG", "quantity": 1}])
    job = upload(
        "counts",
        csv_file(
            [
                HEADER,
                ["MUG", "Main", "10", "set", "cycle count", "shelf A"],
                ["NOPE", "Main", "1", "", "", ""],
                ["CUP", "Attic", "1", "", "", ""],
                ["CUP", "Main", "-4", "set", "", ""],
                ["BOWL", "Main", "ten", "", "", ""],
                ["MUG", "main", "3", "", "", ""],
                ["KIT", "Main", "3", "", "", ""],
                ["BOWL", "East", "1.5", "adjust", "stolen", ""],
                ["CUP", "East", "-1", "adjust", "", ""],
            ]
        ),
    )
    assert job.status == "invalid"
    assert job.rows_read == 9 and job.rows_bad == 8
    assert errors_of(job) == [
        (3, "sku", "unknown SKU 'NOPE'"),
        (4, "warehouse", "unknown warehouse 'Attic'"),
        (5, "quantity", "negative count: a count cannot be below zero"),
        (6, "quantity", "quantity 'ten' is not a number"),
        (7, "sku", "duplicate: MUG in this warehouse is also on row 2"),
        (8, "sku", "KIT is a kit: kits hold no stock; count its components"),
        (9, "quantity", "quantity '1.5' is not a whole number"),
        (
            9,
            "reason",
            "unknown reason 'stolen': one of cycle_count, correction, damaged, "
            "shrinkage, received_without_po, promotion, other",
        ),
        (10, "quantity", "would leave physical on hand below zero: 0 there, cannot take 1"),
    ]
    assert job.actions == {"set": 1}
    for product in catalog:
        assert log_of(product) == []
    # It cannot be applied: its one good row is not kept; its bad rows are (the rejected file).
    assert not ImportRow.objects.filter(job=job).exists()
    assert ImportRowError.objects.filter(job=job).count() == 9


def test_a_good_count_file_applies_as_on_hand_rows_with_the_users_name_and_reason(
    upload, confirm_and_run, catalog, warehouses, user, log_of, stock_of, verify_clean
):
    mug, cup, _ = catalog
    main, east = warehouses
    stock_set(company=mug.company, product=cup, warehouse=east, physical_on_hand=5)
    job = upload(
        "counts",
        csv_file(
            [
                HEADER,
                ["MUG", "Main", "10", "set", "Cycle count", "shelf A"],
                ["CUP", "East", "-2", "adjust", "damaged", "dropped"],
                ["CUP", str(main.id), "0", "", "", ""],
            ]
        ),
    )
    assert job.status == "ready", errors_of(job) or job.error
    assert job.actions == {"set": 2, "adjust": 1}
    assert log_of(mug) == []
    assert ImportRow.objects.filter(job=job).count() == 3  # staged until applied
    job = confirm_and_run(job)
    assert job.status == "complete" and job.rows_applied == 3
    assert not ImportRow.objects.filter(job=job).exists()  # applied: nothing reads them again
    [m] = log_of(mug)
    assert (m.event_type, m.quantity, m.physical_on_hand, m.user_name, m.reason, m.note) == (
        "on_hand",
        10,
        10,
        user.username,
        "cycle_count",
        "shelf A",
    )
    counted = log_of(cup)[1:]
    assert [(e.warehouse_name, e.quantity, e.reason, e.user_name) for e in counted] == [
        ("East", -2, "damaged", user.username),
        ("Main", 0, None, user.username),
    ]
    assert stock_of(cup, east) == (3, 0) and stock_of(mug, main) == (10, 0)
    verify_clean()


def test_apply_is_all_or_nothing_when_stock_changed_since_the_preview(
    upload, confirm_and_run, catalog, warehouses, log_of, stock_of
):
    mug, cup, _ = catalog
    main = warehouses[0]
    stock_set(company=mug.company, product=cup, warehouse=main, physical_on_hand=2)
    job = upload(
        "counts",
        csv_file(
            [HEADER, ["MUG", "Main", "7", "", "", ""], ["CUP", "Main", "-2", "adjust", "", ""]]
        ),
    )
    assert job.status == "ready"
    stock_set(company=mug.company, product=cup, warehouse=main, physical_on_hand=1)
    job = confirm_and_run(job)
    assert job.status == "failed"
    assert "row 3, quantity" in job.error and "nothing was applied" in job.error
    assert log_of(mug) == [] and stock_of(mug, main) == (0, 0)
    refused = ImportRowError.objects.get(job=job, row_number=3)
    assert refused.cells == ["CUP", "Main", "-2", "adjust", "", ""]  # read before the drop
    assert not ImportRow.objects.filter(job=job).exists()


def test_importing_the_same_file_twice_asks_before_applying_it_again(
    upload, confirm_and_run, catalog, warehouses, log_of, company, user
):
    mug = catalog[0]
    rows = [HEADER, ["MUG", "Main", "4", "adjust", "", ""]]
    first = confirm_and_run(upload("counts", csv_file(rows)))
    assert first.status == "complete"
    second = upload("counts", csv_file(rows))
    assert second.status == "ready" and second.repeat_of_id == first.id
    from stockledger.imports.services import import_confirm

    with pytest.raises(Conflict) as err:
        import_confirm(company=company, user=user, import_id=second.id)
    assert f"import {first.id}" in err.value.message
    assert len(log_of(mug)) == 1
    second = confirm_and_run(second, again=True)
    assert second.status == "complete"
    assert [e.physical_on_hand for e in log_of(mug)] == [4, 8]


def test_an_import_with_bad_rows_cannot_be_confirmed(upload, catalog, company, user):
    job = upload("counts", csv_file([HEADER, ["NOPE", "Main", "1", "", "", ""]]))
    from stockledger.imports.services import import_confirm

    with pytest.raises(Conflict):
        import_confirm(company=company, user=user, import_id=job.id)


def test_a_large_file_is_checked_by_a_worker_while_the_page_waits_for_nothing(
    upload, catalog, settings, log_of
):
    from stockledger.imports.tasks import check_import

    settings.STOCKLEDGER_IMPORT_INLINE_BYTES = 10
    job = upload("counts", csv_file([HEADER, ["MUG", "Main", "3", "", "", ""]]))
    assert job.status == "validating" and job.task_id
    check_import.call(job.id)
    job.refresh_from_db()
    assert (job.status, job.rows_read, job.actions) == ("ready", 1, {"set": 1})
    assert log_of(catalog[0]) == []


def test_the_migration_drops_the_staged_rows_only_of_imports_that_ended(company):
    import importlib

    from django.apps import apps

    from stockledger.imports.models import Import

    migration = importlib.import_module(
        "stockledger.imports.migrations.0002_drop_staged_rows_of_ended_imports"
    )
    statuses = ["validating", "ready", "queued", "running", "complete", "failed", "invalid"]
    jobs = {}
    for status in statuses:
        jobs[status] = Import.objects.create(
            company=company, kind="counts", format="csv", original_name="f.csv",
            file_name=status, size=1, status=status,
        )  # fmt: skip
        ImportRow.objects.create(job=jobs[status], row_number=2, action="set", sku="MUG")
        ImportRowError.objects.create(job=jobs[status], row_number=3, message="bad")
    migration.drop(apps, None)
    kept = set(ImportRow.objects.values_list("job__status", flat=True))
    assert kept == {"validating", "ready", "queued", "running"}
    assert ImportRowError.objects.count() == len(statuses)


@pytest.mark.postgres_only
def test_a_large_import_refreshes_the_staging_tables_statistics(upload, catalog, monkeypatch):
    from django.db import connection

    from stockledger.imports import table_stats

    def planned_rows() -> float:
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'imports_importrow'")
            return cursor.fetchone()[0]

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE imports_importrow")  # as a table whose last rows were deleted
    assert planned_rows() == 0
    monkeypatch.setattr(table_stats, "ANALYZE_AFTER_ROWS", 3)
    job = upload(
        "counts",
        csv_file([HEADER, *([sku, "Main", "1", "", "", ""] for sku in ("MUG", "CUP", "BOWL"))]),
    )
    assert job.status == "ready"
    assert planned_rows() == 3


def _planned_rows(table: str) -> float:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [table])
        return cursor.fetchone()[0]


@pytest.mark.postgres_only
def test_a_large_count_import_refreshes_the_catalogues_statistics_before_applying(
    upload, confirm_and_run, catalog, company, monkeypatch
):
    """A plan cached while the catalogue was one product must not check 100,000 rows."""
    from django.db import connection

    from stockledger.catalog.models import Product
    from stockledger.imports import services, table_stats

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE catalog_product")
        cursor.execute("ANALYZE warehouses_stock")
    before = _planned_rows("catalog_product")
    Product.objects.bulk_create(
        Product(company=company, sku=f"NEW-{i}", name=f"new {i}") for i in range(200)
    )
    seen = {}
    apply = services.import_apply

    def spy(**kwargs):
        seen["products"] = _planned_rows("catalog_product")
        return apply(**kwargs)

    monkeypatch.setattr(services, "import_apply", spy)
    monkeypatch.setattr(table_stats, "ANALYZE_AFTER_ROWS", 3)
    job = upload(
        "counts",
        csv_file([HEADER, *([sku, "Main", "1", "", "", ""] for sku in ("MUG", "CUP", "BOWL"))]),
    )
    assert confirm_and_run(job).status == "complete"
    assert before == 3 and seen["products"] == 203


@pytest.mark.postgres_only
def test_a_small_count_import_leaves_the_statistics_to_autovacuum(
    upload, confirm_and_run, catalog, company
):
    from django.db import connection

    from stockledger.catalog.models import Product

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE catalog_product")
    Product.objects.bulk_create([Product(company=company, sku="NEW-1", name="new")])
    job = upload("counts", csv_file([HEADER, ["MUG", "Main", "1", "", "", ""]]))
    assert confirm_and_run(job).status == "complete"
    assert _planned_rows("catalog_product") == 3
