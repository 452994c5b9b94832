"""The interface a channel connector implements (Shopify, Amazon, ... or a webhook).

A connector reads the quantities the channel shows, writes quantities to it, and fetches its
orders. The services around it own the Inventory Log: an adapter only talks to the channel
and reports what happened; it never touches the database.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from stockledger.channels.models import SalesChannel


class NotSupported(Exception):
    """The channel cannot do this through its adapter (a push-only webhook cannot be read)."""


@dataclass(frozen=True)
class QuantityToWrite:
    sku: str
    quantity: int


@dataclass(frozen=True)
class Delivery:
    """What happened to one quantity written: recorded (not pushed), delivered or failed.

    `detail` is what the export row's delivery_status says.
    """

    status: str  # "recorded" | "delivered" | "failed"
    detail: str
    error: str = ""
    unreachable: bool = False  # every attempt failed: the receiver is down or too slow


@dataclass(frozen=True)
class ChannelQuantity:
    sku: str
    quantity: int


@dataclass(frozen=True)
class ChannelOrderLine:
    sku: str
    quantity: int


@dataclass(frozen=True)
class ChannelOrder:
    order_number: str
    placed_at: datetime
    lines: list[ChannelOrderLine] = field(default_factory=list)


class ChannelAdapter(ABC):
    """One channel's connector. Instances are made per use: `adapter_for(channel)`."""

    name: ClassVar[str]
    label: ClassVar[str]

    def __init__(self, channel: SalesChannel) -> None:
        self.channel = channel

    @abstractmethod
    def write_quantities(
        self, items: Sequence[QuantityToWrite], *, event_id: str
    ) -> list[Delivery]:
        """Write the quantities; return one Delivery per item, in order. Must not raise for
        a failure of the channel: report it in the Delivery."""

    def read_quantities(self, skus: Sequence[str] | None = None) -> list[ChannelQuantity]:
        """The quantities the channel shows now (all SKUs it lists with None)."""
        raise NotSupported(f"{self.label} channels cannot be read; they report quantities")

    def fetch_orders(self, since: datetime | None = None) -> list[ChannelOrder]:
        """Orders placed since `since`."""
        raise NotSupported(f"{self.label} channels cannot be polled; they push orders")
