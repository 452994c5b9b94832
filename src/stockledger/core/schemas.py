"""Schemas every API module shares: the error body and the timestamp type."""

import re
from datetime import UTC, datetime
from typing import Annotated

from ninja import Schema
from pydantic import AfterValidator, BeforeValidator, Field, WithJsonSchema


class FieldErrorOut(Schema):
    field: str = Field(..., description="where the problem is, e.g. `lines[0].sku`")
    message: str


class ErrorOut(Schema):
    """Every 4xx (and the rare 500) answers with this body; an error changes nothing."""

    detail: str = Field(..., description="what went wrong, for a person")
    errors: list[FieldErrorOut] | None = Field(
        None, description="per-field problems when the input was invalid"
    )


# The errors a document operation can answer with: unknown id, conflicting state, bad input.
ERRORS = {404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


_ISO_DATETIME = re.compile(r"^\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d")


def _require_text(value: object) -> object:
    # pydantic would read a number as Unix time; the contract says an ISO 8601 string.
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _ISO_DATETIME.match(value):
        raise ValueError(
            "timestamp must be an ISO 8601 string with a UTC offset, e.g. 2025-03-01T09:30:00Z"
        )
    return value


def _require_offset(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            "timestamp needs a UTC offset, e.g. 2025-03-01T09:30:00Z or 2025-03-01T10:30:00+01:00"
        )
    # In UTC from here on: an offset PostgreSQL cannot hold (e.g. +16:49) never reaches it.
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("timestamp is out of range once converted to UTC") from None


Timestamp = Annotated[
    datetime,
    BeforeValidator(_require_text),
    AfterValidator(_require_offset),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date-time",
            "description": "ISO 8601 with a UTC offset (`Z` or `+01:00`); naive times are refused",
        }
    ),
]
"""An input timestamp: ISO 8601 with an offset. Outputs are always rendered in UTC (`Z`)."""
