"""JSON API for products (written by SKU in bodies, read by id in paths)."""

from ninja import Field, Query, Router, Schema, Status

from stockledger.core.pagination import PageQuery, keyset_page
from stockledger.core.tenancy import get_for_company

from .models import Product
from .selectors import products_search, quantities_for
from .services import product_create

router = Router(tags=["products"])


class ComponentIn(Schema):
    sku: str
    quantity: int = Field(..., ge=1, le=1_000_000)


class ProductIn(Schema):
    sku: str = Field(..., min_length=1, max_length=100)
    name: str = Field(..., min_length=1, max_length=300)
    components: list[ComponentIn] | None = Field(None, description="makes the product a kit")
    bom: list[ComponentIn] | None = Field(None, description="bill of materials per unit")


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
    physical_on_hand: int
    committed: int
    available_on_hand: int
    warehouses: list[WarehouseQuantitiesOut]
    components: list[ComponentOut]
    bom: list[ComponentOut]


class ProductListOut(Schema):
    items: list[ProductOut]
    next_cursor: str | None


def product_out(product: Product, quantities) -> dict:
    return {
        "id": product.id,
        "sku": product.sku,
        "name": product.name,
        "kind": product.kind,
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
        components=[c.dict() for c in payload.components or []],
        bom=[b.dict() for b in payload.bom or []],
    )
    return Status(201, product_out(product, quantities_for([product])[product.id]))


class ProductFilters(PageQuery):
    sku: str | None = Field(None, max_length=100, description="exactly this SKU")
    search: str | None = Field(None, max_length=300, description="in SKU or name")


def _products_out(products: list[Product]) -> list[dict]:
    quantities = quantities_for(products)
    return [product_out(p, quantities[p.id]) for p in products]


@router.get("/products", response=ProductListOut, summary="List products by SKU (or search)")
def list_products(request, filters: Query[ProductFilters]):
    return keyset_page(
        products_search(company=request.company, sku=filters.sku, search=filters.search),
        order=("sku", "id"),
        limit=filters.limit,
        cursor=filters.cursor,
        transform=_products_out,
    )


@router.get("/products/{product_id}", response=ProductOut, summary="A product with its quantities")
def get_product(request, product_id: int):
    product = get_for_company(Product, request.company, product_id, label="product")
    return product_out(product, quantities_for([product])[product.id])
