"""The committed schema snapshot (docs/openapi.json) and the breaking changes against it.

`make openapi-snapshot` rewrites the snapshot on purpose; tests/api/test_openapi_snapshot.py
fails naming each change that would break a generated client until it is rewritten:
an operation removed or renamed (its operationId), a field of a schema removed or retyped, an
input newly required.

Run as `python -m tests.openapi_snapshot` to write the snapshot.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

SNAPSHOT = Path(__file__).resolve().parent.parent / "docs" / "openapi.json"
METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}


def current_schema() -> dict:
    from stockledger.api import api

    return json.loads(json.dumps(api.get_openapi_schema(path_prefix="/api/v1")))


def render(schema: dict) -> str:
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _type_of(node: dict) -> object:
    """What a client's type for a schema depends on (not descriptions, examples or limits)."""
    if not isinstance(node, dict):
        return None
    if "$ref" in node:
        return node["$ref"].rsplit("/", 1)[-1]
    out: dict = {}
    for key in ("type", "format"):
        if key in node:
            out[key] = node[key]
    for key in ("anyOf", "oneOf", "allOf"):
        if key in node:
            out[key] = sorted(json.dumps(_type_of(n), sort_keys=True) for n in node[key])
    if "items" in node:
        out["items"] = _type_of(node["items"])
    return out


def _required_params(operation: dict) -> set[str]:
    return {
        f"{p['in']} parameter `{p['name']}`"
        for p in operation.get("parameters", ())
        if p.get("required")
    }


def breaking_changes(old: dict, new: dict) -> list[str]:
    changes: list[str] = []
    old_paths, new_paths = old.get("paths", {}), new.get("paths", {})
    for path, operations in old_paths.items():
        for method, operation in operations.items():
            if method not in METHODS:
                continue
            label = f"{method.upper()} {path}"
            current = new_paths.get(path, {}).get(method)
            if current is None:
                changes.append(f"operation removed: {label}")
                continue
            if current.get("operationId") != operation.get("operationId"):
                # A generated client names its function after the operation id.
                changes.append(
                    f"operation renamed: {label} "
                    f"({operation.get('operationId')} -> {current.get('operationId')})"
                )
            for name in sorted(_required_params(current) - _required_params(operation)):
                changes.append(f"input newly required: {label} {name}")
            was = operation.get("requestBody", {}).get("required", False)
            if current.get("requestBody", {}).get("required", False) and not was:
                changes.append(f"input newly required: {label} request body")
            for status, response in operation.get("responses", {}).items():
                if status not in current.get("responses", {}):
                    changes.append(f"response removed: {label} {status}")
                    continue
                before = response.get("content", {}).get("application/json", {}).get("schema")
                after = (
                    current["responses"][status]
                    .get("content", {})
                    .get("application/json", {})
                    .get("schema")
                )
                if before is not None and _type_of(before) != _type_of(after or {}):
                    changes.append(f"response retyped: {label} {status}")
    old_components = old.get("components", {}).get("schemas", {})
    new_components = new.get("components", {}).get("schemas", {})
    for name, component in old_components.items():
        current = new_components.get(name)
        if current is None:
            changes.append(f"schema removed: {name}")
            continue
        new_props = current.get("properties", {})
        for prop, schema in component.get("properties", {}).items():
            if prop not in new_props:
                changes.append(f"field removed: {name}.{prop}")
            elif _type_of(schema) != _type_of(new_props[prop]):
                changes.append(
                    f"field retyped: {name}.{prop} "
                    f"({json.dumps(_type_of(schema))} -> {json.dumps(_type_of(new_props[prop]))})"
                )
        for prop in sorted(set(current.get("required", ())) - set(component.get("required", ()))):
            changes.append(f"input newly required: {name}.{prop}")
    return changes


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stockledger.settings")
    import django

    django.setup()
    SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
    SNAPSHOT.write_text(render(current_schema()), encoding="utf-8")
    print(f"wrote {SNAPSHOT}")


if __name__ == "__main__":
    main()
