"""Sync that runs by itself: schedules in the database, each due run enqueued once, a stock
change written back after the debounce, failures backing off and suspending the channel."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import pytest
from django.utils import timezone

from stockledger.channels import adapters
from stockledger.channels.adapters import (
    ChannelAdapter,
    ChannelQuantity,
    Delivery,
    OrderPage,
    QuantityToWrite,
)
from stockledger.channels.jobs import channel_sync_configure, scheduler_tick
from stockledger.channels.models import ChannelSchedule, ChannelSync, ChannelSyncState
from stockledger.ledger.services import stock_adjust, stock_set
from tests.channel_jobs import run_channel_jobs


class FakeStore:
    """What a fake channel holds and how it behaves."""

    def __init__(self):
        self.written: list[list[tuple[str, int]]] = []
        self.shows: dict[str, int] = {}
        self.fail = False


STORE = FakeStore()


class FakeAdapter(ChannelAdapter):
    name = "fake"
    label = "Fake"
    pushes = True
    can_read = True
    can_poll_orders = True

    def write_quantities(self, items: Sequence[QuantityToWrite], *, event_id: str):
        if STORE.fail:
            return [Delivery("failed", "failed: store down", "store down", True)] * len(items)
        STORE.written.append([(i.sku, i.quantity) for i in items])
        STORE.shows.update({i.sku: i.quantity for i in items})
        return [Delivery("delivered", "delivered")] * len(items)

    def read_quantities(self, skus=None):
        if STORE.fail:
            raise ConnectionError("store down")
        return [ChannelQuantity(sku, q) for sku, q in STORE.shows.items()]

    def poll_orders(self, cursor: str) -> OrderPage:
        if STORE.fail:
            raise ConnectionError("store down")
        return OrderPage([], cursor or "0")


@pytest.fixture
def signed_in_client(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def fake(company, warehouses, product_factory):
    global STORE
    STORE = FakeStore()
    adapters.register(FakeAdapter)
    from stockledger.channels.services import channel_create

    channel = channel_create(company=company, cart_type="other", name="Fake store")
    channel.adapter = "fake"
    channel.save(update_fields=["adapter"])
    channel_sync_configure(channel=channel)
    product_factory("MUG")
    product_factory("CUP")
    yield channel
    adapters._REGISTRY.pop("fake", None)


def later(seconds: float):
    return timezone.now() + timedelta(seconds=seconds)


def runs(channel, **filters):
    return list(ChannelSync.objects.filter(channel=channel, **filters).order_by("id"))


def test_a_channel_gets_one_schedule_per_thing_its_adapter_can_do_due_at_once(fake):
    kinds = dict(
        ChannelSchedule.objects.filter(channel=fake).values_list("kind", "interval_seconds")
    )
    assert kinds == {"orders": 60, "readback": 3600, "writeback": 3600}
    assert ChannelSyncState.objects.get(channel=fake).auto_writeback is True


def test_each_due_run_is_enqueued_once_however_often_the_scheduler_ticks(fake):
    first = scheduler_tick(now=later(1))
    assert sorted(s.kind for s in first) == ["export", "import", "orders"]
    assert all(s.status == "queued" and s.trigger == "schedule" for s in first)
    assert scheduler_tick(now=later(1)) == []  # the same moment, another worker: nothing
    assert scheduler_tick(now=later(30)) == []  # not due again yet
    # The schedule moved on by its interval, in the database (a restart reads it back).
    orders = ChannelSchedule.objects.get(channel=fake, kind="orders")
    assert later(55) < orders.next_run_at < later(62)
    # Still waiting for a worker: the next due time enqueues nothing more.
    assert scheduler_tick(now=later(65)) == []
    run_channel_jobs()
    assert [s.kind for s in scheduler_tick(now=later(130))] == ["orders"]


def test_a_stock_change_reaches_the_channel_after_the_debounce_and_only_what_changed(
    fake, company, warehouses
):
    from stockledger.catalog.models import Product

    mug = Product.objects.get(sku="MUG")
    scheduler_tick(now=later(1))
    run_channel_jobs()  # the first full pass writes both SKUs
    assert sorted(STORE.written[-1]) == [("CUP", 0), ("MUG", 0)]
    assert ChannelSyncState.objects.get(channel=fake).dirty_since is None

    stock_set(company=company, product=mug, warehouse=warehouses[0], physical_on_hand=7)
    stock_adjust(company=company, product=mug, warehouse=warehouses[1], change=2)
    state = ChannelSyncState.objects.get(channel=fake)
    assert state.dirty_since is not None  # marked in the stock change's own transaction
    assert scheduler_tick(now=state.dirty_since + timedelta(seconds=1)) == []  # debouncing
    [run] = scheduler_tick(now=later(6))
    assert (run.kind, run.trigger, run.options) == ("export", "change", {"only_changed": True})
    assert scheduler_tick(now=later(7)) == []
    run_channel_jobs()
    assert STORE.written[-1] == [("MUG", 9)]  # both changes in one batch, CUP unchanged
    [export] = [r for r in runs(fake, kind="export") if r.trigger == "change"]
    assert (export.status, export.products, export.delivered) == ("delivered", 1, 1)


def test_a_settings_change_marks_the_channel_dirty(fake, company, warehouses):
    from stockledger.channels.services import channel_set_writeback_warehouses

    channel_set_writeback_warehouses(
        company=company, channel=fake, warehouse_ids=[warehouses[0].id]
    )
    assert ChannelSyncState.objects.get(channel=fake).dirty_since is not None


def test_manual_channels_are_not_synced_automatically(company, channel, warehouses):
    channel_sync_configure(channel=channel)
    assert not ChannelSchedule.objects.filter(channel=channel).exists()
    assert scheduler_tick(now=later(10)) == []


def test_failures_back_off_then_suspend_the_channel_until_resumed(fake, api, signed_in_client):
    STORE.fail = True
    now = later(1)
    for attempt in range(1, 6):
        enqueued = scheduler_tick(now=now)
        assert enqueued, f"attempt {attempt}: nothing due"
        run_channel_jobs()
        state = ChannelSyncState.objects.get(channel=fake)
        assert state.failures >= attempt
        if state.suspended_at:
            break
        due = ChannelSchedule.objects.filter(channel=fake).order_by("next_run_at").first()
        now = due.next_run_at + timedelta(seconds=1)
    state = ChannelSyncState.objects.get(channel=fake)
    assert state.suspended_at is not None
    assert "failed in a row" in state.suspended_reason and "store down" in state.suspended_reason
    assert all(r.status == "failed" for r in runs(fake))
    # Suspended: nothing is enqueued, however late.
    assert scheduler_tick(now=later(100_000)) == []
    health = api.get(f"/sales-channels/{fake.id}/health").json()
    assert health["sync_suspended"] is True and "store down" in health["suspended_reason"]
    # The banner in the top bar on every page, and the reason with a Resume button on the page.
    page = signed_in_client.get("/", follow=True).content.decode()
    assert "Sync suspended" in page and "Fake store" in page
    page = signed_in_client.get(f"/channels/{fake.id}/").content.decode()
    assert "store down" in page and "Resume sync" in page

    STORE.fail = False
    resumed = api.post(f"/sales-channels/{fake.id}/resume").json()
    assert (resumed["sync_suspended"], resumed["consecutive_failures"]) == (False, 0)
    assert len(scheduler_tick(now=later(10))) == 3
    run_channel_jobs()
    assert api.get(f"/sales-channels/{fake.id}/health").json()["consecutive_failures"] == 0


def test_a_backoff_grows_exponentially(fake):
    from stockledger.channels.jobs import record_outcome

    waits = []
    for _ in range(3):
        before = timezone.now()
        record_outcome(channel=fake, sync_kind="orders", ok=False, error="x")
        due = ChannelSchedule.objects.get(channel=fake, kind="orders").next_run_at
        waits.append(round((due - before).total_seconds()))
    assert waits == [30, 60, 60]  # 30, 60, then capped at the 60 s interval


def test_the_health_shows_last_runs_pending_changes_and_drift(fake, api, company, warehouses):
    from stockledger.catalog.models import Product

    scheduler_tick(now=later(1))
    run_channel_jobs()
    STORE.shows["MUG"] = 4  # changed by hand in the store
    api.post(f"/sales-channels/{fake.id}/sync-run", {"kind": "import"})
    run_channel_jobs()
    stock_set(
        company=company,
        product=Product.objects.get(sku="CUP"),
        warehouse=warehouses[0],
        physical_on_hand=1,
    )
    health = api.get(f"/sales-channels/{fake.id}/health").json()
    assert health["drift"] == 1
    assert health["last_order_import"]["status"] == "recorded"
    assert health["last_readback"]["products"] == 2
    assert health["last_writeback"]["status"] == "delivered"
    assert health["pending_changes_since"] is not None
    assert health["automatic"] == ["orders", "readback", "writeback"]


def test_a_company_holds_at_most_its_share_of_workers(fake, company, settings):
    settings.STOCKLEDGER_SYNC_COMPANY_WORKERS = 1
    ChannelSync.objects.create(
        company=company, channel=fake, kind="orders", status="running", started_at=timezone.now()
    )
    response_run = scheduler_tick(now=later(1))
    assert response_run
    results = run_channel_jobs(limit=3)
    assert all(r.startswith("deferred:") for r in results)
    assert all(r.status == "queued" for r in runs(fake, status="queued"))


def test_connecting_a_vendure_store_in_the_page_schedules_its_sync_without_calling_it(
    company, channel, signed_in_client, api
):
    url = f"/channels/{channel.id}/vendure/"
    response = signed_in_client.post(url, {"admin_url": "ftp://x", "username": "a"})
    assert response.status_code == 422
    assert "must start with http" in response.content.decode()
    response = signed_in_client.post(
        url,
        {"admin_url": "https://shop.example/admin-api", "username": "admin", "password": "pw"},
    )
    assert response.status_code == 302
    channel.refresh_from_db()
    assert channel.adapter == "vendure"
    kinds = set(ChannelSchedule.objects.filter(channel=channel).values_list("kind", flat=True))
    assert kinds == {"orders", "readback", "writeback"}
    body = api.get(f"/sales-channels/{channel.id}").json()
    assert body["adapter"] == "vendure" and "pw" not in str(body)
    page = signed_in_client.get(f"/channels/{channel.id}/").content.decode()
    assert "https://shop.example/admin-api" in page and 'value="pw"' not in page


def test_a_channel_request_waits_at_most_10_s_and_never_past_the_runs_budget(channel, api):
    import time

    from stockledger.channels.adapters import adapter_for

    adapter = adapter_for(channel)
    assert adapter.request_timeout(30) == 10
    adapter.deadline = time.monotonic() + 2
    assert adapter.request_timeout(5) <= 2
    adapter.deadline = time.monotonic() - 1
    assert adapter.time_left() == 0
    response = api.put(
        f"/sales-channels/{channel.id}/webhook",
        {"url": "https://example.com/hook", "timeout_seconds": 11},
    )
    assert response.status_code == 422
    assert "between 0.1 and 10" in response.json()["detail"]


def test_a_webhook_run_stops_sending_when_its_budget_is_used_up(
    company, channel, warehouses, product_factory, settings
):
    import time

    settings.STOCKLEDGER_OUTBOUND_ALLOW = "192.0.2.0/24"  # a documentation network, never reached

    product_factory("MUG")
    from stockledger.channels.services import channel_set_webhook
    from stockledger.channels.sync import channel_writeback_run

    channel_set_webhook(company=company, channel=channel, url="http://192.0.2.1:9/hook")
    run = channel_writeback_run(company=company, channel=channel, deadline=time.monotonic() - 1)
    assert run.status == "failed" and "time budget" in run.error
