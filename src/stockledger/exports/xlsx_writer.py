"""Log rows as an XLSX workbook, written in constant memory (XlsxWriter streams each row to
disk as the next one starts).

The same columns as the CSV. Numbers are number cells, booleans boolean cells, timestamps
date-time cells in the export's timezone (Excel has no offsets; the timezone is the one the
export asked for, named in those columns' headers: `created_at (America/New_York)`). Text is always written with `write_string`, so it is a text cell that Excel
never evaluates: no leading-quote guard is added (it would show as a literal quote), unlike
the CSV, where a spreadsheet decides what a cell is.

A sheet holds 1,048,576 rows; a longer export continues on "Log 2", "Log 3", ... each with
the header, frozen and filtered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, tzinfo
from pathlib import Path

import xlsxwriter

from stockledger.ledger.columns import BOOLEAN_COLUMNS, COLUMNS, INTEGER_COLUMNS, TIMESTAMP_COLUMNS

SHEET_MAX_ROWS = 1_048_576
_NUMBER, _TEXT, _BOOL, _TIME = range(4)


def _plan() -> list[tuple[int, int]]:
    plan = []
    for index, name in enumerate(COLUMNS):
        if name in INTEGER_COLUMNS:
            plan.append((index, _NUMBER))
        elif name in BOOLEAN_COLUMNS:
            plan.append((index, _BOOL))
        elif name in TIMESTAMP_COLUMNS:
            plan.append((index, _TIME))
        else:
            plan.append((index, _TEXT))
    return plan


def write_log_xlsx(
    path: Path | str,
    rows: Iterable[tuple],
    *,
    tz: tzinfo = UTC,
    on_progress: Callable[[int], None] | None = None,
    progress_every: int = 10000,
    tmpdir: Path | str | None = None,
    sheet_max_rows: int = SHEET_MAX_ROWS,
) -> int:
    """Write the header and `rows` (tuples in COLUMNS order) to an XLSX file; return the row
    count. `on_progress(count)` is called every `progress_every` rows."""
    workbook = xlsxwriter.Workbook(
        str(path),
        {
            "constant_memory": True,
            "tmpdir": str(tmpdir) if tmpdir else None,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    header = workbook.add_format({"bold": True})
    stamp = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss.000"})
    zone = getattr(tz, "key", None) or str(tz)
    headers = [f"{name} ({zone})" if name in TIMESTAMP_COLUMNS else name for name in COLUMNS]
    plan = _plan()
    last_col = len(COLUMNS) - 1
    per_sheet = sheet_max_rows - 1  # the header takes a row

    def new_sheet(number: int):
        sheet = workbook.add_worksheet("Log" if number == 1 else f"Log {number}")
        sheet.freeze_panes(1, 0)
        for index, kind in plan:
            if kind == _TIME:
                sheet.set_column(index, index, 24)
        for index, name in enumerate(headers):
            sheet.write_string(0, index, name, header)
        return sheet

    sheets = 1
    sheet = new_sheet(sheets)
    count = 0
    r = 0
    try:
        for row in rows:
            if r == per_sheet:
                sheet.autofilter(0, 0, r, last_col)
                sheets += 1
                sheet = new_sheet(sheets)
                r = 0
            r += 1
            for index, kind in plan:
                value = row[index]
                if value is None or value == "":
                    continue
                if kind == _TEXT:
                    sheet.write_string(r, index, value)
                elif kind == _NUMBER:
                    sheet.write_number(r, index, value)
                elif kind == _TIME:
                    sheet.write_datetime(r, index, value.astimezone(tz).replace(tzinfo=None), stamp)
                else:
                    sheet.write_boolean(r, index, value)
            count += 1
            if on_progress is not None and count % progress_every == 0:
                on_progress(count)
        sheet.autofilter(0, 0, r, last_col)
    except BaseException:
        # Interrupted: skip assembling the zip; release the row files in `tmpdir` (the caller
        # removes that folder).
        for worksheet in workbook.worksheets():
            fh = getattr(worksheet, "row_data_fh", None)
            if fh is not None:
                fh.close()
        raise
    workbook.close()
    return count
