"""The published schema is one a generated client can trust: one class per component name."""

import typing
from collections import defaultdict

import pydantic
import pytest

from stockledger.api import api


def _models(annotation, found: set) -> None:
    if typing.get_origin(annotation) is not None:
        for arg in typing.get_args(annotation):
            _models(arg, found)
        return
    if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
        if annotation in found:
            return
        found.add(annotation)
        for field in annotation.model_fields.values():
            _models(field.annotation, found)


def schema_classes() -> set[type]:
    """Every pydantic class any operation takes or answers with (nested ones included)."""
    found: set[type] = set()
    for _prefix, router in api._routers:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                for model in operation.models:
                    _models(model, found)
                for model in operation.response_models.values():
                    _models(model, found)
    # ninja's own per-operation wrappers (PathParams, BodyParams...) are not components.
    return {cls for cls in found if cls.__module__.startswith("stockledger")}


def test_no_two_schema_classes_share_a_component_name():
    by_name = defaultdict(set)
    for cls in schema_classes():
        by_name[cls.model_config.get("title") or cls.__name__].add(
            f"{cls.__module__}.{cls.__qualname__}"
        )
    collisions = {name: sorted(v) for name, v in by_name.items() if len(v) > 1}
    assert collisions == {}, f"component names used by more than one class: {collisions}"


def test_every_schema_class_is_a_published_component():
    components = api.get_openapi_schema()["components"]["schemas"]
    names = {cls.model_config.get("title") or cls.__name__ for cls in schema_classes()}
    # Classes used only inline (e.g. via a RootModel) would not appear; all of ours do.
    missing = sorted(n for n in names if n not in components)
    assert missing == [], missing


def test_purchase_order_receipts_and_return_receipts_are_separate_components():
    components = api.get_openapi_schema()["components"]["schemas"]
    assert "quantity" in components["GoodsReceiptLineOut"]["properties"]
    assert "restocked_quantity" in components["ReturnReceiptLineOut"]["properties"]
    assert "ReceiptOut" not in components


def _published():
    from tests.contract import published_schema

    return published_schema()


def test_every_request_body_has_an_example_that_fits_its_schema():
    import jsonschema_rs

    schema = _published()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body is None:
                continue
            assert "example" in body, f"{method} {path}: request body without example"
            validator = jsonschema_rs.Draft202012Validator(
                {**body["schema"], "components": schema["components"]}
            )
            errors = [e.message for e in validator.iter_errors(body["example"])]
            assert errors == [], f"{method} {path}: example does not fit: {errors}"


def test_each_create_links_to_the_operations_that_take_its_id():
    from stockledger.core.openapi_contract import LINKS

    schema = _published()
    operation_ids = {
        (method, path.removeprefix("/api/v1")): op["operationId"]
        for path, ops in schema["paths"].items()
        for method, op in ops.items()
    }
    for (method, path), (_field, targets) in LINKS.items():
        links = schema["paths"]["/api/v1" + path][method]["responses"]["201"]["links"]
        for target_method, target_path, parameter in targets:
            if (target_method, target_path) not in operation_ids:
                continue  # (an operation a router does not offer)
            link = links[operation_ids[(target_method, target_path)]]
            assert link["parameters"] == {f"path.{parameter}": "$response.body#/id"}
    assert "receive_purchase_order" in str(
        schema["paths"]["/api/v1/purchase-orders"]["post"]["responses"]["201"]["links"]
    )


def test_the_schema_states_enums_ranges_and_exactly_one_of():
    components = _published()["components"]["schemas"]
    assert "shopify" in components["ChannelIn"]["properties"]["cart_type"]["enum"]
    rule = components["RuleIn"]["properties"]
    assert rule["maximum"]["anyOf"][0]["minimum"] == 0
    assert rule["reserve"]["anyOf"][0]["minimum"] == 0
    assert components["PurchaseOrderIn"]["properties"]["lines"]["minItems"] == 1
    assert components["PurchaseOrderIn"]["properties"]["number"]["minLength"] == 1
    assert len(components["OnHandIn"]["oneOf"]) == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/orders", "/purchase-orders", "/returns", "/manufacturing-orders"]
)
def test_a_list_status_filter_states_exactly_the_statuses_it_accepts(api, path):
    # The schema once left `closed` out of the purchase orders' filter, which accepts it.
    parameters = _published()["paths"][f"/api/v1{path}"]["get"]["parameters"]
    (status,) = [p for p in parameters if p["name"] == "status"]
    stated = set(status["schema"].get("enum") or status["schema"]["anyOf"][0]["enum"])
    every_status = {
        *("open", "partial", "received", "closed", "partially_shipped", "shipped"),
        *("cancelled", "partially_finished", "finished", "archived"),
    }
    accepted = {s for s in every_status if api.get(path, {"status": s}).status_code == 200}
    assert accepted == stated


def test_exactly_one_of_physical_on_hand_or_change_is_what_the_api_enforces(
    api, warehouses, product_factory
):
    main, _ = warehouses
    product_factory("ONE")
    base = {"sku": "ONE", "warehouse_id": main.id}
    assert (
        api.post("/stock/on-hand", {**base, "physical_on_hand": 3, "change": 1}).status_code == 422
    )
    assert api.post("/stock/on-hand", base).status_code == 422
    assert api.post("/stock/on-hand", {**base, "change": 2}).status_code == 201
