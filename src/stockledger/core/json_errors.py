"""The one shape of an API error: `{detail, errors?: [{field, message}]}` with a 4xx (or 500).

Used by the API's exception handlers and by the middleware that answers before (or instead
of) a view: body too large, rate limited, idempotency conflicts, unknown API paths.
"""

from http import HTTPStatus
from typing import Any

from django.http import JsonResponse


def error_response(
    status: int, detail: str, *, errors: list[dict[str, str]] | None = None
) -> JsonResponse:
    body: dict[str, Any] = {"detail": detail}
    if errors is not None:
        body["errors"] = errors
    return JsonResponse(body, status=status)


def detail_for_status(status: int) -> str:
    try:
        return HTTPStatus(status).phrase.lower()
    except ValueError:
        return "error"
