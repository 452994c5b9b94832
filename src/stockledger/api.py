"""The JSON API at /api/v1: one NinjaAPI, a router per app, errors always JSON."""

import logging

from django.core.exceptions import ObjectDoesNotExist
from django.db import DataError
from django.http import Http404
from ninja.errors import AuthenticationError, HttpError, ValidationError

from stockledger.core.auth import TokenAuth
from stockledger.core.errors import DomainError
from stockledger.core.openapi import (
    JsonObjectParser,
    StockledgerAPI,
    UtcJSONRenderer,
    local_docs,
)

log = logging.getLogger(__name__)

api = StockledgerAPI(
    title="Stockledger API",
    version="1",
    description=(
        "Inventory management around an append-only Inventory Log. Authenticate with "
        "`Authorization: Bearer <token>`. Errors are JSON `{detail, errors?: [{field, message}]}` "
        "with a 4xx status and change nothing.\n\n"
        "Every POST accepts an `Idempotency-Key` header: sending the same key again (same "
        "body) replays the first response instead of running twice; the same key with another "
        "body is 422, and while the first is still running 409. Keys are kept 24 hours.\n\n"
        "Lists are paginated with `limit` and `cursor` (the previous page's `next_cursor`; "
        "null on the last page). Timestamps are ISO 8601: inputs need an offset (`Z` or "
        "`+01:00`), outputs are UTC. Request bodies are limited in size (413) and each token "
        "to a request rate (429 with `Retry-After`)."
    ),
    auth=TokenAuth(),
    urls_namespace="api",
    renderer=UtcJSONRenderer(),
    parser=JsonObjectParser(),
    docs=local_docs(),
)


def _field_of(loc: list | tuple) -> str:
    parts = [str(p) for p in loc if p not in ("body", "payload", "query", "path")]
    out = ""
    for part in parts:
        out += f"[{part}]" if part.isdigit() else (f".{part}" if out else part)
    return out or "body"


@api.exception_handler(DomainError)
def _domain_error(request, exc: DomainError):
    return api.create_response(
        request, {"detail": exc.message, "errors": exc.as_errors()}, status=exc.status
    )


@api.exception_handler(ValidationError)
def _validation_error(request, exc: ValidationError):
    errors = [
        {"field": _field_of(e.get("loc", ())), "message": e.get("msg", "invalid")}
        for e in exc.errors
    ]
    first = errors[0] if errors else {"field": "body", "message": "invalid"}
    return api.create_response(
        request,
        {"detail": f"{first['field']}: {first['message']}", "errors": errors},
        status=422,
    )


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return api.create_response(
        request, {"detail": "missing, invalid or revoked API token"}, status=401
    )


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    field = getattr(request, "body_error_field", None) if exc.status_code == 400 else None
    if field:  # parsed, but holds text that cannot be stored (JsonObjectParser)
        message = request.body_error.split(": ", 1)[1]
        return api.create_response(
            request,
            {"detail": request.body_error, "errors": [{"field": field, "message": message}]},
            status=422,
        )
    detail = getattr(request, "body_error", None) if exc.status_code == 400 else None
    response = api.create_response(request, {"detail": detail or str(exc)}, status=exc.status_code)
    wait = getattr(exc, "wait", None)
    if wait:
        response["Retry-After"] = str(int(wait))
    return response


@api.exception_handler(Http404)
def _not_found(request, exc):
    return api.create_response(request, {"detail": "not found"}, status=404)


@api.exception_handler(ObjectDoesNotExist)
def _object_not_found(request, exc):
    return api.create_response(request, {"detail": "not found"}, status=404)


@api.exception_handler(DataError)
def _data_error(request, exc: DataError):
    # A value the database cannot hold (too long, out of range) that validation let through.
    log.warning("data error on %s %s: %s", request.method, request.path, exc)
    return api.create_response(
        request, {"detail": "a value is too long or out of range", "errors": []}, status=422
    )


@api.exception_handler(OverflowError)
def _overflow_error(request, exc: OverflowError):
    # SQLite's answer to an integer beyond 64 bits (PostgreSQL's is a DataError, above).
    log.warning("overflow on %s %s: %s", request.method, request.path, exc)
    return api.create_response(
        request, {"detail": "a number is out of range", "errors": []}, status=422
    )


@api.exception_handler(Exception)
def _unexpected(request, exc: Exception):
    log.exception("unhandled error on %s %s", request.method, request.path)
    return api.create_response(request, {"detail": "internal server error"}, status=500)


def _register() -> None:
    from stockledger.catalog.api import router as catalog_router
    from stockledger.channels.api import router as channels_router
    from stockledger.core.api import router as core_router
    from stockledger.core.audit_api import router as audit_router
    from stockledger.core.people_api import router as people_router
    from stockledger.exports.api import router as exports_router
    from stockledger.ledger.api import router as ledger_router
    from stockledger.ledger.reports_api import router as reports_router
    from stockledger.manufacturing.api import router as manufacturing_router
    from stockledger.orders.api import router as orders_router
    from stockledger.orders.bulk_api import router as orders_bulk_router
    from stockledger.purchasing.api import router as purchasing_router
    from stockledger.returns.api import router as returns_router
    from stockledger.transfers.api import router as transfers_router
    from stockledger.warehouses.api import router as warehouses_router

    api.add_router("", core_router)
    api.add_router("", audit_router)
    api.add_router("", people_router)
    api.add_router("", warehouses_router)
    api.add_router("", catalog_router)
    api.add_router("", ledger_router)
    api.add_router("", purchasing_router)
    api.add_router("", transfers_router)
    api.add_router("", channels_router)
    # Before the orders router: /orders/bulk must not be read as /orders/{order_id}.
    api.add_router("", orders_bulk_router)
    api.add_router("", orders_router)
    api.add_router("", returns_router)
    api.add_router("", manufacturing_router)
    api.add_router("", exports_router)
    api.add_router("", reports_router)


_register()
