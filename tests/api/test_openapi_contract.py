"""The published schema is one a generated client can trust: one class per component name."""

import typing
from collections import defaultdict

import pydantic

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
