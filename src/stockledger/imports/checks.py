"""The checks behind an import's preview, kind by kind.

Rows arrive in chunks (`CHUNK`); each chunk is checked with one query per thing it names
(SKUs, stock, purchase order numbers) and its good rows staged as `ImportRow`, its bad ones
stored as `ImportRowError`. Checks across the whole file (a SKU twice, a kit's components,
one purchase order's lines agreeing) run at the end as queries over the staged rows, so the
file never has to be in memory at once.

File layouts (first row is the header; names match case-insensitively, spaces or dashes
count as underscores):
- products: `sku`, `name`, optional `kind` (simple | kit | manufactured; from `components`
  when left blank: a kit) and `components` ("SKU-A:2;SKU-B:1": a kit's components, or the
  bill of materials of a manufactured product). A component must exist already or be a
  product of the same file. A SKU that exists is left as it is.
- counts: `sku`, `warehouse` (name or id), `quantity`, optional `mode` (set | adjust;
  default set), `reason` (cycle_count, damaged, ... or its label), `note`.
- purchase_orders: `po_number`, `sku`, `quantity`, optional `supplier`, `warehouse` (name
  or id; may be left out when the company has one warehouse). One row per PO line; the
  rows of one PO must agree on warehouse and supplier.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Count, Min

from stockledger.core.bulk_sql import insert_many, pg_array_types
from stockledger.core.errors import InvalidInput
from stockledger.core.limits import QUANTITY_MAX
from stockledger.core.models import Company
from stockledger.ledger.models import AdjustmentReason
from stockledger.warehouses.models import Warehouse

from .models import Import, ImportKind, ImportRow, ImportRowError
from .reading import header_key

CHUNK = 2000


@dataclass(frozen=True)
class ColumnSpec:
    key: str
    required: bool = False
    aliases: tuple[str, ...] = ()


LAYOUTS: dict[str, tuple[ColumnSpec, ...]] = {
    ImportKind.PRODUCTS: (
        ColumnSpec("sku", True, ("product_sku",)),
        ColumnSpec("name", True, ("product_name", "title")),
        ColumnSpec("kind", False, ("type", "product_kind")),
        ColumnSpec("components", False, ("bom", "bill_of_materials", "kit_components")),
    ),
    ImportKind.COUNTS: (
        ColumnSpec("sku", True, ("product_sku",)),
        ColumnSpec("warehouse", True, ("warehouse_name", "warehouse_id", "location")),
        ColumnSpec("quantity", True, ("qty", "count", "counted", "on_hand")),
        ColumnSpec("mode", False, ("set_or_adjust", "action")),
        ColumnSpec("reason", False, ()),
        ColumnSpec("note", False, ("notes", "comment")),
    ),
    ImportKind.PURCHASE_ORDERS: (
        ColumnSpec("po_number", True, ("po", "number", "purchase_order", "po_no")),
        ColumnSpec("sku", True, ("product_sku",)),
        ColumnSpec("quantity", True, ("qty", "ordered")),
        ColumnSpec("supplier", False, ("vendor",)),
        ColumnSpec("warehouse", False, ("warehouse_name", "warehouse_id")),
    ),
}


def layout_help(kind: str) -> str:
    return ", ".join(f"{c.key}{'' if c.required else ' (optional)'}" for c in LAYOUTS[kind])


def map_header(kind: str, header: Sequence[str]) -> dict[str, int]:
    """{column key: index} for the file's header; refuses a missing required column."""
    keys = [header_key(h) for h in header]
    found: dict[str, int] = {}
    for spec in LAYOUTS[kind]:
        for name in (spec.key, *spec.aliases):
            if name in keys:
                found[spec.key] = keys.index(name)
                break
    missing = [s.key for s in LAYOUTS[kind] if s.required and s.key not in found]
    if missing:
        raise InvalidInput(
            f"the header (row 1) has no {', '.join(missing)} column; "
            f"a {ImportKind(kind).label.lower()} file has: {layout_help(kind)}",
            field="file",
        )
    return found


