"""The NinjaAPI the JSON API is built on: UTC timestamps out, and a schema that documents errors.

Each app's router declares its success responses; the error responses every operation can
give are the same everywhere, so they are added here once, from what the operation accepts:

- 400 malformed JSON and 413 body too large: operations with a request body;
- 401 bad token and 429 rate limited (with `Retry-After`): operations behind a token;
- 404: operations with path parameters (an id of another company is not found);
- 409: writes (a state conflict; on POST also an `Idempotency-Key` still running);
- 422: operations with parameters or a body, and every POST (`Idempotency-Key`);
and every POST documents the optional `Idempotency-Key` header.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from functools import cache
from typing import Any, cast

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from ninja import NinjaAPI
from ninja.openapi.docs import Swagger
from ninja.openapi.schema import OpenAPISchema
from ninja.operation import Operation
from ninja.parser import Parser
from ninja.renderers import JSONRenderer
from ninja.responses import NinjaJSONEncoder

from .idempotency import IDEMPOTENCY_HEADER, MAX_KEY_LENGTH
from .permissions import EVERYONE, PERMISSION_ROLES, Role, api_permission, roles_for
from .requests import BodyErrorRequest
from .schemas import ErrorOut, FieldErrorOut
from .text_input import MESSAGE as UNSTORABLE_TEXT
from .text_input import find_unstorable_text

REF = "#/components/schemas/{model}"
API_PATH_PREFIX = re.compile(r"^/api/v\d+")
ROLE_ORDER = [role.value for role in Role]
EVERYONE_PERMISSIONS = {p for p, roles in PERMISSION_ROLES.items() if roles == EVERYONE}
WRITES = {"post", "put", "patch", "delete"}
ERROR_TEXT = {
    400: "Malformed request body (not JSON)",
    401: "Missing, invalid or revoked API token",
    403: "The token's user lacks the permission this operation needs (`detail` names it)",
    404: "Not found (unknown id, or another company's)",
    409: "Conflict with the object's state, or the same Idempotency-Key is still running",
    413: "Request body larger than the configured limit",
    422: "Invalid input; `errors` names the fields",
    429: "Rate limit for this token exceeded; wait `Retry-After` seconds",
}


class UtcJSONEncoder(NinjaJSONEncoder):
    """Datetimes leave the API in UTC, ISO 8601 with `Z`."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime):
            o = o.replace(tzinfo=UTC) if o.tzinfo is None else o.astimezone(UTC)
        return super().default(o)


class UtcJSONRenderer(JSONRenderer):
    encoder_class = UtcJSONEncoder


@cache
def _optional_bodies() -> frozenset[tuple[str, str]]:
    """(method, path) of the operations that declare their body optional (`X | None`)."""
    from stockledger.api import api

    found = set()
    for prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                for model in operation.models:
                    if getattr(model, "__ninja_param_source__", None) != "body":
                        continue
                    attr = getattr(model, "__read_from_single_attr__", None)
                    if attr and not model.model_fields[attr].is_required():
                        full = "/" + f"{prefix}/{path}".strip("/")
                        found |= {(method, full) for method in operation.methods}
    return frozenset(found)


def _body_is_optional(request: HttpRequest) -> bool:
    from .auth import operation_path

    return (request.method, operation_path(request)) in _optional_bodies()


class JsonObjectParser(Parser):
    """Request bodies are JSON objects; anything else is a 400 saying so.

    (ninja would otherwise read a bare string or list as an empty object when every field of
    the body schema has a default.)
    """

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        request = cast(BodyErrorRequest, request)
        try:
            data = json.loads(request.body)
        except ValueError as exc:
            request.body_error = f"request body is not valid JSON: {exc}"
            raise
        if data is None and not _body_is_optional(request):
            # (`null` stands for no body: only optional bodies such as an order's ship take it.)
            request.body_error_field = "body"
            request.body_error = "body: a JSON object is required, not null"
            raise ValueError(request.body_error)
        if data is not None and not isinstance(data, dict):
            request.body_error = "request body must be a JSON object"
            raise ValueError(request.body_error)
        field = find_unstorable_text(data)
        if field:
            # Valid JSON, but text no database can store: a 422 naming the field (api.py).
            request.body_error_field = field
            request.body_error = f"{field}: {UNSTORABLE_TEXT}"
            raise ValueError(request.body_error)
        return cast(dict[str, Any], data)


REF_MARKER = "x-stockledger-ref"


def schema_ref(component: str) -> dict[str, Any]:
    """A JSON schema that the published OpenAPI schema shows as `$ref` to `component`.

    For a field validated loosely in code but documented as a component (pydantic resolves a
    literal `$ref` itself, so the reference is put in place after generation).
    """
    return {"type": "object", REF_MARKER: component}


