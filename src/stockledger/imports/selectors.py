"""Reads of imports: the company's list, one import's bad rows, the rejected-rows file."""

from __future__ import annotations

import csv
from collections.abc import Iterator

from django.db.models import QuerySet

from stockledger.core.models import Company
from stockledger.ledger.csv_writer import guard_text

from .models import Import, ImportRowError


def imports_for_company(*, company: Company) -> QuerySet[Import]:
    return Import.objects.filter(company=company).select_related("user").order_by("-id")


def import_errors(job: Import, *, limit: int | None = None) -> list[ImportRowError]:
    qs = ImportRowError.objects.filter(job=job).order_by("row_number", "id").defer("cells")
    return list(qs[:limit] if limit else qs)


class _Echo:
    def write(self, value: str) -> str:
        return value


def rejected_rows_csv(job: Import) -> Iterator[str]:
    """The bad rows as CSV: `row`, `column`, `error`, then the row's cells under the file's
    own header (one line per bad row, its reasons joined), streamed. Cells are guarded against spreadsheet formulas."""
    writer = csv.writer(_Echo())
    header = [guard_text(str(h)) for h in job.header or []]
    yield "\ufeff" + writer.writerow(["row", "column", "error", *header])
    current = None
    reasons: list[tuple[str, str]] = []
    cells: list = []
    qs = ImportRowError.objects.filter(job=job).order_by("row_number", "id")
    for error in qs.iterator(chunk_size=2000):
        if current is not None and error.row_number != current:
            yield _line(writer, current, reasons, cells)
            reasons = []
        current, cells = error.row_number, error.cells
        reasons.append((error.column, error.message))
    if current is not None:
        yield _line(writer, current, reasons, cells)


def _line(writer, number: int, reasons, cells) -> str:
    columns = "; ".join(dict.fromkeys(c for c, _ in reasons if c))
    message = "; ".join(m for _, m in reasons)
    return writer.writerow(
        [number, columns, guard_text(message)] + [guard_text(str(c)) for c in cells]
    )
