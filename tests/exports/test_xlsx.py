"""XLSX exports: numbers are numbers, text is text (never a formula), header frozen and
filtered, long exports continue on a new sheet."""

import re
import zipfile
from datetime import UTC, datetime
from xml.etree import ElementTree

from stockledger.exports.services import export_create
from stockledger.exports.xlsx_writer import write_log_xlsx
from stockledger.ledger.columns import COLUMNS
from stockledger.ledger.services import stock_adjust, stock_set

from .conftest import run

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


def sheet_cells(path, sheet=1):
    """{(row, column name): (cell type, value)} of a worksheet, and its XML."""
    with zipfile.ZipFile(path) as book:
        xml = book.read(f"xl/worksheets/sheet{sheet}.xml").decode()
    cells = {}
    for cell in ElementTree.fromstring(xml).iterfind(".//m:sheetData/m:row/m:c", NS):
        ref = cell.get("r")
        letters, row = re.match(r"([A-Z]+)(\d+)", ref).groups()
        col = 0
        for ch in letters:
            col = col * 26 + ord(ch) - 64
        kind = cell.get("t", "n")
        if kind == "inlineStr":
            value = "".join(t.text or "" for t in cell.iterfind(".//m:t", NS))
        else:
            value = cell.find("m:v", NS).text
        cells[(int(row), COLUMNS[col - 1])] = (kind, value)
    return cells, xml


def test_xlsx_cells_have_real_types_and_formulas_stay_text(
    company, user, warehouses, product_factory, storage
):
    widget = product_factory("XL-1")
    stock_set(
        company=company,
        product=widget,
        warehouse=warehouses[0],
        physical_on_hand=7,
        user=user,
        note="=1+1",
        created_at=datetime(2026, 1, 15, 23, 30, tzinfo=UTC),
    )
    stock_adjust(company=company, product=widget, warehouse=warehouses[0], change=-2, note="@x")

    export = run(
        export_create(
            company=company, user=user, product_id=widget.id, format="xlsx", timezone="Europe/Paris"
        )
    )
    assert export.status == "complete" and export.rows == 2
    assert export.download_name.endswith(".xlsx")
    cells, xml = sheet_cells(storage.root / export.file_name)

    assert [cells[(1, name)] for name in ("created_at", "quantity")] == [
        ("inlineStr", "created_at (Europe/Paris)"),  # the zone of the date cells
        ("inlineStr", "quantity"),
    ]
    assert cells[(2, "note")] == ("inlineStr", "=1+1")  # a text cell: shown, never evaluated
    assert cells[(3, "note")] == ("inlineStr", "@x")
    assert "<f>" not in xml
    assert cells[(2, "quantity")] == ("n", "7") and cells[(3, "quantity")] == ("n", "-2")
    assert cells[(3, "physical_change")] == ("n", "-2")
    assert cells[(2, "went_negative")] == ("b", "0")
    # 2026-01-16 00:30 in Paris as an Excel serial date.
    assert abs(float(cells[(2, "created_at")][1]) - 46038.0208333) < 1e-6
    assert (2, "imported_at") not in cells  # blank stays blank
    assert '<pane ySplit="1"' in xml and 'state="frozen"' in xml
    assert '<autoFilter ref="A1:AN3"/>' in xml


def test_a_sheet_that_fills_up_continues_on_the_next_with_its_own_header(tmp_path):
    row = [None] * len(COLUMNS)
    row[COLUMNS.index("created_at")] = datetime(2026, 1, 1, tzinfo=UTC)
    row[COLUMNS.index("sku")] = "S"
    rows = []
    for n in range(5):
        item = list(row)
        item[COLUMNS.index("sequence")] = n + 1
        rows.append(tuple(item))
    path = tmp_path / "out.xlsx"
    assert write_log_xlsx(path, iter(rows), sheet_max_rows=3, tmpdir=tmp_path) == 5
    sheets = [sheet_cells(path, n) for n in (1, 2, 3)]
    assert [
        [v for (r, c), (_, v) in cells.items() if c == "sequence" and r > 1] for cells, _ in sheets
    ] == [["1", "2"], ["3", "4"], ["5"]]
    assert all(cells[(1, "sku")] == ("inlineStr", "sku") for cells, _ in sheets)
    with zipfile.ZipFile(path) as book:
        assert 'name="Log 2"' in book.read("xl/workbook.xml").decode()
    assert list(tmp_path.iterdir()) == [path]  # XlsxWriter's row files are gone
