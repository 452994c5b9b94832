"""Orders entered by hand (phone, market stall) on the company's Manual channel.

They go through `order_import` like any channel's order: stock is committed and `order` rows
are logged the same way, so shipping and cancelling work as for imported orders.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import cast

from django.utils import timezone

from stockledger.channels.services import channel_manual_ensure
from stockledger.core.documents import next_document_number
from stockledger.core.errors import Conflict, InvalidInput
from stockledger.core.models import Company, User
from stockledger.warehouses.models import Warehouse

from .models import Order
from .services import _clean_lines, _resolve, clean_order_number, order_find, order_import

MANUAL_PREFIX = "M-"


def _taken(number: str) -> InvalidInput:
    return InvalidInput(
        f"order {number!r} already exists on the Manual channel", field="order_number"
    )


def order_enter(
    *,
    company: Company,
    warehouse: Warehouse,
    lines: Sequence[dict],
    order_number: str | None = None,
    placed_at: datetime | str | None = None,
    user: User | None = None,
) -> Order:
    """Enter an order by hand on the company's Manual channel (made on first use).

    `order_number` blank or None: the next free M-000001-style number. The order is imported
    with `order_import`: stock committed at `warehouse`, one `order` row per product
    (order_step = imported, cart columns of the Manual channel, user_name from `user`),
    created_at = `placed_at` (default now).
    Raises InvalidInput (nothing written, not even the channel) for: a typed number the Manual
    channel already has (field `order_number`; entering it again is a mistake, not a replay),
    a warehouse of another company, empty or repeated lines, an unknown SKU, a quantity
    below 1.
    """
    if warehouse.company_id != company.id:
        raise InvalidInput(f"unknown warehouse {warehouse.id!r}", field="warehouse_id")
    typed = bool(order_number and order_number.strip())
    if typed:
        order_number = clean_order_number(order_number)
    _resolve(company, _clean_lines(lines, verb="order"))  # refuse bad lines before any write
    channel = channel_manual_ensure(company=company)
    for _attempt in range(5):
        number = (
            cast(str, order_number)  # cleaned above
            if typed
            else next_document_number(
                Order.objects.filter(channel=channel), prefix=MANUAL_PREFIX, field="order_number"
            )
        )
        if typed and order_find(company=company, channel=channel, order_number=number):
            raise _taken(number)
        order, created = order_import(
            company=company,
            channel=channel,
            order_number=number,
            placed_at=placed_at or timezone.now(),
            warehouse=warehouse,
            lines=lines,
            user=user,
        )
        if created:
            return order
        if typed:  # entered concurrently with the same number
            raise _taken(number)
    raise Conflict("no free order number was found; type one", field="order_number")
