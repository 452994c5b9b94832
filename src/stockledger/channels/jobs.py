"""Channel sync in the worker: enqueueing runs, running them, and the scheduler's tick.

No web request talks to a channel. "Write back now" and POST .../writeback-run create a
queued run (a ChannelSync row) and enqueue a task in the same transaction, then answer at
once; the worker runs it (`run_channel_sync`). The scheduler (`scheduler_tick`, every few
seconds in each worker) enqueues the automatic runs:

- per channel and kind (order import, read-back, full writeback) a ChannelSchedule row says
  when the next run is due. A due row is claimed with a conditional UPDATE (`next_run_at`
  still what was read) that moves it on, and the run is enqueued in that same transaction:
  however many workers tick, each due run is enqueued once;
- a channel the ledger marked dirty (a stock change, dirty.py) for DEBOUNCE seconds gets a
  writeback of the changed quantities, claimed the same way (clearing `dirty_since`).

Failures back off: the failed kind is due again after BACKOFF x 2^(failures-1) (at most its
interval). After MAX_FAILURES consecutive failed runs the channel is *sync suspended*: the
scheduler leaves it alone until someone resumes it (page or API); the reason is kept.

Bounds: a run's adapter stops starting requests after RUN_SECONDS (each request's timeout
is at most 10 s), and at most COMPANY_WORKERS runs of one company run at a time: a run
that finds its company's slots taken goes back to the queue for a few seconds, so one
company's slow channels cannot hold every worker.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta
from typing import Any, cast

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from stockledger.core.errors import Conflict, InvalidInput
from stockledger.core.models import Company
from stockledger.ledger.services import write_transaction

from .adapters import NotSupported, adapter_for
from .models import (
    ChannelSchedule,
    ChannelSync,
    ChannelSyncState,
    SalesChannel,
    SyncKind,
    WritebackStatus,
)

log = logging.getLogger(__name__)

RUN_KIND: dict[str, str] = {
    SyncKind.ORDERS: ChannelSync.Kind.ORDERS,
    SyncKind.READBACK: ChannelSync.Kind.IMPORT,
    SyncKind.WRITEBACK: ChannelSync.Kind.EXPORT,
}
SCHEDULE_KIND: dict[str, str] = {
    ChannelSync.Kind.ORDERS: SyncKind.ORDERS,
    ChannelSync.Kind.IMPORT: SyncKind.READBACK,
    ChannelSync.Kind.EXPORT: SyncKind.WRITEBACK,
}
DEFER_SECONDS = 3
ERROR_MAX = 2000


def _setting(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


def interval_for(kind: str) -> int:
    return int(
        {
            SyncKind.ORDERS: _setting("STOCKLEDGER_SYNC_ORDERS_SECONDS", 60),
            SyncKind.READBACK: _setting("STOCKLEDGER_SYNC_READBACK_SECONDS", 3600),
            SyncKind.WRITEBACK: _setting("STOCKLEDGER_SYNC_WRITEBACK_SECONDS", 3600),
        }[SyncKind(kind)]
    )


def _kinds_for(channel: SalesChannel) -> list[str]:
    try:
        adapter = adapter_for(channel)
    except NotSupported:
        return []
    kinds: list[str] = []
    if adapter.can_poll_orders:
        kinds.append(SyncKind.ORDERS)
    if adapter.can_read:
        kinds.append(SyncKind.READBACK)
    if adapter.pushes:
        kinds.append(SyncKind.WRITEBACK)
    return kinds


# --- configuration: which automatic runs a channel gets ------------------------------------


@write_transaction
def channel_sync_configure(*, channel: SalesChannel) -> list[str]:
    """Create or drop the channel's schedules for what its adapter can do (called when the
    adapter changes, and by the scheduler for channels it has not seen). New schedules are
    due at once. Returns the kinds scheduled."""
    kinds = _kinds_for(channel)
    state, _ = ChannelSyncState.objects.get_or_create(
        channel=channel, defaults={"company_id": channel.company_id}
    )
    auto = SyncKind.WRITEBACK in kinds
    if state.auto_writeback != auto:
        ChannelSyncState.objects.filter(pk=state.pk).update(auto_writeback=auto)
    ChannelSchedule.objects.filter(channel=channel).exclude(kind__in=kinds).delete()
    now = timezone.now()
    for kind in kinds:
        ChannelSchedule.objects.get_or_create(
            channel=channel,
            kind=kind,
            defaults={
                "company_id": channel.company_id,
                "interval_seconds": interval_for(kind),
                "next_run_at": now,
            },
        )
    return kinds


# --- enqueueing -----------------------------------------------------------------------------


def _enqueue(
    channel: SalesChannel, kind: str, trigger: str, options: dict[str, Any] | None = None
) -> ChannelSync:
    """A queued run and its task; call inside the caller's transaction."""
    from .tasks import run_channel_sync

    sync = ChannelSync.objects.create(
        company_id=channel.company_id,
        channel=channel,
        kind=kind,
        status=ChannelSync.Status.QUEUED,
        started_at=timezone.now(),
        trigger=trigger,
        options=options or {},
    )
    run_channel_sync.enqueue(sync.pk)
    return sync


