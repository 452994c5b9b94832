"""The API's outer guard: body size, per-token rate limit, and JSON for every error.

For paths under `/api/` only:
- a body above `STOCKLEDGER_MAX_BODY_BYTES` is refused with 413 before anything parses it
  (by Content-Length, or for a body without one by reading at most the limit);
- a request bearing a token over its budget is refused with 429 and `Retry-After`
  (see `ratelimit`);
- any error response that is not JSON (Django's 404 for an unknown path, 405, a CSRF 403,
  a 500 page) is replaced by `{detail}` JSON with the same status, and an exception that
  escapes the view becomes a JSON 500 without a traceback (logged on the server).
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable
from io import BytesIO
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from .json_errors import detail_for_status, error_response
from .models import hash_token
from .ratelimit import rate_limit_store

log = logging.getLogger(__name__)

API_PREFIX = "/api/"
# A JSON `\u0000` escape not itself escaped (an odd number of backslashes before the `u`).
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
KEPT_HEADERS = ("Allow", "Retry-After")


def bearer_token(request: HttpRequest) -> str | None:
    header: str = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        return None
    return raw.strip()


def is_api_request(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def _unauthenticated(request: HttpRequest) -> HttpResponse | None:
    """A 401 when the request bears no valid token: credentials are judged before the rest.

    Only called when the request is about to be refused for something else (size, NUL), so
    an ordinary request costs no extra token lookup here.
    """
    from .auth import user_for_token

    raw = bearer_token(request)
    if raw is not None and user_for_token(raw) is not None:
        return None
    return error_response(401, "missing, invalid or revoked API token")


def _too_large(limit: int) -> HttpResponse:
    return error_response(413, f"request body is larger than the limit of {limit} bytes", errors=[])


class ApiGuardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not is_api_request(request):
            return self.get_response(request)
        refused = self._check_body(request)
        if refused is None:
            limited = self._check_rate(request)
            if limited is not None:
                return limited
            refused = self._check_nul(request)
        if refused is not None:
            # Credentials first: without a valid token, 401 whatever else is wrong.
            return _unauthenticated(request) or refused
        return self._as_json(request, self.get_response(request))

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if not is_api_request(request):
            return None
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal server error")

    def _check_body(self, request: HttpRequest) -> HttpResponse | None:
        limit = int(settings.STOCKLEDGER_MAX_BODY_BYTES)
        declared = request.META.get("CONTENT_LENGTH")
        if declared not in (None, ""):
            try:
                length = int(declared)
            except ValueError:
                return error_response(400, "Content-Length is not a number")
            return _too_large(limit) if length > limit else None
        chunked = "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower()
        if not (chunked or request.META.get("wsgi.input_terminated")):
            return None
        if request.method in ("GET", "HEAD", "OPTIONS", "DELETE") and not chunked:
            return None
        # No length given (chunked): read at most one byte past the limit, then hand Django
        # the buffered body with its length (Django reads nothing without a Content-Length).
        stream = request.META["wsgi.input"]
        data = stream.read(limit + 1)
        if len(data) > limit:
            return _too_large(limit)
        request.META["CONTENT_LENGTH"] = str(len(data))
        request._stream = BytesIO(data)
        return None

    def _check_nul(self, request: HttpRequest) -> HttpResponse | None:
        """NUL characters cannot be stored (PostgreSQL refuses them): refuse them as input."""
        message = "NUL characters (\\u0000) are not accepted"
        if b"\x00" in unquote_to_bytes(request.META.get("QUERY_STRING", "")):
            return error_response(422, message, errors=[{"field": "query", "message": message}])
        if request.method in ("POST", "PUT", "PATCH") and _JSON_NUL.search(request.body):
            return error_response(422, message, errors=[{"field": "body", "message": message}])
        return None

    def _check_rate(self, request: HttpRequest) -> HttpResponse | None:
        if not settings.STOCKLEDGER_RATE_LIMIT_ENABLED:
            return None
        raw = bearer_token(request)
        if raw is None:
            return None
        decision = rate_limit_store().hit(hash_token(raw))
        if decision.allowed:
            return None
        wait = max(1, math.ceil(decision.retry_after))
        response = error_response(429, f"too many requests for this token; retry in {wait} s")
        response["Retry-After"] = str(wait)
        return response

    def _as_json(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if response.status_code < 400:
            return response
        if response.get("Content-Type", "").startswith("application/json"):
            return response
        status = response.status_code
        if status == 404:
            detail = f"no API endpoint at {request.path}"
        elif status == 405:
            detail = f"method {request.method} not allowed here"
            if response.has_header("Allow"):
                detail += f"; allowed: {response['Allow']}"
        elif status == 403:
            detail = "forbidden"
        elif status >= 500:
            detail = "internal server error"
        else:
            detail = detail_for_status(status)
        replacement = error_response(status, detail)
        for header in KEPT_HEADERS:
            if response.has_header(header):
                replacement[header] = response[header]
        return replacement
