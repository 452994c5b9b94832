"""JSON API for manufacturing orders: create, list, read, finish."""

from datetime import datetime

from ninja import Body, Field, Query, Router, Schema, Status

from stockledger.catalog.services import clean_sku, product_by_sku
from stockledger.core.document_lists import document_page, list_cursor, list_limit
from stockledger.core.ids import id_field, id_path, id_query
from stockledger.core.limits import ORDER_QUANTITY_MAX
from stockledger.core.pagination import page_of
from stockledger.core.schemas import ERRORS, ErrorOut
from stockledger.warehouses.services import warehouse_by_id

from .models import ManufacturingOrder
from .selectors import mo_detail, mos_list
from .services import mo_create, mo_finish

router = Router(tags=["manufacturing"])


class MoIn(Schema):
    number: str = Field(..., min_length=1, max_length=100, description="unique in the company")
    sku: str = Field(..., min_length=1, max_length=100, description="a product with a bom")
    quantity: int = Field(..., ge=1, le=ORDER_QUANTITY_MAX)
    warehouse_id: int = id_field("where the product is made and its components taken")


class FinishIn(Schema):
    quantity: int | None = Field(
        None, ge=1, le=ORDER_QUANTITY_MAX, description="units made now; leave out for all remaining"
    )


class MoComponentOut(Schema):
    sku: str
    product_id: int
    quantity_per_unit: int


class MoOut(Schema):
    id: int
    number: str
    product_id: int
    sku: str
    quantity: int
    finished_quantity: int
    remaining: int
    status: str = Field(..., description="open, partially_finished or finished")
    warehouse_id: int
    warehouse_name: str
    created_at: datetime
    components: list[MoComponentOut] = Field(
        ..., description="the bill of materials as it was when the MO was created"
    )


MoListOut = page_of(MoOut, name="MoListOut")


def mo_out(mo: ManufacturingOrder) -> dict:
    return {
        "id": mo.id,
        "number": mo.number,
        "product_id": mo.product_id,
        "sku": mo.product.sku,
        "quantity": mo.quantity,
        "finished_quantity": mo.finished_quantity,
        "remaining": mo.remaining,
        "status": mo.status,
        "warehouse_id": mo.warehouse_id,
        "warehouse_name": mo.warehouse.name,
        "created_at": mo.created_at,
        "components": [
            {
                "sku": c.component.sku,
                "product_id": c.component_id,
                "quantity_per_unit": c.quantity_per_unit,
            }
            for c in mo.components.all()
        ],
    }


@router.post(
    "/manufacturing-orders",
    response={201: MoOut, **ERRORS},
    summary="Create a manufacturing order",
    description="For a product with a bill of materials; changes no stock until finished.",
)
def create_mo(request, payload: MoIn):
    company = request.company
    product = product_by_sku(company=company, sku=clean_sku(payload.sku))
    warehouse = warehouse_by_id(company=company, warehouse_id=payload.warehouse_id)
    mo = mo_create(
        company=company,
        number=payload.number,
        product=product,
        quantity=payload.quantity,
        warehouse=warehouse,
        user=request.user,
    )
    return Status(201, mo_out(mo_detail(company=company, mo_id=mo.id)))


@router.get(
    "/manufacturing-orders",
    response={200: MoListOut, 422: ErrorOut},
    summary="List manufacturing orders, newest first",
)
def list_mos(
    request,
    status: str | None = Query(None, description="open, partially_finished, finished"),
    product_id: int | None = id_query(),
    warehouse_id: int | None = id_query(),
    limit: int = list_limit(),
    cursor: str | None = list_cursor(described=True),
):
    qs = mos_list(
        company=request.company, status=status, product_id=product_id, warehouse_id=warehouse_id
    )
    return document_page(qs, limit=limit, cursor=cursor, out=mo_out)


@router.get(
    "/manufacturing-orders/{mo_id}",
    response={200: MoOut, 404: ErrorOut},
    summary="A manufacturing order",
)
def get_mo(request, mo_id: int = id_path()):
    return mo_out(mo_detail(company=request.company, mo_id=mo_id))


@router.post(
    "/manufacturing-orders/{mo_id}/finish",
    response={200: MoOut, **ERRORS},
    summary="Finish a manufacturing order, all or part",
    description=(
        "Adds the units made to the product's physical on hand and consumes the components "
        "(logs `mo_finished` rows). 422 naming the short components when there are not enough; "
        "409 when the MO is finished or the quantity exceeds what remains."
    ),
)
def finish_mo(request, mo_id: int = id_path(), payload: FinishIn | None = Body(None)):
    company = request.company
    mo = mo_detail(company=company, mo_id=mo_id)
    mo_finish(
        company=company,
        mo=mo,
        quantity=payload.quantity if payload is not None else None,
        user=request.user,
    )
    return mo_out(mo_detail(company=company, mo_id=mo.id))