def parse_whole(text: str) -> int:
    """A whole number as a spreadsheet writes it ("12", "-3", "+4", "12.0", "1,000")."""
    value = text.strip().replace("\u00a0", "").replace(" ", "")
    if re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+", value):
        value = value.replace(",", "")
    if not value:
        raise ValueError("is empty")
    try:
        number = float(value) if "." in value or "e" in value.lower() else int(value)
    except ValueError:
        raise ValueError(f"{text!r} is not a number") from None
    if isinstance(number, float):
        if not number.is_integer():
            raise ValueError(f"{text!r} is not a whole number")
        number = int(number)
    if abs(number) > QUANTITY_MAX:
        raise ValueError(f"{text!r} is out of range")
    return number


REASONS = {r.value: r.value for r in AdjustmentReason} | {
    header_key(r.label): r.value for r in AdjustmentReason
}


class Rows:
    """The row being checked: its cells by column key, and the problems found."""

    def __init__(self, number: int, cells: list[str], columns: dict[str, int]):
        self.number = number
        self.cells = cells
        self.columns = columns
        self.problems: list[tuple[str, str]] = []

    def get(self, key: str) -> str:
        index = self.columns.get(key)
        if index is None or index >= len(self.cells):
            return ""
        return self.cells[index]

    def bad(self, column: str, message: str) -> None:
        self.problems.append((column, message))

    def errors(self, job: Import) -> list[tuple]:
        if not self.problems:
            return []
        cells = json.dumps(self.cells)
        return [(job.id, self.number, c, m, cells) for c, m in self.problems]


