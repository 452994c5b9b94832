"""Input checks shared by the document services (purchase orders, transfers, returns, ...).

Each raises InvalidInput naming the request field, so the API and the pages can point at it.
"""

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Model, QuerySet
from django.db.models.functions import Length
from django.utils import timezone

from .errors import InvalidInput
from .limits import LINES_MAX, NOTES_MAX, NUMBER_MAX, QUANTITY_MAX


def clean_document_number(value: Any, *, field: str = "number", label: str = "number") -> str:
    """A document number as people type it: trimmed, non-empty, printable, at most 100 chars.
    `label` names it in the messages ("order number")."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{label} must be a non-empty string", field=field)
    number = value.strip()
    if len(number) > NUMBER_MAX:
        raise InvalidInput(f"{label} is longer than {NUMBER_MAX} characters", field=field)
    if any(ord(ch) < 32 for ch in number):
        raise InvalidInput(f"{label} must not contain control characters", field=field)
    return number


def number_taken(label: str, number: str | None) -> InvalidInput:
    """The error for a document number the company already used ("transfer 'T-1' already
    exists", naming `number`)."""
    return InvalidInput(f"{label} {number!r} already exists", field="number")


@contextmanager
def unique_number(label: str, number: str | None) -> Iterator[None]:
    """A savepoint around a numbered document's insert: a concurrent duplicate number (the
    unique constraint, after the service's own check passed) is `number_taken`, a clean 422,
    and the service's transaction stays usable."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError:
        raise number_taken(label, number) from None


def clean_quantity(value: Any, *, field: str, minimum: int = 1) -> int:
    """A whole number of units between `minimum` and a billion."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidInput("quantity must be a whole number", field=field)
    if value < minimum:
        what = "positive" if minimum == 1 else f"at least {minimum}"
        raise InvalidInput(f"quantity must be {what}", field=field)
    if value > QUANTITY_MAX:
        raise InvalidInput(f"quantity must be at most {QUANTITY_MAX}", field=field)
    return value


def clean_units(value: Any, *, field: str, maximum: int) -> int:
    """A positive whole number of units up to `maximum` (an order line, a manufacturing order,
    a kit component)."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise InvalidInput("quantity must be a positive whole number", field=field)
    if value > maximum:
        raise InvalidInput(f"quantity must be at most {maximum:,}", field=field)
    return value


def clean_notes(value: Any, *, field: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput("notes must be text", field=field)
    notes = value.strip()
    if len(notes) > NOTES_MAX:
        raise InvalidInput(f"notes are longer than {NOTES_MAX} characters", field=field)
    return notes


def clean_lines(lines: Any, *, field: str = "lines") -> Sequence[Mapping[str, Any]]:
    """A non-empty list of line mappings (at most 1,000 lines per document)."""
    if not isinstance(lines, Sequence) or isinstance(lines, str | bytes) or not lines:
        raise InvalidInput("give at least one line", field=field)
    if len(lines) > LINES_MAX:
        raise InvalidInput(f"a document has at most {LINES_MAX} lines", field=field)
    for i, line in enumerate(lines):
        if not isinstance(line, Mapping):
            raise InvalidInput("each line must be an object", field=f"{field}[{i}]")
    return lines


def clean_event_time(at: datetime | None, *, field: str) -> datetime:
    """When a document's event happened: `at` (no more than five minutes ahead of the
    clock, for clock skew), or now when it is None."""
    now = timezone.now()
    if at is not None and at > now + timedelta(minutes=5):
        raise InvalidInput(f"{field} is in the future", field=field)
    return at or now


def check_owned(obj: Model, company: Any, *, field: str, label: str) -> None:
    """Refuse an object of another company handed to a service (callers resolve ids scoped)."""
    if getattr(obj, "company_id", None) != company.id:
        raise InvalidInput(f"unknown {label} {obj.pk!r}", field=field)


def next_document_number(qs: QuerySet[Any], *, prefix: str, field: str = "number") -> str:
    """The number after the highest `<prefix><digits>` in `qs` (PO-000124 after PO-000123),
    zero-padded to six digits; `<prefix>000001` when there is none. A suggestion: the
    document's unique constraint still decides."""
    highest = (
        qs.filter(**{f"{field}__regex": rf"^{re.escape(prefix)}[0-9]+$"})
        .annotate(number_length=Length(field))
        .order_by("-number_length", f"-{field}")
        .values_list(field, flat=True)
        .first()
    )
    n = int(highest[len(prefix) :]) + 1 if highest else 1
    return f"{prefix}{n:06d}"
