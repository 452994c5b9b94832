"""Line items of the document forms (a transfer's SKUs, a PO's lines, a receipt's quantities).

Rows are posted as `line-<i>-<field>`. Blank rows are ignored; each filled row becomes one
line for the service, and a service error naming `lines[k].<field>` is shown on the row that
became line k.

The editable line lists (SKU picker, quantity, ...) of every document form are one shared
piece: `line_editor(kind)` makes the rows, `web/partials/lines.html` shows them with an
"Add a line" button fed by `web:line_row`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from stockledger.core.errors import DomainError
from stockledger.core.limits import QUANTITY_MAX

MAX_ROWS = 200
_SERVICE_FIELD = re.compile(r"^lines\[(\d+)\](?:\.(\w+))?$")


LABELS = {
    "sku": "SKU",
    "quantity": "Quantity",
    "notes": "Line notes",
    "expected_quantity": "Expected quantity",
}


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    kind: str  # "sku" (a SKU picker with suggestions), "text" or "quantity"


@dataclass
class LineRow:
    index: int
    values: dict[str, str]
    errors: dict[str, list[str]] = field(default_factory=dict)
    fixed: dict[str, object] = field(default_factory=dict)  # what the row is about (a PO line)
    columns: tuple[Column, ...] = ()

    @property
    def cells(self) -> list[dict]:
        """The row's inputs for the shared line template, with their values and errors."""
        return [
            {
                "name": c.name,
                "label": c.label,
                "kind": c.kind,
                "value": self.value(c.name),
                "errors": self.errors.get(c.name, []),
            }
            for c in self.columns
        ]

    def value(self, name: str) -> str:
        return self.values.get(name, "")

    def is_blank(self, names) -> bool:
        return not any(self.values.get(n, "").strip() for n in names)

    def add_error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)


class LineItems:
    """The rows of one form: their values, their errors, and the lines they make."""

    def __init__(
        self,
        data=None,
        *,
        text_fields: tuple[str, ...] = (),
        quantity_fields: tuple[str, ...] = ("quantity",),
        rows: int = 3,
        initial: list[dict] | None = None,
        fixed: list[dict] | None = None,
        allow_zero: bool = False,
        kind: str = "",
        suggest: str = "",
    ) -> None:
        self.text_fields = text_fields
        self.quantity_fields = quantity_fields
        self.names = text_fields + quantity_fields
        self.kind = kind  # the line_editor kind, for the "Add a line" button
        self.suggest = suggest  # which SKUs the picker suggests ("" all, "stocked", ...)
        # Quantities come second, as people say them: "MUG, 4".
        ordered = [n for n in text_fields if n == "sku"] + list(quantity_fields)
        ordered += [n for n in text_fields if n != "sku"]
        self.columns = tuple(
            Column(
                n,
                LABELS.get(n, n.replace("_", " ").capitalize()),
                "sku" if n == "sku" else "quantity" if n in quantity_fields else "text",
            )
            for n in ordered
        )
        self.allow_zero = allow_zero
        self.errors: list[str] = []
        self.rows: list[LineRow] = []
        self.line_rows: list[LineRow] = []  # the filled rows, in the order sent to the service
        count = len(fixed) if fixed is not None else max(rows, len(initial or []))
        if data is not None and fixed is None:
            count = max(rows, min(MAX_ROWS, self._posted_rows(data)))
        for i in range(count):
            if data is not None:
                values = {n: str(data.get(f"line-{i}-{n}", "")).strip() for n in self.names}
            else:
                start = (initial or [])[i] if i < len(initial or []) else {}
                values = {n: "" if start.get(n) is None else str(start[n]) for n in self.names}
            row = LineRow(i, values, fixed=(fixed[i] if fixed else {}), columns=self.columns)
            self.rows.append(row)
        self.bound = data is not None

    @staticmethod
    def _posted_rows(data) -> int:
        highest = -1
        for key in data:
            match = re.match(r"^line-(\d+)-", key)
            if match:
                highest = max(highest, int(match.group(1)))
        return highest + 1

    def clean(self) -> list[dict] | None:
        """The lines for the service, or None when a row is invalid (errors set on it)."""
        lines: list[dict] = []
        self.line_rows = []
        ok = True
        for row in self.rows:
            if row.is_blank(self.names):
                continue
            line: dict = {}
            if "sku" in row.fixed:
                line["sku"] = row.fixed["sku"]
            for name in self.text_fields:
                line[name] = row.value(name)
            for name in self.quantity_fields:
                raw = row.value(name) or "0"
                try:
                    number = int(raw)
                except ValueError:
                    row.add_error(name, "Enter a whole number.")
                    ok = False
                    continue
                minimum = 0 if self.allow_zero else 1
                if number < minimum:
                    row.add_error(name, f"Enter {minimum} or more.")
                    ok = False
                elif number > QUANTITY_MAX:
                    row.add_error(name, "That is more than a billion.")
                    ok = False
                line[name] = number
            if self.allow_zero and all(line.get(n) == 0 for n in self.quantity_fields):
                continue  # a row of zeros: nothing to do on that line
            lines.append(line)
            self.line_rows.append(row)
        if ok and not lines:
            self.errors.append("Fill in at least one line.")
            ok = False
        return lines if ok else None

    def add_service_error(self, exc: DomainError) -> bool:
        """Put an error naming `lines[k].<field>` on its row; False if it names no line."""
        match = _SERVICE_FIELD.match(exc.field or "")
        if not match:
            if exc.field == "lines":
                self.errors.append(exc.message)
                return True
            return False
        k, name = int(match.group(1)), match.group(2) or ""
        if k >= len(self.line_rows):
            self.errors.append(exc.message)
            return True
        row = self.line_rows[k]
        if name not in self.names:
            name = "sku" if "sku" in self.names else self.quantity_fields[0]
        row.add_error(name, exc.message)
        return True

    @property
    def has_errors(self) -> bool:
        return bool(self.errors) or any(row.errors for row in self.rows)


# The editable line lists of the document forms, by kind (the `web:line_row` URL's kind).
EDITORS: dict[str, dict] = {
    "transfer": {"text_fields": ("sku", "notes")},
    "purchase-order": {"text_fields": ("sku",), "suggest": "stocked"},
    "return": {"text_fields": ("sku",), "quantity_fields": ("expected_quantity",)},
    "order": {"text_fields": ("sku",)},
}


def line_editor(kind: str, data=None, *, rows: int = 3, initial: list[dict] | None = None):
    """The rows of a document form's editable line list (SKU picker and quantities)."""
    return LineItems(data, rows=rows, initial=initial, kind=kind, **EDITORS[kind])