class Checks:
    """The checks of one import; subclasses per kind."""

    kind: str

    def __init__(self, job: Import, columns: dict[str, int]):
        self.job = job
        self.company: Company = job.company
        self.columns = columns
        self._warehouses: dict[str, int] | None = None

    # --- shared --------------------------------------------------------------------------

    def warehouse_id(self, row: Rows, *, required: bool = True) -> int | None:
        if self._warehouses is None:
            self._warehouses = {}
            for wid, name in Warehouse.objects.filter(company=self.company).values_list(
                "id", "name"
            ):
                self._warehouses[name.strip().casefold()] = wid
                self._warehouses.setdefault(str(wid), wid)
            self._only = (
                next(iter(set(self._warehouses.values())))
                if len(set(self._warehouses.values())) == 1
                else None
            )
        text = row.get("warehouse")
        if not text:
            if not required and self._only is not None:
                return self._only
            row.bad("warehouse", "no warehouse given")
            return None
        found = self._warehouses.get(text.casefold())
        if found is None:
            row.bad("warehouse", f"unknown warehouse {text!r}")
        return found

    def sku(self, row: Rows, column: str = "sku") -> str:
        text = row.get(column)
        if not text:
            row.bad(column, "no SKU given")
        elif len(text) > 100:
            row.bad(column, "SKU is longer than 100 characters")
        elif any(ord(ch) < 32 for ch in text):
            row.bad(column, "SKU contains control characters")
        return text

    def quantity(self, row: Rows) -> int | None:
        try:
            return parse_whole(row.get("quantity"))
        except ValueError as exc:
            row.bad("quantity", f"quantity {exc}")
            return None

    def store(self, good: list[dict], bad: list[tuple]) -> None:
        """Stage the chunk's rows with plain SQL (bulk_create's per-field preparation was
        most of the time of checking a large file)."""
        # One transaction per chunk: in autocommit every row would be a commit of its own.
        with transaction.atomic(), connection.cursor() as cursor:
            if good:
                insert_many(
                    cursor,
                    table=_table(ImportRow),
                    columns=[connection.ops.quote_name(c) for c in _STAGE_COLUMNS],
                    rows=[
                        [json.dumps(r.pop("cells"))]
                        + [r.get(c, _STAGE_DEFAULTS[c]) for c in _STAGE_COLUMNS[1:]]
                        for r in good
                    ],
                    pg_types=pg_array_types(ImportRow, _STAGE_COLUMNS),
                )
            if bad:
                insert_many(
                    cursor,
                    table=_table(ImportRowError),
                    columns=[connection.ops.quote_name(c) for c in _ERROR_COLUMNS],
                    rows=bad,
                    pg_types=pg_array_types(ImportRowError, _ERROR_COLUMNS),
                )

    def check_chunk(self, chunk: list[tuple[int, list[str]]]) -> int:
        """Check and stage one chunk of rows; return how many were bad."""
        rows = [Rows(n, cells, self.columns) for n, cells in chunk]
        staged = self.check_rows(rows)
        good = [s for r, s in zip(rows, staged, strict=True) if not r.problems and s is not None]
        bad = [e for r in rows for e in r.errors(self.job)]
        self.store(good, bad)
        return sum(1 for r in rows if r.problems)

    def check_rows(self, rows: list[Rows]) -> list[dict | None]:
        raise NotImplementedError

    def finish(self) -> None:
        """Checks across the whole file (over the staged rows)."""

    def refuse_staged(self, pairs: list[tuple[ImportRow, str, str]]) -> None:
        """Move staged rows to the bad ones: (row, column, message)."""
        if not pairs:
            return
        ImportRowError.objects.bulk_create(
            [
                ImportRowError(
                    job=self.job, row_number=r.row_number, column=c, message=m, cells=r.cells
                )
                for r, c, m in pairs
            ],
            batch_size=500,
        )
        ImportRow.objects.filter(id__in=[r.id for r, _, _ in pairs]).delete()

    def duplicates(self, fields: Sequence[str]) -> list[tuple[ImportRow, int]]:
        """Staged rows whose `fields` repeat an earlier row's, with that row's number."""
        staged = ImportRow.objects.filter(job=self.job)
        groups = (
            staged.values(*fields)
            .annotate(n=Count("id"), first=Min("row_number"))
            .filter(n__gt=1)
            .order_by()
        )
        found = []
        for group in groups.iterator(chunk_size=1000):
            first = group["first"]
            same = staged.filter(**{f: group[f] for f in fields}).exclude(row_number=first)
            found += [(row, first) for row in same.only(*_STAGED_BASICS)]
        return found


_STAGED_BASICS = ("id", "row_number", "sku", "cells", "warehouse_id", "document")
_STAGE_COLUMNS = (
    "cells",
    "job_id",
    "row_number",
    "action",
    "sku",
    "product_id",
    "warehouse_id",
    "quantity",
    "reason",
    "note",
    "name",
    "product_kind",
    "components",
    "document",
    "supplier",
)
_ERROR_COLUMNS = ("job_id", "row_number", "column", "message", "cells")
_STAGE_DEFAULTS = dict.fromkeys(_STAGE_COLUMNS, "") | {
    "product_id": None,
    "warehouse_id": None,
    "quantity": None,
}


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def parse_components(text: str) -> list[tuple[str, int]]:
    """ "SKU-A:2;SKU-B:1" (also "SKU-A x2", "SKU-A" for 1, commas between) -> [(sku, qty)]."""
    lines = []
    for part in re.split(r"[;\n|]", text):
        part = part.strip()
        if not part:
            continue
        match = re.fullmatch(r"(.+?)\s*(?::|\s[x*×])\s*(\S+)", part)
        sku, qty_text = (match.group(1), match.group(2)) if match else (part, "1")
        try:
            qty = parse_whole(qty_text)
        except ValueError as exc:
            raise ValueError(f"component {sku.strip()!r}: quantity {exc}") from None
        if qty < 1:
            raise ValueError(f"component {sku.strip()!r}: quantity must be at least 1")
        lines.append((sku.strip(), qty))
    return lines
