"""JSON API for warehouses."""

from ninja import Field, Query, Router, Schema, Status

from stockledger.core.pagination import PageQuery, keyset_page

from .models import Warehouse
from .services import warehouse_create

router = Router(tags=["warehouses"])


class WarehouseIn(Schema):
    name: str = Field(..., min_length=1, max_length=200)


class WarehouseOut(Schema):
    id: int
    name: str


@router.post("/warehouses", response={201: WarehouseOut}, summary="Create a warehouse")
def create_warehouse(request, payload: WarehouseIn):
    return Status(201, warehouse_create(company=request.company, name=payload.name))


class WarehouseListOut(Schema):
    items: list[WarehouseOut]
    next_cursor: str | None


@router.get("/warehouses", response=WarehouseListOut, summary="List warehouses (by name)")
def list_warehouses(request, page: Query[PageQuery]):
    return keyset_page(
        Warehouse.objects.filter(company=request.company),
        order=("name", "id"),
        limit=page.limit,
        cursor=page.cursor,
    )
