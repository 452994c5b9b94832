"""JSON API for warehouses."""

from datetime import datetime

from ninja import Field, Query, Router, Schema, Status

from stockledger.core.pagination import PageQuery, keyset_page, page_of
from stockledger.core.tenancy import get_for_company

from .models import Warehouse
from .services import warehouse_archive, warehouse_create, warehouse_rename, warehouse_unarchive

router = Router(tags=["warehouses"])


class WarehouseIn(Schema):
    name: str = Field(..., min_length=1, max_length=200)


class WarehouseOut(Schema):
    id: int
    name: str
    archived: bool
    archived_at: datetime | None

    @staticmethod
    def resolve_archived(obj) -> bool:
        return obj.archived_at is not None


@router.post("/warehouses", response={201: WarehouseOut}, summary="Create a warehouse")
def create_warehouse(request, payload: WarehouseIn):
    return Status(201, warehouse_create(company=request.company, name=payload.name))


WarehouseListOut = page_of(WarehouseOut, name="WarehouseListOut")


class WarehouseFilters(PageQuery):
    archived: bool | None = Field(
        False,
        description="false (default): active warehouses; true: archived ones only; null: both",
    )


class WarehouseRename(Schema):
    name: str = Field(..., min_length=1, max_length=200)


@router.get("/warehouses", response=WarehouseListOut, summary="List warehouses (by name)")
def list_warehouses(request, page: Query[WarehouseFilters]):
    qs = Warehouse.objects.filter(company=request.company)
    if page.archived is not None:
        qs = qs.filter(archived_at__isnull=not page.archived)
    return keyset_page(
        qs,
        order=("name", "id"),
        limit=page.limit,
        cursor=page.cursor,
    )


def _warehouse(request, warehouse_id: int) -> Warehouse:
    return get_for_company(Warehouse, request.company, warehouse_id, label="warehouse")


@router.get("/warehouses/{warehouse_id}", response=WarehouseOut, summary="A warehouse")
def get_warehouse(request, warehouse_id: int):
    return _warehouse(request, warehouse_id)


@router.patch(
    "/warehouses/{warehouse_id}",
    response=WarehouseOut,
    summary="Rename a warehouse (log rows written before keep the old name)",
)
def rename_warehouse(request, warehouse_id: int, payload: WarehouseRename):
    return warehouse_rename(
        company=request.company, warehouse=_warehouse(request, warehouse_id), name=payload.name
    )


@router.post(
    "/warehouses/{warehouse_id}/archive",
    response=WarehouseOut,
    summary="Archive a warehouse that holds no stock: hidden from pickers, refused for new "
    "documents",
)
def archive_warehouse(request, warehouse_id: int):
    return warehouse_archive(company=request.company, warehouse=_warehouse(request, warehouse_id))


@router.post(
    "/warehouses/{warehouse_id}/unarchive", response=WarehouseOut, summary="Unarchive a warehouse"
)
def unarchive_warehouse(request, warehouse_id: int):
    return warehouse_unarchive(company=request.company, warehouse=_warehouse(request, warehouse_id))
