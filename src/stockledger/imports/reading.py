"""Reading an uploaded spreadsheet row by row: CSV (Excel's UTF-8 BOM, `;` or `,` or TAB,
CRLF) and XLSX (openpyxl in read-only mode, which streams the sheet instead of loading it).

`open_sheet` yields the header once and then each data row with the row number a spreadsheet
shows (the header is row 1); blank rows are skipped. Cells come back as stripped strings
whatever the format, so the checks that follow are the same for both.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from stockledger.core.errors import InvalidInput

from .models import ImportFormat

DELIMITERS = (";", ",", "\t")


@dataclass
class Sheet:
    header: list[str]
    rows: Iterator[tuple[int, list[str]]]


def header_key(name: str) -> str:
    """A column name as matched: case-insensitive, spaces / dashes / dots as underscores."""
    return re.sub(r"[\s\-.]+", "_", (name or "").strip().lower()).strip("_")


def sniff_delimiter(first_line: str) -> str:
    """The header's separator: the candidate it holds most of (a `;` from European Excel)."""
    counts = {d: first_line.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


@contextmanager
def open_sheet(path: Path | str, fmt: str) -> Iterator[Sheet]:
    if fmt == ImportFormat.XLSX:
        with _xlsx(path) as sheet:
            yield sheet
    else:
        with _csv(path) as sheet:
            yield sheet


@contextmanager
def _csv(path: Path | str) -> Iterator[Sheet]:
    raw = open(path, "rb")  # noqa: SIM115 - closed below
    try:
        # utf-8-sig drops Excel's BOM; newline="" lets the csv module handle CRLF and line
        # breaks inside quoted cells.
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        try:
            first = text.readline()
        except UnicodeDecodeError:
            raise InvalidInput(
                "the file is not UTF-8 text: save it as 'CSV UTF-8' (or as XLSX)", field="file"
            ) from None
        delimiter = sniff_delimiter(first)
        header = next(csv.reader([first], delimiter=delimiter), [])
        reader = csv.reader(text, delimiter=delimiter)

        def rows() -> Iterator[tuple[int, list[str]]]:
            number = 1
            try:
                for record in reader:
                    number += 1
                    cells = [c.strip() for c in record]
                    if any(cells):
                        yield number, cells
            except UnicodeDecodeError:
                raise InvalidInput(
                    f"row {number + 1} is not UTF-8 text: save the file as 'CSV UTF-8'",
                    field="file",
                ) from None
            except csv.Error as exc:
                raise InvalidInput(
                    f"row {number + 1} cannot be read: {exc}", field="file"
                ) from None

        yield Sheet(header=[c.strip() for c in header], rows=rows())
    finally:
        raw.close()


@contextmanager
def _xlsx(path: Path | str) -> Iterator[Sheet]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise InvalidInput(
            f"the file is not a readable XLSX workbook ({exc})", field="file"
        ) from None
    except Exception as exc:  # zipfile.BadZipFile and friends
        raise InvalidInput(
            f"the file is not a readable XLSX workbook ({exc})", field="file"
        ) from None
    try:
        sheet = book.worksheets[0]
        values = sheet.iter_rows(values_only=True)
        header = [_cell(v) for v in next(values, ())]
        while header and not header[-1]:
            header.pop()

        def rows() -> Iterator[tuple[int, list[str]]]:
            for number, record in enumerate(values, start=2):
                cells = [_cell(v) for v in record]
                if any(cells):
                    yield number, cells

        yield Sheet(header=header, rows=rows())
    finally:
        book.close()
