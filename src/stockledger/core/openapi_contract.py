"""What the published schema states beyond the pydantic models: rules, examples and links.

The services enforce these rules (a 422 naming the field); stating them in the schema lets a
generated client, or a fuzzer, send only what can succeed. Each table is applied to the
schema after ninja generates it (core/openapi.py: `document_errors`).
"""

from __future__ import annotations

from typing import Any, cast

NON_EMPTY = {"minLength": 1}
AT_LEAST_ONE = {"minItems": 1}
NOT_NEGATIVE = {"minimum": 0}

# component -> property -> keywords added to the property's schema (the non-null branch).
PROPERTY_RULES: dict[str, dict[str, dict[str, Any]]] = {
    "ComponentIn": {"sku": NON_EMPTY},
    "OnHandIn": {"sku": NON_EMPTY},
    "LineIn": {"sku": NON_EMPTY},
    "PurchaseOrderIn": {"number": NON_EMPTY, "lines": AT_LEAST_ONE},
    "ReceiptIn": {"number": NON_EMPTY, "lines": AT_LEAST_ONE},
    "TransferIn": {"lines": AT_LEAST_ONE},
    "TransferLineIn": {"sku": NON_EMPTY},
    "LocationIn": {"location": NON_EMPTY},
    "RuleIn": {"sku": NON_EMPTY, "maximum": NOT_NEGATIVE, "reserve": NOT_NEGATIVE},
    "QuantitiesIn": {"quantities": AT_LEAST_ONE},
    "QuantityIn": {"sku": NON_EMPTY, "quantity": NOT_NEGATIVE},
    "ReturnIn": {"number": NON_EMPTY, "lines": AT_LEAST_ONE},
    "ReturnLineIn": {"sku": NON_EMPTY},
    "ReceiveIn": {"lines": AT_LEAST_ONE},
    "ReceiveLineIn": {"sku": NON_EMPTY},
}

TIME_ZONE_NOTE = "an IANA time zone name, e.g. `Europe/Berlin` or `UTC`"


def _enum_rules() -> tuple[dict[str, Any], dict[tuple[str, str, str], Any]]:
    from stockledger.channels.models import CartType
    from stockledger.ledger.models import EventType
    from stockledger.manufacturing.models import MoStatus
    from stockledger.orders.models import OrderStatus
    from stockledger.purchasing.models import PurchaseOrderStatus
    from stockledger.returns.models import ReturnStatus

    property_enums: dict[str, Any] = {
        "ChannelIn": {"cart_type": {"enum": list(CartType.values)}},
        "ExportIn": {"event_types": {"items": {"type": "string", "enum": list(EventType.values)}}},
    }
    # The list filters' statuses: the models' own choices, so a new status is in the schema.
    parameter_enums: dict[tuple[str, str, str], Any] = {
        ("get", "/orders", "status"): {"enum": list(OrderStatus.values)},
        ("get", "/purchase-orders", "status"): {"enum": list(PurchaseOrderStatus.values)},
        ("get", "/returns", "status"): {"enum": list(ReturnStatus.values)},
        ("get", "/manufacturing-orders", "status"): {"enum": list(MoStatus.values)},
        ("get", "/products/{product_id}/log", "event_type"): {
            "items": {"type": "string", "enum": list(EventType.values)}
        },
    }
    return property_enums, parameter_enums


# POST /stock/on-hand: exactly one of a count or a change, as two whole object schemas. (A
# `oneOf` of `required` lists beside shared `properties` is valid JSON Schema, but
# openapi-python-client drops the shared properties: its client could not send a count.)
ON_HAND_BRANCHES = {
    "OnHandCountIn": ("physical_on_hand", "change", "Set physical on hand to a counted value."),
    "OnHandAdjustIn": ("change", "physical_on_hand", "Adjust physical on hand by a signed amount."),
}


