"""JSON API for products (written by SKU in bodies, read by id in paths)."""

from datetime import datetime

from ninja import Field, Query, Router, Schema, Status

from stockledger.core.limits import COMPONENT_QUANTITY_MAX
from stockledger.core.pagination import PageQuery, keyset_page, page_of
from stockledger.core.tenancy import get_for_company

from .models import Product, ProductKind
from .selectors import products_search, quantities_for
from .services import (
    product_archive,
    product_create,
    product_edit,
    product_unarchive,
)

router = Router(tags=["products"])


class ComponentIn(Schema):
    sku: str
    quantity: int = Field(..., ge=1, le=COMPONENT_QUANTITY_MAX)


class ProductIn(Schema):
    sku: str = Field(..., min_length=1, max_length=100)
    name: str = Field(..., min_length=1, max_length=300)
    kind: ProductKind | None = Field(
        None, description="simple, kit or manufactured; left out, it follows the lines"
    )
    components: list[ComponentIn] | None = Field(None, description="makes the product a kit")
    bom: list[ComponentIn] | None = Field(None, description="bill of materials per unit")


class ProductPatch(Schema):
    sku: str | None = Field(
        None, min_length=1, max_length=100, description="only while the product has no log rows"
    )
    name: str | None = Field(None, min_length=1, max_length=300)
    kind: ProductKind | None = None
    components: list[ComponentIn] | None = Field(None, description="replaces a kit's components")
    bom: list[ComponentIn] | None = Field(
        None, description="replaces a manufactured product's bill of materials"
    )


class ComponentOut(Schema):
    sku: str
    product_id: int
    quantity: int


class WarehouseQuantitiesOut(Schema):
    warehouse_id: int
    warehouse_name: str
    physical_on_hand: int
    committed: int
    available_on_hand: int


class ProductOut(Schema):
    id: int
    sku: str
    name: str
    kind: str
    archived: bool
    archived_at: datetime | None
    physical_on_hand: int
    committed: int
    available_on_hand: int
    warehouses: list[WarehouseQuantitiesOut]
    components: list[ComponentOut]
    bom: list[ComponentOut]


ProductListOut = page_of(ProductOut, name="ProductListOut")


def product_out(product: Product, quantities) -> dict:
    return {
        "id": product.id,
        "sku": product.sku,
        "name": product.name,
        "kind": product.kind,
        "archived": product.archived_at is not None,
        "archived_at": product.archived_at,
        "physical_on_hand": quantities.physical_on_hand,
        "committed": quantities.committed,
        "available_on_hand": quantities.available_on_hand,
        "warehouses": [
            {
                "warehouse_id": w.warehouse_id,
                "warehouse_name": w.warehouse_name,
                "physical_on_hand": w.physical_on_hand,
                "committed": w.committed,
                "available_on_hand": w.available_on_hand,
            }
            for w in quantities.warehouses
        ],
        "components": [
            {"sku": c.component.sku, "product_id": c.component_id, "quantity": c.quantity}
            for c in product.kit_components.select_related("component").order_by("id")
        ],
        "bom": [
            {"sku": b.component.sku, "product_id": b.component_id, "quantity": b.quantity}
            for b in product.bom_lines.select_related("component").order_by("id")
        ],
    }


@router.post(
    "/products", response={201: ProductOut}, summary="Create a product, kit or manufactured product"
)
def create_product(request, payload: ProductIn):
    product = product_create(
        company=request.company,
        sku=payload.sku,
        name=payload.name,
        kind=payload.kind,
        components=[c.dict() for c in payload.components or []],
        bom=[b.dict() for b in payload.bom or []],
    )
    return Status(201, product_out(product, quantities_for([product])[product.id]))


class ProductFilters(PageQuery):
    sku: str | None = Field(None, max_length=100, description="exactly this SKU")
    search: str | None = Field(None, max_length=300, description="in SKU or name")
    archived: bool | None = Field(
        False,
        description="false (default): active products; true: archived ones only; null: both",
    )


def _products_out(products: list[Product]) -> list[dict]:
    quantities = quantities_for(products)
    return [product_out(p, quantities[p.id]) for p in products]


@router.get("/products", response=ProductListOut, summary="List products by SKU (or search)")
def list_products(request, filters: Query[ProductFilters]):
    return keyset_page(
        products_search(
            company=request.company,
            sku=filters.sku,
            search=filters.search,
            archived=filters.archived,
        ),
        order=("sku", "id"),
        limit=filters.limit,
        cursor=filters.cursor,
        transform=_products_out,
    )


@router.get("/products/{product_id}", response=ProductOut, summary="A product with its quantities")
def get_product(request, product_id: int):
    product = get_for_company(Product, request.company, product_id, label="product")
    return product_out(product, quantities_for([product])[product.id])


def _lines(lines: list[ComponentIn] | None) -> list[dict] | None:
    return None if lines is None else [line.dict() for line in lines]


def _product_response(product: Product) -> dict:
    return product_out(product, quantities_for([product])[product.id])


@router.patch(
    "/products/{product_id}",
    response=ProductOut,
    summary="Change a product: SKU (no log rows yet), name, kind, components or BOM",
)
def patch_product(request, product_id: int, payload: ProductPatch):
    product = get_for_company(Product, request.company, product_id, label="product")
    product_edit(
        company=request.company,
        product=product,
        sku=payload.sku,
        name=payload.name,
        kind=payload.kind,
        components=_lines(payload.components),
        bom=_lines(payload.bom),
    )
    return _product_response(product)


@router.put(
    "/products/{product_id}",
    response=ProductOut,
    summary="Replace a product's SKU, name, kind and lines (left-out lines become none)",
)
def put_product(request, product_id: int, payload: ProductIn):
    product = get_for_company(Product, request.company, product_id, label="product")
    kind = payload.kind or product.kind
    product_edit(
        company=request.company,
        product=product,
        sku=payload.sku,
        name=payload.name,
        kind=kind,
        components=_lines(payload.components or []) if kind == ProductKind.KIT else None,
        bom=_lines(payload.bom or []) if kind == ProductKind.MANUFACTURED else None,
    )
    return _product_response(product)


@router.post(
    "/products/{product_id}/archive",
    response=ProductOut,
    summary="Archive a product: hidden from lists, refused in new documents; its log stays",
)
def archive_product(request, product_id: int):
    product = get_for_company(Product, request.company, product_id, label="product")
    return _product_response(product_archive(company=request.company, product=product))


@router.post("/products/{product_id}/unarchive", response=ProductOut, summary="Unarchive a product")
def unarchive_product(request, product_id: int):
    product = get_for_company(Product, request.company, product_id, label="product")
    return _product_response(product_unarchive(company=request.company, product=product))
