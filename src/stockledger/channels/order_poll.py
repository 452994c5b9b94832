"""Order import by polling a channel from a stored cursor (the worker runs it on schedule).

Each poll asks the adapter for the orders changed after the channel's cursor and applies
each one as a webhook's would be (order_events.channel_order_apply, the one home of that
rule), one order per transaction:

- placed: imported (commits stock at the warehouse mapped to the order's location);
- shipped: imported if new, then shipped (the channel fulfilled it);
- cancelled: what is not shipped is cancelled (an order we never saw is left alone).

Importing is idempotent by channel + order number, so an order seen twice (polls overlap,
a retry after a crash) changes nothing the second time. The cursor is stored after the
orders are applied: a crash in between repeats them, never skips them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from django.utils import timezone

from stockledger.core.errors import Conflict, DomainError
from stockledger.core.models import Company

from .adapters import ChannelOrder, NotSupported, adapter_for
from .models import ChannelSync, ChannelSyncState, SalesChannel
from .order_events import channel_order_apply, warehouse_lookup

MAX_PAGES = 50


@dataclass
class PollResult:
    imported: int = 0
    shipped: int = 0
    cancelled: int = 0
    skipped: list[str] = field(default_factory=list)  # "order: why"

    @property
    def changed(self) -> int:
        return self.imported + self.shipped + self.cancelled

    def summary(self) -> str:
        text = f"{self.imported} imported, {self.shipped} shipped, {self.cancelled} cancelled"
        if self.skipped:
            text += f"; {len(self.skipped)} skipped ({'; '.join(self.skipped[:3])})"
        return text


def channel_orders_poll(
    *,
    company: Company,
    channel: SalesChannel,
    sync: ChannelSync,
    deadline: float | None = None,
) -> PollResult:
    """Poll the channel's orders from its cursor and apply them (see the module docstring).

    Records the outcome in `sync` (kind orders): products = orders changed, error = the
    summary when some were skipped. The adapter's own failure (unreachable, refused) raises
    and leaves the cursor where it was. Conflict when the adapter cannot be polled."""
    try:
        adapter = adapter_for(channel)
    except NotSupported as exc:
        raise Conflict(str(exc), field="adapter") from None
    adapter.deadline = deadline
    state, _ = ChannelSyncState.objects.get_or_create(
        channel=channel, defaults={"company": company}
    )
    ChannelSync.objects.filter(pk=sync.pk).update(
        status=ChannelSync.Status.RUNNING, started_at=timezone.now()
    )
    warehouses = warehouse_lookup(company, channel)
    result = PollResult()
    cursor = state.orders_cursor
    for _page in range(MAX_PAGES):
        try:
            page = adapter.poll_orders(cursor)
        except NotSupported as exc:
            raise Conflict(str(exc), field="adapter") from None
        for order in page.orders:
            _apply(company, channel, order, warehouses, result)
        cursor = page.cursor
        ChannelSyncState.objects.filter(pk=state.pk).update(orders_cursor=cursor)
        if not page.more or (deadline is not None and time.monotonic() >= deadline):
            break
    ChannelSync.objects.filter(pk=sync.pk).update(
        status=ChannelSync.Status.RECORDED,
        finished_at=timezone.now(),
        products=result.changed,
        error=result.summary() if result.skipped else "",
    )
    return result


def _apply(company, channel, order: ChannelOrder, warehouses, result: PollResult) -> None:
    try:
        done = channel_order_apply(
            company=company,
            channel=channel,
            order=order,
            external_id=getattr(order, "external_id", ""),
            warehouses=warehouses,
        )
    except DomainError as exc:
        result.skipped.append(f"{order.order_number}: {exc.message}")
        return
    result.imported += done.imported
    result.shipped += done.shipped
    result.cancelled += done.cancelled
    if done.skipped:
        result.skipped.append(str(done))