def channel_writeback_enqueue(
    *,
    company: Company,
    channel: SalesChannel,
    skus: list[str] | None = None,
    only_changed: bool = False,
) -> ChannelSync:
    """Queue a writeback run for the worker and return it (status queued) at once.

    The run computes and writes when the worker starts it (sync.channel_writeback_run: its
    export rows, its outcome in the run). SKUs are checked now: unknown or repeated ones are
    InvalidInput and queue nothing; a channel whose adapter is not installed is Conflict."""
    from .sync import _product_ids_by_sku

    if skus is not None:
        if not isinstance(skus, (list, tuple)) or not skus:
            raise InvalidInput("give at least one SKU, or leave skus out for all", field="skus")
        _product_ids_by_sku(company, skus, lambda i: f"skus[{i}]")
    try:
        adapter_for(channel)
    except NotSupported as exc:
        raise Conflict(str(exc), field="adapter") from None
    return _enqueue_user_in_transaction(
        channel, ChannelSync.Kind.EXPORT, {"skus": skus, "only_changed": only_changed}
    )


@write_transaction
def _enqueue_user_in_transaction(
    channel: SalesChannel, kind: str, options: dict[str, Any]
) -> ChannelSync:
    return _enqueue(channel, kind, "user", options)


def channel_sync_enqueue(*, company: Company, channel: SalesChannel, kind: str) -> ChannelSync:
    """Queue an order import or read-back now (kind orders or import); Conflict when the
    channel's adapter cannot do it."""
    wanted = SCHEDULE_KIND.get(kind)
    if wanted is None or wanted == SyncKind.WRITEBACK:
        raise InvalidInput("kind must be orders or import", field="kind")
    if wanted not in _kinds_for(channel):
        raise Conflict(f"{channel.name} cannot be polled for this; it reports it", field="kind")
    return _enqueue_user_in_transaction(channel, kind, {})


@write_transaction
def channel_sync_resume(*, company: Company, channel: SalesChannel) -> ChannelSyncState:
    """Lift the channel's sync suspension: failures reset, every schedule due now, and a
    writeback of changed quantities pending."""
    state, _ = ChannelSyncState.objects.get_or_create(
        channel=channel, defaults={"company": company}
    )
    now = timezone.now()
    ChannelSyncState.objects.filter(pk=state.pk).update(
        suspended_at=None, suspended_reason="", failures=0, dirty_since=now
    )
    ChannelSchedule.objects.filter(channel=channel).update(next_run_at=now)
    state.refresh_from_db()
    return state


# --- the scheduler's tick -------------------------------------------------------------------


