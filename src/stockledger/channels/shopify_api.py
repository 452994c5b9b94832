"""JSON API for a channel's Shopify connection. The access token and the webhook secret
are write-only: answers say whether they are set (and the token's last 4), never them."""

from ninja import Field, Router, Schema

from stockledger.core.errors import NotFound
from stockledger.core.ids import id_path

from .adapters.shopify_client import API_VERSION
from .models import ShopifySettings
from .selectors import channel_for
from .shopify_services import channel_connect_shopify

router = Router(tags=["sales channels"])


class ShopifyIn(Schema):
    shop_domain: str = Field(..., description="the store's example.myshopify.com address")
    access_token: str | None = Field(
        None, description="Admin API access token (write-only; omit to keep the stored one)"
    )
    webhook_secret: str | None = Field(
        None,
        description="the app's client secret Shopify signs webhooks with (write-only; omit "
        "to keep the stored one)",
    )


class ShopifyOut(Schema):
    channel_id: int
    shop_domain: str
    api_version: str
    access_token: str = Field(..., description='"set (…last 4)" or "not set"; never the token')
    webhook_secret_set: bool
    webhook_path: str = Field(..., description="where Shopify must send order webhooks")


def shopify_out(config: ShopifySettings) -> dict:
    token = "not set"
    if config.access_token_sealed:
        token = f"set (…{config.access_token_hint})" if config.access_token_hint else "set"
    return {
        "channel_id": config.channel_id,
        "shop_domain": config.shop_domain,
        "api_version": API_VERSION,
        "access_token": token,
        "webhook_secret_set": bool(config.webhook_secret_sealed),
        "webhook_path": f"/hooks/{config.channel_id}/shopify",
    }


@router.put(
    "/sales-channels/{channel_id}/shopify",
    response=ShopifyOut,
    summary="Connect the channel to a Shopify store (writebacks, read-back, order import)",
)
def put_shopify(request, payload: ShopifyIn, channel_id: int = id_path()):
    channel = channel_for(company=request.company, channel_id=channel_id)
    config = channel_connect_shopify(
        company=request.company,
        channel=channel,
        shop_domain=payload.shop_domain,
        access_token=payload.access_token,
        webhook_secret=payload.webhook_secret,
    )
    return shopify_out(config)


@router.get(
    "/sales-channels/{channel_id}/shopify",
    response={200: ShopifyOut},
    summary="The channel's Shopify connection (secrets never shown)",
)
def get_shopify(request, channel_id: int = id_path()):
    channel = channel_for(company=request.company, channel_id=channel_id)
    config = ShopifySettings.objects.filter(channel=channel).first()
    if config is None:
        raise NotFound(f"{channel.name} is not connected to Shopify")
    return shopify_out(config)