def _split_on_hand(components: dict[str, Any]) -> None:
    whole = components["OnHandIn"]
    for name, (field, other, description) in ON_HAND_BRANCHES.items():
        properties = {k: v for k, v in whole["properties"].items() if k != other}
        kept = {
            k: v for k, v in whole["properties"][field].items() if k in ("title", "description")
        }
        properties[field] = {**_non_null(properties[field]), **kept}
        properties[other] = {"type": "null", "description": f"not with `{field}`"}
        components[name] = {
            "title": name,
            "description": description,
            "type": "object",
            "properties": properties,
            "required": [*whole.get("required", ()), field],
        }
    components["OnHandIn"] = {
        "title": "OnHandIn",
        "description": "Exactly one of `physical_on_hand` (set to a counted value) or `change` "
        "(adjust by a signed amount).",
        "oneOf": [{"$ref": f"#/components/schemas/{name}"} for name in ON_HAND_BRANCHES],
    }


# create operation -> (the id field of its answer, the operations that take that id).
LINKS: dict[tuple[str, str], tuple[str, list[tuple[str, str, str]]]] = {
    ("post", "/warehouses"): (
        "id",
        [("get", "/warehouses/{warehouse_id}", "warehouse_id")],
    ),
    ("post", "/products"): (
        "id",
        [
            ("get", "/products/{product_id}", "product_id"),
            ("get", "/products/{product_id}/log", "product_id"),
        ],
    ),
    ("post", "/purchase-orders"): (
        "id",
        [
            ("get", "/purchase-orders/{po_id}", "po_id"),
            ("post", "/purchase-orders/{po_id}/receipts", "po_id"),
        ],
    ),
    ("post", "/transfers"): ("id", [("get", "/transfers/{transfer_id}", "transfer_id")]),
    ("post", "/sales-channels"): (
        "id",
        [
            ("get", "/sales-channels/{channel_id}", "channel_id"),
            ("put", "/sales-channels/{channel_id}/rules", "channel_id"),
            ("put", "/sales-channels/{channel_id}/locations", "channel_id"),
            ("put", "/sales-channels/{channel_id}/writeback", "channel_id"),
            ("post", "/sales-channels/{channel_id}/quantities", "channel_id"),
        ],
    ),
    ("post", "/orders"): (
        "id",
        [
            ("get", "/orders/{order_id}", "order_id"),
            ("post", "/orders/{order_id}/ship", "order_id"),
            ("post", "/orders/{order_id}/cancel", "order_id"),
        ],
    ),
    ("post", "/returns"): (
        "id",
        [
            ("get", "/returns/{return_id}", "return_id"),
            ("post", "/returns/{return_id}/receive", "return_id"),
        ],
    ),
    ("post", "/manufacturing-orders"): (
        "id",
        [
            ("get", "/manufacturing-orders/{mo_id}", "mo_id"),
            ("post", "/manufacturing-orders/{mo_id}/finish", "mo_id"),
        ],
    ),
    ("post", "/exports"): ("id", [("get", "/exports/{export_id}", "export_id")]),
    ("post", "/tokens"): (
        "id",
        [
            ("get", "/tokens/{token_id}", "token_id"),
            ("post", "/tokens/{token_id}/revoke", "token_id"),
            ("delete", "/tokens/{token_id}", "token_id"),
        ],
    ),
}


def _non_null(schema: dict[str, Any]) -> dict[str, Any]:
    """The branch of an `anyOf: [X, null]` that is not null (or the schema itself)."""
    for branch in schema.get("anyOf", ()):
        if branch.get("type") != "null":
            return cast(dict[str, Any], branch)
    return schema


def _operation_id(paths: dict[str, Any], prefix: str, method: str, path: str) -> str | None:
    operation = paths.get(prefix + path, {}).get(method)
    return operation.get("operationId") if operation else None