def scheduler_tick(*, now: datetime | None = None) -> list[ChannelSync]:
    """Enqueue every automatic run that is due (once, however many workers tick). Returns
    the runs this call enqueued."""
    now = now or timezone.now()
    _configure_new_channels()
    enqueued = []
    suspended = ChannelSyncState.objects.filter(suspended_at__isnull=False).values("channel_id")
    due = (
        ChannelSchedule.objects.filter(next_run_at__lte=now)
        .exclude(channel_id__in=suspended)
        .order_by("next_run_at")
        .values_list("pk", "channel_id", "kind", "next_run_at", "interval_seconds")[:200]
    )
    for pk, channel_id, kind, next_run_at, interval in due:
        sync = _claim_schedule(pk, channel_id, kind, next_run_at, interval, now)
        if sync is not None:
            enqueued.append(sync)
    debounce = timedelta(seconds=_setting("STOCKLEDGER_SYNC_DEBOUNCE_SECONDS", 5))
    dirty = ChannelSyncState.objects.filter(
        auto_writeback=True, dirty_since__lte=now - debounce, suspended_at__isnull=True
    ).values_list("pk", "channel_id", "dirty_since")[:200]
    for pk, channel_id, dirty_since in dirty:
        sync = _claim_dirty(pk, channel_id, cast(datetime, dirty_since))  # filtered: set
        if sync is not None:
            enqueued.append(sync)
    return enqueued


def _configure_new_channels() -> None:
    for channel in SalesChannel.objects.filter(sync_state__isnull=True)[:100]:
        channel_sync_configure(channel=channel)


def _pending(channel_id: int, kind: str) -> bool:
    """A run of this kind is queued (and not so old that its task must have been lost with a
    killed worker: then a new one is enqueued)."""
    from .sync import STALE_RUN

    return ChannelSync.objects.filter(
        channel_id=channel_id,
        kind=kind,
        status=ChannelSync.Status.QUEUED,
        started_at__gt=timezone.now() - STALE_RUN,
    ).exists()


@write_transaction
def _claim_schedule(
    pk: int, channel_id: int, kind: str, next_run_at: datetime, interval: int, now: datetime
) -> ChannelSync | None:
    claimed = ChannelSchedule.objects.filter(pk=pk, next_run_at=next_run_at).update(
        next_run_at=now + timedelta(seconds=interval), last_enqueued_at=now
    )
    if not claimed:
        return None  # another worker enqueued it
    run_kind = RUN_KIND[kind]
    if _pending(channel_id, run_kind):
        return None  # one is still waiting for a worker: it will do
    channel = SalesChannel.objects.get(pk=channel_id)
    return _enqueue(channel, run_kind, "schedule", {"due": next_run_at.isoformat()})


@write_transaction
def _claim_dirty(pk: int, channel_id: int, dirty_since: datetime) -> ChannelSync | None:
    claimed = ChannelSyncState.objects.filter(pk=pk, dirty_since=dirty_since).update(
        dirty_since=None
    )
    if not claimed:
        return None
    if _pending(channel_id, ChannelSync.Kind.EXPORT):
        return None  # a queued writeback computes when it starts: it includes this change
    channel = SalesChannel.objects.get(pk=channel_id)
    return _enqueue(channel, ChannelSync.Kind.EXPORT, "change", {"only_changed": True})


# --- running a run (the task) ---------------------------------------------------------------


class Deferred(Exception):
    """The run cannot start yet (its company's slots are taken, or the channel is busy)."""


