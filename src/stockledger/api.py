"""The JSON API at /api/v1: one NinjaAPI, a router per app, errors always JSON."""

import logging

from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from stockledger.core.auth import TokenAuth
from stockledger.core.errors import DomainError

log = logging.getLogger(__name__)

api = NinjaAPI(
    title="Stockledger API",
    version="1",
    description=(
        "Inventory management around an append-only Inventory Log. Authenticate with "
        "`Authorization: Bearer <token>`. Errors are JSON `{detail, errors?: [{field, message}]}` "
        "with a 4xx status and change nothing."
    ),
    auth=TokenAuth(),
    urls_namespace="api",
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
    response = api.create_response(request, {"detail": str(exc)}, status=exc.status_code)
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


def _register() -> None:
    from stockledger.catalog.api import router as catalog_router
    from stockledger.channels.api import router as channels_router
    from stockledger.core.api import router as core_router
    from stockledger.exports.api import router as exports_router
    from stockledger.ledger.api import router as ledger_router
    from stockledger.manufacturing.api import router as manufacturing_router
    from stockledger.orders.api import router as orders_router
    from stockledger.purchasing.api import router as purchasing_router
    from stockledger.returns.api import router as returns_router
    from stockledger.transfers.api import router as transfers_router
    from stockledger.warehouses.api import router as warehouses_router

    api.add_router("", core_router)
    api.add_router("", warehouses_router)
    api.add_router("", catalog_router)
    api.add_router("", ledger_router)
    api.add_router("", purchasing_router)
    api.add_router("", transfers_router)
    api.add_router("", channels_router)
    api.add_router("", orders_router)
    api.add_router("", returns_router)
    api.add_router("", manufacturing_router)
    api.add_router("", exports_router)


_register()
