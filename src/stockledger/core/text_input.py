"""Text a request body may carry: no unpaired UTF-16 surrogates.

JSON allows "\\ud800" on its own, Python reads it into a str, and then the database cannot
encode it as UTF-8 in the middle of a write (a 500). So the API's parser refuses such text as
it reads the body, naming the field, before any service runs. (NUL characters, which
PostgreSQL refuses, are turned away earlier by the API middleware.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, QueryDict

MESSAGE = "text is not valid Unicode (it contains an unpaired surrogate)"


def _unpaired(value: str) -> bool:
    return any("\ud800" <= ch <= "\udfff" for ch in value)


def find_unstorable_text(data: Any, path: str = "") -> str | None:
    """The field of the first key or string in parsed JSON that cannot be stored, or None."""
    if isinstance(data, str):
        return (path or "body") if _unpaired(data) else None
    if isinstance(data, dict):
        for key, value in data.items():
            field = f"{path}.{key}" if path else str(key)
            if _unpaired(str(key)):
                return field
            found = find_unstorable_text(value, field)
            if found:
                return found
    elif isinstance(data, list):
        for i, value in enumerate(data):
            found = find_unstorable_text(value, f"{path}[{i}]")
            if found:
                return found
    return None


class PageTextGuardMiddleware:
    """Pages: a query or form value holding a NUL character is refused (400) before any view
    runs. PostgreSQL cannot store or compare such text (a search for it was a 500); no person
    types one. The JSON API refuses it itself (per field); signed webhooks are raw bytes."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(("/api/", "/hooks/")):
            field = _nul_field(request.GET) or (
                _nul_field(request.POST) if request.method == "POST" else None
            )
            if field is not None:
                from django.http import HttpResponseBadRequest

                return HttpResponseBadRequest(
                    f"{field} must not contain a NUL character", content_type="text/plain"
                )
        return self.get_response(request)


def _nul_field(data: QueryDict) -> str | None:
    for key, values in data.lists():
        if "\x00" in key or any(isinstance(v, str) and "\x00" in v for v in values):
            return key.replace("\x00", "") or "a field"
    return None
