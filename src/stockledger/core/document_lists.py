"""Filters every document list shares (purchase orders, returns, transfers, MOs, orders).

The API and the pages pass what the caller typed; a status outside the document's choices is
refused naming the `status` field, and empty values leave a filter off.
"""

from typing import Any, TypeVar

from django.db.models import Model, QuerySet, TextChoices

from .errors import InvalidInput

M = TypeVar("M", bound=Model)


def with_status(
    qs: QuerySet[M, Any], status: str | None, *, choices: type[TextChoices]
) -> QuerySet[M, Any]:
    """`qs` kept to documents in `status` (one of `choices`); all of them when it is empty."""
    if not status:
        return qs
    if status not in choices.values:
        raise InvalidInput(f"status must be one of {', '.join(choices.values)}", field="status")
    return qs.filter(status=status)


def with_number_like(qs: QuerySet[M, Any], number: str | None) -> QuerySet[M, Any]:
    """`qs` kept to documents whose number contains `number` (any case); all when empty."""
    return qs.filter(number__icontains=number) if number else qs
