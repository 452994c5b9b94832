"""A channel without a push connector: quantities are recorded for a connector to read.

The writeback run logs the `export` rows and keeps the last written quantity per SKU; an
integration reads them through `GET /sales-channels/{id}/written` and applies them itself.
"""

from collections.abc import Sequence

from .base import ChannelAdapter, Delivery, QuantityToWrite


class ManualAdapter(ChannelAdapter):
    name = "manual"
    label = "Manual"

    def write_quantities(
        self, items: Sequence[QuantityToWrite], *, event_id: str
    ) -> list[Delivery]:
        recorded = Delivery("recorded", "recorded: no push connector; read from the API")
        return [recorded] * len(items)
