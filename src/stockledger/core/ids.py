"""Row ids as the API and the pages take them: whole numbers from 1 to 2**63 - 1.

Ids are 64-bit signed in the database: a larger number cannot name anything and must not
reach the database (PostgreSQL would refuse it with a 500), so it is refused at the edge.
"""

from typing import Any, TypeGuard

from ninja import Field

# The functions behind ninja's Path/Query markers (those names are Annotated aliases to mypy).
from ninja.params.functions import Path, Query

MAX_ID = 2**63 - 1  # the largest id a database row can have


def is_row_id(value: Any) -> TypeGuard[int]:
    """True for an int (not a bool) that could be a row's id."""
    return type(value) is int and 0 < value <= MAX_ID


def id_field(description: str | None = None) -> Any:
    """A required id in a request body."""
    return Field(..., ge=1, le=MAX_ID, description=description)


def id_path() -> Any:
    """An id in the URL path."""
    return Path(..., ge=1, le=MAX_ID)


def id_query(description: str | None = None) -> Any:
    """An optional id filter in the query string."""
    return Query(None, ge=1, le=MAX_ID, description=description)
