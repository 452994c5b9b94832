"""Channel adapters, chosen by the channel's `adapter` setting.

A connector for a real channel subclasses `ChannelAdapter` and calls `register(...)` (for
instance in its app's `ready()`); `adapter_for(channel)` returns the channel's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import (
    ChannelAdapter,
    ChannelOrder,
    ChannelOrderLine,
    ChannelQuantity,
    Delivery,
    NotSupported,
    OrderPage,
    OrderState,
    QuantityToWrite,
)
from .manual import ManualAdapter
from .shopify import ShopifyAdapter
from .vendure import VendureAdapter
from .webhook import WebhookAdapter

if TYPE_CHECKING:
    from stockledger.channels.models import SalesChannel

_REGISTRY: dict[str, type[ChannelAdapter]] = {}


def register(adapter: type[ChannelAdapter]) -> type[ChannelAdapter]:
    _REGISTRY[adapter.name] = adapter
    return adapter


def registered() -> list[str]:
    return sorted(_REGISTRY)


def adapter_for(channel: SalesChannel) -> ChannelAdapter:
    try:
        return _REGISTRY[channel.adapter](channel)
    except KeyError:
        raise NotSupported(f"no adapter named {channel.adapter!r} is installed") from None


register(ManualAdapter)
register(WebhookAdapter)
register(ShopifyAdapter)
register(VendureAdapter)

__all__ = [
    "ChannelAdapter",
    "ChannelOrder",
    "ChannelOrderLine",
    "ChannelQuantity",
    "Delivery",
    "NotSupported",
    "OrderPage",
    "OrderState",
    "QuantityToWrite",
    "adapter_for",
    "register",
    "registered",
]
