"""The adapter interface: connectors register, the channel's setting picks one."""

import pytest

from stockledger.channels import adapters
from stockledger.channels.adapters import (
    ChannelAdapter,
    ChannelQuantity,
    Delivery,
    NotSupported,
    adapter_for,
)
from stockledger.channels.models import ChannelSync, SalesChannel
from stockledger.channels.services import channel_set_adapter
from stockledger.channels.sync import channel_quantities_pull, channel_writeback_run
from stockledger.core.errors import Conflict, InvalidInput


class ShelfAdapter(ChannelAdapter):
    """A connector for a channel that keeps quantities on a shelf in memory."""

    name = "test-shelf"
    label = "Test shelf"
    shows = [ChannelQuantity("W-1", 4), ChannelQuantity("NOT-OURS", 9)]
    written: list = []
    broken = False

    def write_quantities(self, items, *, event_id):
        if self.broken:
            raise RuntimeError("connector bug")
        type(self).written.append((event_id, [(i.sku, i.quantity) for i in items]))
        return [Delivery("delivered", "delivered: on the shelf") for _ in items]

    def read_quantities(self, skus=None):
        return list(self.shows)


@pytest.fixture
def shelf(monkeypatch, company, channel):
    monkeypatch.setitem(adapters._REGISTRY, ShelfAdapter.name, ShelfAdapter)
    monkeypatch.setattr(ShelfAdapter, "written", [])
    channel_set_adapter(company=company, channel=channel, adapter="test-shelf")
    return ShelfAdapter


def test_a_registered_connector_writes_and_reads_for_its_channels(
    company, channel, shelf, product_factory, warehouses, stock, log_of, verify_clean
):
    widget = product_factory("W-1")
    stock(widget, warehouses[0], 6)
    run = channel_writeback_run(company=company, channel=channel)
    assert shelf.written == [(run.label, [("W-1", 6)])]
    [export] = log_of(widget, event_type="export")
    assert export.delivery_status == "delivered: on the shelf"
    assert run.status == "delivered"

    sync = channel_quantities_pull(company=company, channel=channel)
    [imported] = log_of(widget, event_type="import")
    # The SKU the channel lists that we do not know is skipped.
    assert sync.products == 1
    assert (imported.quantity, imported.channel_last_written, imported.channel_differs) == (
        4,
        6,
        True,
    )
    verify_clean()


def test_webhook_and_manual_channels_cannot_be_read_or_polled(company, channel):
    adapter = adapter_for(channel)
    with pytest.raises(NotSupported):
        adapter.read_quantities()
    with pytest.raises(NotSupported):
        adapter.fetch_orders()
    with pytest.raises(Conflict, match="cannot be read"):
        channel_quantities_pull(company=company, channel=channel)


def test_a_channel_whose_adapter_is_not_installed_refuses_to_run(
    company, channel, product_factory, db_dump
):
    product_factory("W-1")
    SalesChannel.objects.filter(pk=channel.pk).update(adapter="uninstalled")
    channel.refresh_from_db()
    before = db_dump()
    with pytest.raises(Conflict, match="uninstalled"):
        channel_writeback_run(company=company, channel=channel)
    assert db_dump() == before


def test_a_connector_that_crashes_leaves_a_failed_run_and_no_export_rows(
    company, channel, shelf, product_factory, log_of, monkeypatch
):
    widget = product_factory("W-1")
    monkeypatch.setattr(ShelfAdapter, "broken", True)
    with pytest.raises(RuntimeError, match="connector bug"):
        channel_writeback_run(company=company, channel=channel)
    assert log_of(widget, event_type="export") == []
    run = ChannelSync.objects.get(kind="export")
    assert (run.status, run.error) == ("failed", "RuntimeError: connector bug")
    channel.refresh_from_db()
    assert channel.last_writeback_status == "failed"
    # The next run is not blocked by the failed one.
    monkeypatch.setattr(ShelfAdapter, "broken", False)
    assert channel_writeback_run(company=company, channel=channel).status == "delivered"


def test_only_installed_adapters_can_be_chosen(company, channel, db_dump):
    before = db_dump()
    with pytest.raises(
        InvalidInput, match="adapter must be one of manual, shopify, vendure, webhook"
    ):
        channel_set_adapter(company=company, channel=channel, adapter="shopify-live")
    with pytest.raises(InvalidInput, match="webhook URL first"):
        channel_set_adapter(company=company, channel=channel, adapter="webhook")
    with pytest.raises(InvalidInput, match="connect Shopify first"):
        channel_set_adapter(company=company, channel=channel, adapter="shopify")
    assert db_dump() == before