def run_sync(sync_id: int) -> str:
    """Run a queued run; the task calls this. Returns what happened (the task's result)."""
    sync = ChannelSync.objects.select_related("channel", "company").filter(pk=sync_id).first()
    if sync is None or sync.status != ChannelSync.Status.QUEUED:
        return "not queued"
    channel, company = sync.channel, sync.company
    if _company_busy(company.id, sync.pk):
        raise Deferred(f"{company.name} already has its share of channel runs")
    deadline = time.monotonic() + _setting("STOCKLEDGER_SYNC_RUN_SECONDS", 120)
    try:
        outcome, error = _dispatch(company, channel, sync, deadline)
    except Deferred:
        raise
    except Exception as exc:  # the run failed: recorded, counted, never lost
        error = f"{exc.__class__.__name__}: {exc}" if not isinstance(exc, Conflict) else str(exc)
        ChannelSync.objects.filter(
            pk=sync.pk, status__in=[ChannelSync.Status.QUEUED, ChannelSync.Status.RUNNING]
        ).update(
            status=ChannelSync.Status.FAILED, finished_at=timezone.now(), error=error[:ERROR_MAX]
        )
        outcome = "failed"
        log.warning("channel %s %s run %s failed: %s", channel.pk, sync.kind, sync.pk, error)
    record_outcome(channel=channel, sync_kind=sync.kind, ok=outcome != "failed", error=error)
    return outcome


def _dispatch(company, channel, sync, deadline) -> tuple[str, str]:
    from .order_poll import channel_orders_poll
    from .sync import STALE_RUN, channel_quantities_pull, channel_writeback_run

    if sync.kind == ChannelSync.Kind.EXPORT:
        running = ChannelSync.objects.filter(
            channel=channel,
            kind=ChannelSync.Kind.EXPORT,
            status=ChannelSync.Status.RUNNING,
            started_at__gt=timezone.now() - STALE_RUN,
        ).exists()
        if running:
            raise Deferred(f"a writeback run of {channel.name} is running")
        if adapter_for(channel).can_poll_orders:
            # Import the store's orders first, so the quantities written count its sales.
            orders = ChannelSync.objects.create(
                company=company,
                channel=channel,
                kind=ChannelSync.Kind.ORDERS,
                status=ChannelSync.Status.QUEUED,
                started_at=timezone.now(),
                trigger=sync.trigger,
                options={"part_of": sync.pk},
            )
            try:
                channel_orders_poll(
                    company=company, channel=channel, sync=orders, deadline=deadline
                )
            except Exception as exc:
                ChannelSync.objects.filter(pk=orders.pk).update(
                    status=ChannelSync.Status.FAILED,
                    finished_at=timezone.now(),
                    error=f"{exc.__class__.__name__}: {exc}"[:ERROR_MAX],
                )
                raise
        options = sync.options or {}
        done = channel_writeback_run(
            company=company,
            channel=channel,
            skus=options.get("skus"),
            only_changed=bool(options.get("only_changed")),
            sync=sync,
            deadline=deadline,
        )
        ok = done.status != WritebackStatus.FAILED
        return ("done" if ok else "failed"), done.error
    if sync.kind == ChannelSync.Kind.IMPORT:
        ChannelSync.objects.filter(pk=sync.pk).update(status=ChannelSync.Status.RUNNING)
        channel_quantities_pull(company=company, channel=channel, sync=sync, deadline=deadline)
        return "done", ""
    result = channel_orders_poll(company=company, channel=channel, sync=sync, deadline=deadline)
    return "done", result.summary() if result.skipped else ""


def sync_take_over(*, sync_id: int, lost) -> str:
    """Its worker was lost while running this run (core/workers.py): queue it again, or
    (attempts used up) end it failed with the reason. The order import a writeback run was
    doing first ends failed with it. Runs inside the reaper's transaction; does nothing to a
    run that is no longer queued or running."""
    from stockledger.core.workers import again_or_failed

    from .tasks import run_channel_sync

    now = timezone.now()
    open_ = [ChannelSync.Status.QUEUED, ChannelSync.Status.RUNNING]
    ChannelSync.objects.filter(options__part_of=sync_id, status__in=open_).update(
        status=ChannelSync.Status.FAILED, finished_at=now, error=lost.reason[:ERROR_MAX]
    )
    run = ChannelSync.objects.select_for_update().filter(pk=sync_id, status__in=open_).first()
    if run is None:
        return "already finished"
    # Kept in the run's options: its error is rewritten by the attempt that finishes it.
    options = {**run.options, "lost": [*run.options.get("lost", []), lost.reason]}
    text = again_or_failed(lost)[:ERROR_MAX]
    if lost.give_up:
        ChannelSync.objects.filter(pk=sync_id).update(
            status=ChannelSync.Status.FAILED, finished_at=now, error=text, options=options
        )
        return "failed"
    ChannelSync.objects.filter(pk=sync_id).update(
        status=ChannelSync.Status.QUEUED, started_at=now, error=text, options=options
    )
    run_channel_sync.enqueue(sync_id)
    return "queued again"


