"""The interface a channel connector implements (Shopify, Amazon, ... or a webhook).

A connector reads the quantities the channel shows, writes quantities to it, and fetches its
orders. The services around it own the Inventory Log: an adapter only talks to the channel
and reports what happened; it never touches the database.
"""

from __future__ import annotations

import time
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
    # For adapters that write per location (`per_location`): (channel location id, quantity)
    # for each mapped warehouse; `quantity` is then their sum.
    locations: tuple[tuple[str, int], ...] = ()


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


# A channel's timeout for one request never exceeds this (a slow channel must not hold a
# worker for long; see also ChannelAdapter.deadline).
MAX_TIMEOUT_SECONDS = 10.0


class OrderState:
    """Where a channel's order stands, as `ChannelOrder.state`."""

    PLACED = "placed"  # placed and not yet shipped: import it (commit)
    SHIPPED = "shipped"  # fulfilled by the channel: ship it
    CANCELLED = "cancelled"  # cancelled in the channel: cancel what is not shipped


@dataclass(frozen=True)
class ChannelOrder:
    order_number: str
    placed_at: datetime
    lines: list[ChannelOrderLine] = field(default_factory=list)
    # Added for polling connectors (defaults keep older adapters working):
    state: str = OrderState.PLACED
    location: str = ""  # the channel's location the order is allocated from ("" unknown)
    updated_at: datetime | None = None
    shipped_at: datetime | None = None


@dataclass(frozen=True)
class OrderPage:
    """One poll of a channel's orders: those changed after the cursor, the cursor to store for
    the next poll, and whether more are waiting (poll again at once)."""

    orders: list[ChannelOrder]
    cursor: str
    more: bool = False


class ChannelAdapter(ABC):
    """One channel's connector. Instances are made per use: `adapter_for(channel)`."""

    name: ClassVar[str]
    label: ClassVar[str]
    # What the scheduler runs for channels of this adapter on its own: writeback (pushes),
    # quantity read-back (can_read), order polling (can_poll_orders). The manual adapter
    # does none: a connector outside pulls from the API.
    pushes: ClassVar[bool] = False
    can_read: ClassVar[bool] = False
    can_poll_orders: ClassVar[bool] = False
    # Writes each mapped location's own quantity (QuantityToWrite.locations).
    per_location: ClassVar[bool] = False

    def __init__(self, channel: SalesChannel) -> None:
        self.channel = channel
        # time.monotonic() after which the adapter stops starting requests (the run's budget:
        # one company's deliveries cannot hold a worker for long). None: no limit.
        self.deadline: float | None = None

    def time_left(self) -> float | None:
        """Seconds before the deadline (None without one; never below 0)."""
        if self.deadline is None:
            return None
        return max(0.0, self.deadline - time.monotonic())

    def request_timeout(self, wanted: float) -> float:
        """A request's timeout: `wanted`, capped at MAX_TIMEOUT_SECONDS and the time left."""
        timeout = min(max(0.1, wanted), MAX_TIMEOUT_SECONDS)
        left = self.time_left()
        return timeout if left is None else max(0.1, min(timeout, left))

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

    def poll_orders(self, cursor: str) -> OrderPage:
        """Orders changed after `cursor` ("" the first time), oldest change first, with the
        cursor to store. Orders may repeat across polls: importing is idempotent."""
        raise NotSupported(f"{self.label} channels cannot be polled; they push orders")