def _example(schema: dict[str, Any], components: dict[str, Any], depth: int = 0) -> Any:
    """A small valid-looking example of a schema, from its first choices and defaults."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return _example(components.get(name, {}), components, depth + 1)
    if "example" in schema:
        return schema["example"]
    if "enum" in schema:
        return schema["enum"][0]
    if "anyOf" in schema:
        return _example(_non_null(schema), components, depth)
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        required = schema.get("required", [])
        return {
            name: _example(prop, components, depth + 1)
            for name, prop in schema.get("properties", {}).items()
            if name in required and depth < 8
        }
    if kind == "array":
        return [_example(schema.get("items", {}), components, depth + 1)]
    if kind == "integer":
        return max(1, schema.get("minimum", 1))
    if kind == "number":
        return 1.0
    if kind == "boolean":
        return schema.get("default", False)
    if schema.get("format") == "date-time":
        return "2025-03-01T09:30:00Z"
    return "string"


EXAMPLES: dict[str, Any] = {
    "ProductIn": {"sku": "MUG-BLUE", "name": "Blue mug", "kind": None},
    "OnHandIn": {"sku": "MUG-BLUE", "warehouse_id": 1, "physical_on_hand": 12},
    "PurchaseOrderIn": {
        "number": "PO-1001",
        "warehouse_id": 1,
        "lines": [{"sku": "MUG-BLUE", "quantity": 24}],
    },
    "ReceiptIn": {"number": "GR-1", "lines": [{"sku": "MUG-BLUE", "quantity": 24}]},
    "OrderIn": {
        "channel_id": 1,
        "order_number": "1001",
        "placed_at": "2025-03-01T09:30:00+01:00",
        "warehouse_id": 1,
        "lines": [{"sku": "MUG-BLUE", "quantity": 2}],
    },
    "ChannelIn": {"cart_type": "shopify", "name": "Web shop"},
    "RuleIn": {"sku": "MUG-BLUE", "maximum": 10, "reserve": 2},
    "ExportIn": {"kind": "products", "format": "csv"},
    "TokenIn": {"name": "warehouse scanner"},
    "WarehouseIn": {"name": "Main"},
    "SyncRunIn": {"kind": "orders"},
}


def document_contract(schema: dict[str, Any], prefix: str) -> None:
    components = schema.get("components", {}).get("schemas", {})
    property_enums, parameter_enums = _enum_rules()
    for tables in (PROPERTY_RULES, property_enums):
        for component, rules in tables.items():
            properties = components.get(component, {}).get("properties", {})
            for name, keywords in rules.items():
                if name in properties:
                    _non_null(properties[name]).update(keywords)
    if "OnHandIn" in components:
        _split_on_hand(components)
    if "CompanyPatchIn" in components:
        zone = components["CompanyPatchIn"].get("properties", {}).get("time_zone")
        if zone is not None:
            zone["description"] = TIME_ZONE_NOTE
    paths = schema.get("paths", {})
    for (method, path, param), keywords in parameter_enums.items():
        operation = paths.get(prefix + path, {}).get(method, {})
        for parameter in operation.get("parameters", ()):
            if parameter.get("name") == param and parameter.get("in") == "query":
                _non_null(parameter.setdefault("schema", {})).update(keywords)
    for operations in paths.values():
        for operation in operations.values():
            content = operation.get("requestBody", {}).get("content", {})
            body = content.get("application/json")
            if body is None or "example" in body:
                continue
            name = _non_null(body["schema"]).get("$ref", "").rsplit("/", 1)[-1]
            body["example"] = EXAMPLES.get(name) or _example(body["schema"], components)
    for (method, path), (field, targets) in LINKS.items():
        operation = paths.get(prefix + path, {}).get(method)
        if operation is None:
            continue
        created = operation.get("responses", {}).get(201) or operation["responses"].get("201")
        if created is None:
            continue
        links = created.setdefault("links", {})
        for target_method, target_path, parameter in targets:
            operation_id = _operation_id(paths, prefix, target_method, target_path)
            if operation_id is None:
                continue
            links[operation_id] = {
                "operationId": operation_id,
                "parameters": {f"path.{parameter}": f"$response.body#/{field}"},
                "description": f"{target_method.upper()} {target_path} with the new {field}",
            }