def _company_busy(company_id: int, sync_id: int) -> bool:
    from .sync import STALE_RUN

    limit = int(_setting("STOCKLEDGER_SYNC_COMPANY_WORKERS", 2))
    running = (
        ChannelSync.objects.filter(
            company_id=company_id,
            status=ChannelSync.Status.RUNNING,
            started_at__gt=timezone.now() - STALE_RUN,
        )
        .exclude(pk=sync_id)
        .count()
    )
    return running >= limit


def defer(sync_id: int) -> None:
    """Queue the run's task again a few seconds from now (the run stays queued)."""
    from .tasks import run_channel_sync

    run_channel_sync.using(run_after=timezone.now() + timedelta(seconds=DEFER_SECONDS)).enqueue(
        sync_id
    )


@write_transaction
def record_outcome(*, channel: SalesChannel, sync_kind: str, ok: bool, error: str = "") -> None:
    """Count a run's success or failure on the channel: a success resets the failures; a
    failure backs the kind's schedule off and, after MAX_FAILURES in a row, suspends sync."""
    state, _ = ChannelSyncState.objects.get_or_create(
        channel=channel, defaults={"company_id": channel.company_id}
    )
    now = timezone.now()
    if ok:
        ChannelSyncState.objects.filter(pk=state.pk).update(failures=0)
        return
    failures = state.failures + 1
    values: dict[str, Any] = {
        "failures": failures,
        "last_error": error[:ERROR_MAX],
        "last_error_at": now,
    }
    limit = int(_setting("STOCKLEDGER_SYNC_MAX_FAILURES", 5))
    if failures >= limit and state.suspended_at is None:
        values["suspended_at"] = now
        values["suspended_reason"] = (f"{failures} sync runs failed in a row; the last: {error}")[
            :ERROR_MAX
        ]
        log.warning("channel %s: sync suspended after %s failures", channel.pk, failures)
    ChannelSyncState.objects.filter(pk=state.pk).update(**values)
    kind = SCHEDULE_KIND.get(sync_kind)
    base = _setting("STOCKLEDGER_SYNC_BACKOFF_SECONDS", 30)
    for schedule in ChannelSchedule.objects.filter(channel=channel, kind=kind):
        pause = min(schedule.interval_seconds, base * 2 ** (failures - 1))
        ChannelSchedule.objects.filter(pk=schedule.pk).update(
            next_run_at=now + timedelta(seconds=pause)
        )


# --- the scheduler loop beside the worker ---------------------------------------------------


def scheduler_loop(stop: threading.Event) -> None:
    """Tick every STOCKLEDGER_SYNC_TICK_SECONDS until `stop` is set."""
    interval = _setting("STOCKLEDGER_SYNC_TICK_SECONDS", 2)
    try:
        while True:
            try:
                close_old_connections()
                scheduler_tick()
            except Exception:
                log.exception("channel scheduler tick failed; trying again in %s s", interval)
            if stop.wait(interval):
                return
    finally:
        from django.db import connections

        connections.close_all()


def start_scheduler_thread() -> threading.Event:
    stop = threading.Event()
    threading.Thread(
        target=scheduler_loop, args=(stop,), name="channel-scheduler", daemon=True
    ).start()
    return stop


__all__ = [
    "Deferred",
    "channel_sync_configure",
    "channel_sync_enqueue",
    "channel_sync_resume",
    "channel_writeback_enqueue",
    "defer",
    "record_outcome",
    "run_sync",
    "scheduler_tick",
    "sync_take_over",
    "start_scheduler_thread",
]