def _resolve_markers(node: Any) -> Any:
    if isinstance(node, dict):
        if REF_MARKER in node:
            return {"$ref": f"#/components/schemas/{node[REF_MARKER]}"}
        return {k: _resolve_markers(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_resolve_markers(v) for v in node]
    return node


def _error_schemas() -> dict[str, Any]:
    schema = ErrorOut.model_json_schema(ref_template=REF)
    defs = schema.pop("$defs", {})
    defs.setdefault("FieldErrorOut", FieldErrorOut.model_json_schema(ref_template=REF))
    return {"ErrorOut": schema, **defs}


def _error_codes(method: str, operation: dict[str, Any]) -> list[int]:
    params = operation.get("parameters", [])
    has_body = "requestBody" in operation
    codes = set()
    if has_body:
        codes |= {400, 413, 422}
    if operation.get("security"):
        codes |= {401, 429}
        if operation.get("x-permission") not in EVERYONE_PERMISSIONS:
            codes.add(403)
    if any(p.get("in") == "path" for p in params):
        codes |= {404, 422}
    if params:
        codes.add(422)
    if method in WRITES:
        codes.add(409)
    if method == "post":
        codes |= {409, 422}
    return sorted(codes)


def document_permission(path: str, method: str, operation: dict[str, Any]) -> None:
    """`x-permission` and a sentence naming the roles, from core/permissions.py's table."""
    if not operation.get("security"):
        return
    perm = api_permission(method, API_PATH_PREFIX.sub("", path))
    roles = ", ".join(sorted(roles_for(perm), key=ROLE_ORDER.index))
    operation["x-permission"] = perm
    note = f"Permission `{perm}` (roles: {roles})."
    description = operation.get("description")
    operation["description"] = f"{description}\n\n{note}" if description else note


def document_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """Add the shared error responses and the Idempotency-Key header to every operation."""
    schema["components"] = _resolve_markers(schema.get("components", {}))
    schema["paths"] = _resolve_markers(schema.get("paths", {}))
    schema["components"].setdefault("schemas", {}).update(_error_schemas())
    error_content = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            document_permission(path, method, operation)
            if method == "post":
                operation.setdefault("parameters", []).append(
                    {
                        "in": "header",
                        "name": IDEMPOTENCY_HEADER,
                        "required": False,
                        "description": (
                            "Send the same key again to get the first response replayed "
                            "instead of a second execution (kept at least 24 hours, per user)."
                        ),
                        "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
                    }
                )
            responses = operation.setdefault("responses", {})
            for code, declared in responses.items():
                # Every error a router declares in its own words has the ErrorOut body.
                if int(code) >= 400:
                    declared.setdefault("content", error_content)
            for code in _error_codes(method, operation):
                declared = responses.get(code) or responses.get(str(code))
                if declared is not None:
                    # A router may describe an error in its own words; the body is ErrorOut.
                    declared.setdefault("content", error_content)
                    continue
                response: dict[str, Any] = {
                    "description": ERROR_TEXT[code],
                    "content": error_content,
                }
                if code == 429:
                    response["headers"] = {
                        "Retry-After": {
                            "description": "seconds to wait",
                            "schema": {"type": "integer", "minimum": 1},
                        }
                    }
                responses[code] = response
    return schema


class StockledgerAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation: Operation) -> str:
        """The handler's own name (`list_products`), not ninja's module-prefixed one: generated
        clients name their functions after it (`api.products.list_products`)."""
        return operation.view_func.__name__

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        from .openapi_contract import document_contract

        schema = document_errors(
            super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        )
        _check_unique_operation_ids(schema)
        prefix = path_prefix if path_prefix is not None else self.get_root_path(path_params or {})
        document_contract(schema, prefix.rstrip("/"))
        return cast(OpenAPISchema, schema)


def _check_unique_operation_ids(schema: dict[str, Any]) -> None:
    seen: dict[str, str] = {}
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "operationId" not in operation:
                continue
            where = f"{method.upper()} {path}"
            other = seen.setdefault(operation["operationId"], where)
            if other != where:
                raise ImproperlyConfigured(
                    f"two API handlers are named {operation['operationId']!r} ({other}, {where}): "
                    "operation ids (the generated clients' function names) must be unique"
                )


def local_docs() -> Swagger:
    """Swagger UI from the vendored assets of the `ninja` app (no CDN, no online validator)."""
    return Swagger(settings={"validatorUrl": None, "persistAuthorization": True})
