"""JSON API for sales channels."""

from ninja import Field, Query, Router, Schema, Status

from stockledger.core.pagination import PageQuery, keyset_page
from stockledger.core.tenancy import get_for_company

from .models import SalesChannel
from .services import channel_create

router = Router(tags=["sales channels"])


class ChannelIn(Schema):
    cart_type: str = Field(..., max_length=20)
    name: str = Field(..., min_length=1, max_length=200)


class ChannelOut(Schema):
    id: int
    cart_type: str
    name: str


@router.post("/sales-channels", response={201: ChannelOut}, summary="Create a sales channel")
def create_channel(request, payload: ChannelIn):
    return Status(
        201, channel_create(company=request.company, cart_type=payload.cart_type, name=payload.name)
    )


class ChannelListOut(Schema):
    items: list[ChannelOut]
    next_cursor: str | None


@router.get("/sales-channels", response=ChannelListOut, summary="List sales channels (by name)")
def list_channels(request, page: Query[PageQuery]):
    return keyset_page(
        SalesChannel.objects.filter(company=request.company),
        order=("name", "id"),
        limit=page.limit,
        cursor=page.cursor,
    )


@router.get("/sales-channels/{channel_id}", response=ChannelOut, summary="A sales channel")
def get_channel(request, channel_id: int):
    return get_for_company(SalesChannel, request.company, channel_id, label="sales channel")
