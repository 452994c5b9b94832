"""JSON API for bulk order import: `POST /orders/bulk`, up to 1,000 orders per request."""

from typing import Annotated, Any, Literal

from ninja import Field, Router, Schema
from pydantic import ValidationError, WithJsonSchema

from stockledger.core.openapi import schema_ref
from stockledger.core.schemas import FieldErrorOut

from .api import OrderIn
from .bulk import MAX_ORDERS, BulkResult, orders_import_bulk

router = Router(tags=["orders"])

# Each order is validated on its own (an invalid order is reported in its result and does
# not refuse the batch), so the body accepts any objects; the schema says both: what to send
# (`OrderIn`) and that any other object is answered in its result with status `error`.
OrderItem = Annotated[
    dict[str, Any],
    WithJsonSchema(
        {
            "anyOf": [
                schema_ref("OrderIn"),
                {
                    "type": "object",
                    "description": "an object that is not a valid `OrderIn`: not refused, "
                    "answered in its result with status `error` and the fields at fault",
                },
            ],
            "description": "an order as for `POST /orders`",
        }
    ),
]


class BulkOrdersIn(Schema):
    orders: list[OrderItem] = Field(
        ...,
        min_length=1,
        max_length=MAX_ORDERS,
        description=f"1 to {MAX_ORDERS} orders, each as for `POST /orders`",
    )


class BulkOrderResultOut(Schema):
    index: int = Field(..., description="the order's position in the request, from 0")
    order_number: str | None
    status: Literal["created", "duplicate", "error"] = Field(
        ..., description="created, duplicate or error"
    )
    order_id: int | None = Field(
        ..., description="the new order (created) or the one imported before (duplicate)"
    )
    detail: str | None = Field(..., description="why the order was refused (error)")
    errors: list[FieldErrorOut] = Field(
        ..., description="the fields at fault, e.g. `orders[3].lines[0].sku` (error)"
    )


class BulkOrdersOut(Schema):
    created: int
    duplicates: int
    failed: int
    results: list[BulkOrderResultOut]


def _field_path(index: int, loc: tuple) -> str:
    out = f"orders[{index}]"
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _checked(index: int, item: dict, result: BulkResult) -> dict | None:
    """The order as the single-order endpoint would read it, or None with the errors noted."""
    try:
        return OrderIn.model_validate(item).model_dump()
    except ValidationError as exc:
        result.status = "error"
        result.errors = [
            {"field": _field_path(index, e["loc"]), "message": e["msg"]} for e in exc.errors()
        ]
        first = result.errors[0]
        result.detail = f"{first['field']}: {first['message']}"
        return None


@router.post(
    "/orders/bulk",
    response={200: BulkOrdersOut},
    summary=f"Import up to {MAX_ORDERS} orders at once",
    description=(
        "Each order is imported as by `POST /orders`, all or nothing per order: the result "
        "lists, in request order, `created` (with the new order's id), `duplicate` (this "
        "channel's order number was imported before or earlier in the batch; nothing "
        "changed) or `error` (with `detail` and the fields at fault; that order changed "
        "nothing, the others are imported). The request itself is refused (422) only when "
        "`orders` is missing, empty, longer than the limit or holds something not an object."
    ),
)
def import_orders_bulk(request, payload: BulkOrdersIn):
    results = [BulkResult(index=i, order_number=None) for i in range(len(payload.orders))]
    checked = [_checked(i, o, results[i]) for i, o in enumerate(payload.orders)]
    positions = [i for i, o in enumerate(checked) if o is not None]
    imported = orders_import_bulk(
        company=request.company,
        orders=[o for o in checked if o is not None],  # those at `positions`
        user=request.user,
        positions=positions,
    )
    for outcome in imported:
        results[outcome.index] = outcome
    for result, item in zip(results, payload.orders, strict=True):
        if result.order_number is None and isinstance(item.get("order_number"), str):
            result.order_number = item["order_number"]
    return {
        "created": sum(r.status == "created" for r in results),
        "duplicates": sum(r.status == "duplicate" for r in results),
        "failed": sum(r.status == "error" for r in results),
        "results": [r.__dict__ for r in results],
    }
