"""JSON API for orders imported from sales channels: import, list, read, ship, cancel."""

from datetime import datetime

from ninja import Body, Field, Query, Router, Schema, Status

from stockledger.channels.services import channel_by_id
from stockledger.core.document_lists import document_page, list_cursor, list_limit
from stockledger.core.ids import id_field, id_path, id_query
from stockledger.core.limits import LINES_MAX, ORDER_QUANTITY_MAX
from stockledger.core.pagination import page_of
from stockledger.core.schemas import ERRORS, ErrorOut, Timestamp
from stockledger.warehouses.services import warehouse_by_id

from .manual import order_enter
from .models import Order
from .selectors import order_detail, orders_list, with_lines
from .services import order_cancel, order_import, order_ship

router = Router(tags=["orders"])


class OrderLineIn(Schema):
    sku: str = Field(..., min_length=1, max_length=100)
    quantity: int = Field(..., ge=1, le=ORDER_QUANTITY_MAX)


class OrderIn(Schema):
    channel_id: int = id_field("a sales channel of the company")
    order_number: str = Field(..., min_length=1, max_length=100)
    placed_at: Timestamp = Field(
        ...,
        description="when the order was placed in the channel; ISO 8601 with a UTC offset "
        "(e.g. 2025-03-01T09:30:00+01:00 or ...Z). A time without an offset is refused.",
    )
    warehouse_id: int = id_field("the warehouse whose stock the order commits")
    lines: list[OrderLineIn] = Field(
        ..., min_length=1, max_length=LINES_MAX, description="each SKU once"
    )


class ManualOrderIn(Schema):
    warehouse_id: int = id_field("the warehouse whose stock the order commits")
    order_number: str | None = Field(
        None, max_length=100, description="blank or left out: the next M-000001-style number"
    )
    placed_at: datetime | None = Field(None, description="default now; ISO 8601 with an offset")
    lines: list[OrderLineIn] = Field(
        ..., min_length=1, max_length=LINES_MAX, description="each SKU once"
    )


class StepIn(Schema):
    lines: list[OrderLineIn] | None = Field(
        None,
        min_length=1,
        max_length=LINES_MAX,
        description="the SKUs and units to ship / cancel; leave out for everything remaining",
    )


class KitComponentOut(Schema):
    sku: str
    product_id: int
    quantity_per_kit: int


class OrderLineOut(Schema):
    sku: str
    product_id: int
    kind: str
    quantity: int
    shipped: int
    cancelled: int
    remaining: int
    components: list[KitComponentOut] = Field(
        ..., description="a kit line's components as the kit was when the order was imported"
    )


class OrderOut(Schema):
    id: int
    channel_id: int
    channel_name: str
    cart_type: str
    order_number: str
    placed_at: datetime
    imported_at: datetime
    warehouse_id: int
    warehouse_name: str
    status: str = Field(..., description="open, partially_shipped, shipped or cancelled")
    lines: list[OrderLineOut]


class OrderImportOut(OrderOut):
    duplicate: bool = Field(
        ...,
        description="true when this channel's order number was imported before: nothing "
        "changed and the order is returned as it stands (the new body is not applied)",
    )


OrderListOut = page_of(OrderOut, name="OrderListOut")


def order_out(order: Order) -> dict:
    return {
        "id": order.id,
        "channel_id": order.channel_id,
        "channel_name": order.channel.name,
        "cart_type": order.channel.cart_type,
        "order_number": order.order_number,
        "placed_at": order.placed_at,
        "imported_at": order.imported_at,
        "warehouse_id": order.warehouse_id,
        "warehouse_name": order.warehouse.name,
        "status": order.status,
        "lines": [
            {
                "sku": line.product.sku,
                "product_id": line.product_id,
                "kind": line.product.kind,
                "quantity": line.quantity,
                "shipped": line.shipped,
                "cancelled": line.cancelled,
                "remaining": line.remaining,
                "components": [
                    {
                        "sku": c.component.sku,
                        "product_id": c.component_id,
                        "quantity_per_kit": c.quantity_per_kit,
                    }
                    for c in line.components.all()
                ],
            }
            for line in order.lines.all()
        ],
    }


