"""What every document list shares (purchase orders, returns, transfers, MOs, orders).

- Filters: the API and the pages pass what the caller typed; a status outside the
  document's choices is refused naming the `status` field, and empty values leave a filter
  off.
- The API's paging: `?limit=&cursor=` after the list's own filters, newest first:

      @router.get("/transfers", response=TransferListOut)
      def list_transfers(request, number: str | None = Query(None),
                         limit: int = list_limit(), cursor: str | None = list_cursor()):
          qs = transfers_for(company=request.company, number=number)
          return document_page(qs, limit=limit, cursor=cursor, out=summary_out)

  (Plain parameters, not a query schema: a schema beside other parameters would be
  published as a component of its own.)
"""

from collections.abc import Callable
from typing import Any, TypeVar

from django.db.models import Model, QuerySet, TextChoices

# The function behind ninja's Query marker (the name is an Annotated alias to mypy).
from ninja.params.functions import Query

from .errors import InvalidInput
from .pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, id_page

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


def list_limit() -> Any:
    """`?limit=`: rows a page, 1 to 500, 50 when left out."""
    return Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)


def list_cursor(*, described: bool = False) -> Any:
    """`?cursor=`: the previous page's `next_cursor`. Manufacturing orders and orders were
    published with a description of it, the other lists without: `described` keeps each
    list's published schema (and the clients generated from it) as it was."""
    return Query(None, description="next_cursor of the previous page" if described else None)


def document_page(
    qs: QuerySet[Any], *, limit: int, cursor: str | None, out: Callable[[Any], Any]
) -> Page:
    """One page of a document list, newest first, each row answered as `out(row)`."""
    return id_page(qs, limit=limit, cursor=cursor, transform=lambda rows: [out(r) for r in rows])
