"""JSON API for warehouses."""

from ninja import Router, Schema, Status

from .models import Warehouse
from .services import warehouse_create

router = Router(tags=["warehouses"])


class WarehouseIn(Schema):
    name: str


class WarehouseOut(Schema):
    id: int
    name: str


@router.post("/warehouses", response={201: WarehouseOut}, summary="Create a warehouse")
def create_warehouse(request, payload: WarehouseIn):
    return Status(201, warehouse_create(company=request.company, name=payload.name))


@router.get("/warehouses", response=list[WarehouseOut], summary="List warehouses")
def list_warehouses(request):
    return list(Warehouse.objects.filter(company=request.company).order_by("name", "id"))