@router.post(
    "/orders",
    response={201: OrderImportOut, 200: OrderImportOut, **ERRORS},
    summary="Import an order from a sales channel",
    description=(
        "Commits the ordered units at the warehouse (a kit's components by the kit ratio) and "
        "logs `order` rows (order_step `imported`). Idempotent on `channel_id` + "
        "`order_number`: importing the same order again, even concurrently, changes nothing "
        "and answers 200 with the existing order and `duplicate: true`."
    ),
)
def import_order(request, payload: OrderIn):
    company = request.company
    channel = channel_by_id(company=company, channel_id=payload.channel_id)
    warehouse = warehouse_by_id(company=company, warehouse_id=payload.warehouse_id)
    order, created = order_import(
        company=company,
        channel=channel,
        order_number=payload.order_number,
        placed_at=payload.placed_at,
        warehouse=warehouse,
        lines=[line.dict() for line in payload.lines],
        user=request.user,
    )
    data = order_out(order_detail(company=company, order_id=order.id))
    data["duplicate"] = not created
    return Status(201 if created else 200, data)


@router.post(
    "/orders/manual",
    response={201: OrderOut, **ERRORS},
    summary="Enter an order by hand on the company's Manual channel",
    description=(
        "An order taken by phone or at a market stall: imported on the company's Manual "
        "sales channel (cart type `manual`, made on first use) like any channel's order: "
        "commits stock, logs `order` rows. A typed order number the Manual channel already "
        "has is refused (422), not treated as a replay."
    ),
)
def enter_manual_order(request, payload: ManualOrderIn):
    company = request.company
    warehouse = warehouse_by_id(company=company, warehouse_id=payload.warehouse_id)
    order = order_enter(
        company=company,
        warehouse=warehouse,
        order_number=payload.order_number,
        placed_at=payload.placed_at,
        lines=[line.dict() for line in payload.lines],
        user=request.user,
    )
    return Status(201, order_out(order_detail(company=company, order_id=order.id)))


@router.get(
    "/orders",
    response={200: OrderListOut, 422: ErrorOut},
    summary="List orders, newest import first",
)
def list_orders(
    request,
    channel_id: int | None = id_query(),
    status: str | None = Query(None, description="open, partially_shipped, shipped, cancelled"),
    warehouse_id: int | None = id_query(),
    order_number: str | None = Query(None, max_length=100),
    limit: int = list_limit(),
    cursor: str | None = list_cursor(described=True),
):
    qs = orders_list(
        company=request.company,
        channel_id=channel_id,
        status=status,
        warehouse_id=warehouse_id,
        order_number=order_number,
    )
    return document_page(with_lines(qs), limit=limit, cursor=cursor, out=order_out)


@router.get(
    "/orders/{order_id}", response={200: OrderOut, 404: ErrorOut}, summary="An order with its lines"
)
def get_order(request, order_id: int = id_path()):
    return order_out(order_detail(company=request.company, order_id=order_id))


@router.post(
    "/orders/{order_id}/ship",
    response={200: OrderOut, **ERRORS},
    summary="Ship an order, or some of its lines",
    description=(
        "Takes the units from physical on hand and releases their commitment (may leave "
        "physical on hand below zero; such log rows are marked `went_negative`). Without a "
        "body ships everything remaining. 409 for a cancelled or shipped order or more than "
        "remains on a line."
    ),
)
def ship_order(request, order_id: int = id_path(), payload: StepIn | None = Body(None)):
    company = request.company
    order = order_detail(company=company, order_id=order_id)
    lines = payload.lines if payload is not None else None
    order_ship(
        company=company,
        order=order,
        lines=None if lines is None else [line.dict() for line in lines],
        user=request.user,
    )
    return order_out(order_detail(company=company, order_id=order.id))


@router.post(
    "/orders/{order_id}/cancel",
    response={200: OrderOut, **ERRORS},
    summary="Cancel what is not shipped of an order, or some of its lines",
    description=(
        "Releases the commitment of the units cancelled. Without a body cancels everything "
        "not shipped. 409 for an order already cancelled or shipped."
    ),
)
def cancel_order(request, order_id: int = id_path(), payload: StepIn | None = Body(None)):
    company = request.company
    order = order_detail(company=company, order_id=order_id)
    lines = payload.lines if payload is not None else None
    order_cancel(
        company=company,
        order=order,
        lines=None if lines is None else [line.dict() for line in lines],
        user=request.user,
    )
    return order_out(order_detail(company=company, order_id=order.id))
