"""Reading files as spreadsheets write them: Excel's BOM, `;` separators, CRLF, XLSX."""

import pytest

from stockledger.imports.checks import parse_components, parse_whole
from stockledger.imports.reading import header_key, sniff_delimiter

from .conftest import csv_file, xlsx_file


@pytest.fixture
def catalog(product_factory, warehouses):
    return product_factory("MUG-1"), product_factory("CUP-1")


def preview(job):
    return job.status, job.rows_read, job.rows_bad, job.actions


@pytest.mark.parametrize(
    "options",
    [
        {"bom": True, "delimiter": ";", "newline": "\r\n"},  # Excel "CSV UTF-8", European locale
        {"bom": True, "delimiter": ",", "newline": "\r\n"},
        {"bom": False, "delimiter": ",", "newline": "\n"},
        {"bom": False, "delimiter": "\t", "newline": "\r\n"},
    ],
)
def test_csv_dialects_read_the_same(upload, catalog, options):
    rows = [
        ["Sku", "WAREHOUSE", "Quantity", "Note"],
        ["MUG-1", "Main", "4", "shelf A"],
        ["CUP-1", "East", "2", "bin 3"],
    ]
    job = upload("counts", csv_file(rows, **options))
    assert preview(job) == ("ready", 2, 0, {"set": 2})


def test_quoted_cells_with_separators_and_line_breaks_survive(
    upload, catalog, log_of, confirm_and_run
):
    data = (
        '\ufeffsku;warehouse;quantity;note\r\nMUG-1;Main;4;"counted; twice\r\nby Ann"\r\n'
    ).encode()
    from django.core.files.uploadedfile import SimpleUploadedFile

    job = upload("counts", SimpleUploadedFile("c.csv", data))
    assert preview(job) == ("ready", 1, 0, {"set": 1})
    confirm_and_run(job)
    assert log_of(catalog[0])[0].note == "counted; twice\r\nby Ann"


def test_xlsx_written_by_openpyxl_is_read_with_numbers_as_numbers(upload, catalog):
    rows = [
        ["SKU", "Warehouse", "Quantity", "Mode"],
        ["MUG-1", "Main", 4, "set"],
        ["CUP-1", "East", 2.0, "adjust"],
        [None, None, None, None],
        ["NOPE", "Main", 1.5, None],
    ]
    job = upload("counts", xlsx_file(rows))
    assert job.status == "invalid"
    assert job.actions == {"set": 1, "adjust": 1}
    from stockledger.imports.selectors import import_errors

    assert [(e.row_number, e.column) for e in import_errors(job)] == [(5, "sku"), (5, "quantity")]


def test_a_file_without_a_required_column_is_refused_naming_it(upload, catalog):
    job = upload("counts", csv_file([["sku", "qty"], ["MUG-1", "1"]]))
    assert job.status == "invalid"
    assert "no warehouse column" in job.error


def test_a_non_utf8_csv_or_a_broken_xlsx_is_refused_with_a_message(upload, catalog):
    from django.core.files.uploadedfile import SimpleUploadedFile

    job = upload(
        "counts",
        SimpleUploadedFile("c.csv", "sku,warehouse,quantity\nMÜG,Main,1\n".encode("cp1252")),
    )
    assert job.status == "invalid" and "UTF-8" in job.error
    job = upload("counts", SimpleUploadedFile("c.xlsx", b"not a zip"))
    assert job.status == "invalid" and "XLSX" in job.error


def test_other_file_types_empty_and_oversized_files_are_refused(upload, catalog, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from stockledger.core.errors import InvalidInput

    with pytest.raises(InvalidInput, match=".csv or .xlsx"):
        upload("counts", SimpleUploadedFile("c.pdf", b"%PDF"))
    with pytest.raises(InvalidInput, match="empty"):
        upload("counts", SimpleUploadedFile("c.csv", b""))
    settings.STOCKLEDGER_IMPORT_MAX_BYTES = 10
    with pytest.raises(InvalidInput, match="larger than"):
        upload("counts", SimpleUploadedFile("c.csv", b"sku,warehouse,quantity\n"))


def test_uploaded_files_are_kept_readable_by_the_owner_only(upload, catalog, imports_dir):
    job = upload("counts", csv_file([["sku", "warehouse", "quantity"], ["MUG-1", "Main", "1"]]))
    path = imports_dir / job.file_name
    assert path.stat().st_mode & 0o777 == 0o600
    assert imports_dir.stat().st_mode & 0o777 == 0o700
    import hashlib

    assert job.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_cells_as_spreadsheets_write_them():
    assert sniff_delimiter("sku;warehouse;qty") == ";" and sniff_delimiter("sku") == ","
    assert header_key(" PO Number ") == "po_number"
    assert [parse_whole(t) for t in ("12", "+3", "-4", "7.0", "1,000")] == [12, 3, -4, 7, 1000]
    for bad in ("", "ten", "1.5", "1e10"):
        with pytest.raises(ValueError):
            parse_whole(bad)
    assert parse_components("A:2; B :1;C") == [("A", 2), ("B", 1), ("C", 1)]
