"""JSON API for sales channels."""

from ninja import Router, Schema, Status

from stockledger.core.tenancy import get_for_company

from .models import SalesChannel
from .services import channel_create

router = Router(tags=["sales channels"])


class ChannelIn(Schema):
    cart_type: str
    name: str


class ChannelOut(Schema):
    id: int
    cart_type: str
    name: str


@router.post("/sales-channels", response={201: ChannelOut}, summary="Create a sales channel")
def create_channel(request, payload: ChannelIn):
    return Status(
        201, channel_create(company=request.company, cart_type=payload.cart_type, name=payload.name)
    )


@router.get("/sales-channels", response=list[ChannelOut], summary="List sales channels")
def list_channels(request):
    return list(SalesChannel.objects.filter(company=request.company).order_by("name", "id"))


@router.get("/sales-channels/{channel_id}", response=ChannelOut, summary="A sales channel")
def get_channel(request, channel_id: int):
    return get_for_company(SalesChannel, request.company, channel_id, label="sales channel")
