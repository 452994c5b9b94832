"""Every JSON answer the API tests receive must fit the published OpenAPI schema.

`ApiClient` (conftest.py) calls `check_response` after each request: the operation is found
from the method and path, the response from its status, and the body is validated with
jsonschema_rs against that response's schema (components resolved in the same document).
"""

from __future__ import annotations

import json
import re
from functools import cache

import jsonschema_rs

API_PREFIX = "/api/v1"


@cache
def published_schema() -> dict:
    from stockledger.api import api

    return json.loads(json.dumps(api.get_openapi_schema(path_prefix=API_PREFIX)))


@cache
def _operations() -> list[tuple[re.Pattern, str, dict]]:
    schema = published_schema()
    out = []
    for path, operations in schema["paths"].items():
        pattern = re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$")
        literal = path.count("{")
        for method, operation in operations.items():
            out.append((literal, pattern, method, operation))
    # Literal paths (/orders/bulk) before templated ones (/orders/{order_id}).
    out.sort(key=lambda row: row[0])
    return [(pattern, method, operation) for _, pattern, method, operation in out]


def operation_for(method: str, path: str) -> dict | None:
    for pattern, op_method, operation in _operations():
        if op_method == method.lower() and pattern.match(path):
            return operation
    return None


@cache
def _validator(method: str, path_pattern: str, status: str):
    for pattern, op_method, operation in _operations():
        if op_method == method and pattern.pattern == path_pattern:
            response = operation["responses"].get(status)
            content = (response or {}).get("content", {}).get("application/json")
            if content is None:
                return None
            document = {**content["schema"], "components": published_schema()["components"]}
            return jsonschema_rs.Draft202012Validator(document)
    return None


class ContractError(AssertionError):
    pass


def check_response(method: str, path: str, response) -> None:
    """Raise ContractError when a JSON API response does not fit its documented schema."""
    path = path.split("?", 1)[0]
    if not path.startswith(API_PREFIX + "/") or path.startswith(API_PREFIX + "/docs"):
        return
    if path == API_PREFIX + "/openapi.json":
        return
    content_type = response.get("Content-Type", "")
    if not content_type.startswith("application/json") or response.status_code in (405, 500):
        return
    if response.status_code == 204:
        assert not response.content, f"{method} {path}: 204 with a body"
        return
    operation = operation_for(method, path)
    if operation is None:
        if response.status_code == 404:
            return  # no such route: Django's 404
        raise ContractError(f"{method} {path}: no operation in the schema")
    status = str(response.status_code)
    if status not in operation["responses"]:
        raise ContractError(
            f"{method} {path}: status {status} is not documented "
            f"({', '.join(operation['responses'])})"
        )
    for pattern, op_method, op in _operations():
        if op is operation:
            validator = _validator(op_method, pattern.pattern, status)
            break
    if validator is None:
        raise ContractError(f"{method} {path}: {status} documents no JSON body")
    body = json.loads(response.content)
    errors = [
        f"{'/'.join(str(p) for p in e.instance_path) or '<body>'}: {e.message}"
        for e in validator.iter_errors(body)
    ]
    if errors:
        raise ContractError(
            f"{method} {path} answered {status} outside its schema:\n  " + "\n  ".join(errors[:10])
        )
