"""Jobs whose worker died are taken over once (core/workers.py): run again as a new task, or,
attempts used up, ended failed with the reason. Here in one process: the workers' heartbeats
are rows, a dead worker is one whose row went silent. (tests/core/test_workers_kill.py kills
real worker processes.)"""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from stockledger.channels.models import ChannelSync, InboundWebhook
from stockledger.channels.services import channel_create
from stockledger.core.models import WorkerProcess
from stockledger.core.workers import WORKER_LOST, reap_lost_jobs, worker_register
from stockledger.ledger.models import LogEntry

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def limits(settings, tmp_path):
    settings.STOCKLEDGER_WORKER_STALE_SECONDS = 30
    settings.STOCKLEDGER_JOB_MAX_ATTEMPTS = 2
    settings.STOCKLEDGER_JOB_CLAIM_SECONDS = 3600
    settings.STOCKLEDGER_IMPORTS_DIR = tmp_path / "imports"


def worker(worker_id, *, silent_for=0):
    worker_register(worker_id)
    WorkerProcess.objects.filter(worker_id=worker_id).update(
        beat_at=timezone.now() - timedelta(seconds=silent_for)
    )


def claimed_by(task_path, worker_id, *, started_ago=0):
    """The newest ready task of `task_path`, claimed by `worker_id` (as db_worker does)."""
    task = DBTaskResult.objects.filter(task_path=task_path, status="READY").latest("enqueued_at")
    task.claim(worker_id)
    if started_ago:
        DBTaskResult.objects.filter(pk=task.pk).update(
            started_at=timezone.now() - timedelta(seconds=started_ago)
        )
    return task


SYNC_TASK = "stockledger.channels.tasks.run_channel_sync"


@pytest.fixture
def queued_run(company, product_factory):
    from stockledger.channels.jobs import channel_writeback_enqueue

    product_factory("MUG")
    channel = channel_create(company=company, cart_type="other", name="Recorded")
    return channel_writeback_enqueue(company=company, channel=channel)


def run_ready_syncs():
    from tests.channel_jobs import run_channel_jobs

    return run_channel_jobs()


def test_a_channel_run_of_a_dead_worker_is_run_again_once_and_ends_once(queued_run):
    worker("w-dead", silent_for=60)
    lost = claimed_by(SYNC_TASK, "w-dead")
    ChannelSync.objects.filter(pk=queued_run.pk).update(status="running")
    done = reap_lost_jobs()
    assert len(done) == 1 and "no heartbeat for 6" in done[0]
    assert reap_lost_jobs() == []  # a second reaper (another worker) finds nothing to do
    lost.refresh_from_db()
    assert (lost.status, lost.exception_class_path) == ("FAILED", WORKER_LOST)
    assert lost.traceback.startswith("the worker running it stopped (no heartbeat for")
    queued_run.refresh_from_db()
    assert queued_run.status == "queued"
    assert queued_run.error.endswith("running it again (attempt 2 of 2)")
    assert queued_run.options["lost"] == [lost.traceback]
    assert run_ready_syncs() == ["done"]
    queued_run.refresh_from_db()
    assert queued_run.status == "recorded"
    rows = LogEntry.objects.filter(event_type="export", event_id=queued_run.label)
    assert rows.count() == 1  # written by the run that finished, once


def test_a_job_lost_as_often_as_it_may_be_ends_failed_with_the_reason(queued_run):
    worker("w-1", silent_for=60)
    claimed_by(SYNC_TASK, "w-1")
    reap_lost_jobs()
    worker("w-2", silent_for=45)
    claimed_by(SYNC_TASK, "w-2")  # the second attempt's task, lost too
    ChannelSync.objects.filter(pk=queued_run.pk).update(status="running")
    [line] = reap_lost_jobs()
    assert line.endswith("failed")
    queued_run.refresh_from_db()
    assert queued_run.status == "failed"
    assert queued_run.error == (
        "the worker running it stopped (no heartbeat for 45 s); gave up after 2 attempts"
    )
    assert not DBTaskResult.objects.filter(task_path=SYNC_TASK, status="READY").exists()


def test_a_live_worker_keeps_its_job_and_a_worker_without_heartbeat_keeps_it_an_hour(queued_run):
    worker("w-live", silent_for=5)
    claimed_by(SYNC_TASK, "w-live")
    assert reap_lost_jobs() == []
    DBTaskResult.objects.filter(task_path=SYNC_TASK).delete()
    from stockledger.channels.tasks import run_channel_sync

    run_channel_sync.enqueue(queued_run.pk)
    task = claimed_by(SYNC_TASK, "bare-db-worker", started_ago=600)
    assert reap_lost_jobs() == []
    DBTaskResult.objects.filter(pk=task.pk).update(
        started_at=timezone.now() - timedelta(seconds=3700)
    )
    [line] = reap_lost_jobs()
    assert "claimed 37" in line and "no heartbeat" in line


def test_the_order_import_a_lost_writeback_was_doing_ends_with_it(company, queued_run):
    worker("w-dead", silent_for=60)
    claimed_by(SYNC_TASK, "w-dead")
    ChannelSync.objects.filter(pk=queued_run.pk).update(status="running")
    part = ChannelSync.objects.create(
        company=company,
        channel=queued_run.channel,
        kind="orders",
        status="running",
        started_at=timezone.now(),
        options={"part_of": queued_run.pk},
    )
    reap_lost_jobs()
    part.refresh_from_db()
    assert part.status == "failed" and part.error.startswith("the worker running it stopped")


def test_an_import_lost_while_applying_is_applied_again_once(
    company, user, warehouses, product_factory, log_of
):
    from stockledger.imports.models import Import
    from stockledger.imports.services import import_confirm, import_upload
    from tests.imports.conftest import csv_file

    mug = product_factory("MUG")
    job = import_upload(
        company=company,
        user=user,
        kind="counts",
        upload=csv_file(
            [
                ["SKU", "Warehouse", "Quantity", "Mode", "Reason", "Note"],
                ["MUG", "Main", "7", "set", "", ""],
            ]
        ),
    )
    assert job.status == "ready", job.error
    import_confirm(company=company, user=user, import_id=job.id)
    worker("w-dead", silent_for=90)
    claimed_by("stockledger.imports.tasks.apply_import", "w-dead")
    Import.objects.filter(pk=job.pk).update(status="running")  # applying when it was killed
    [line] = reap_lost_jobs()
    assert line.endswith("queued again")
    job.refresh_from_db()
    assert job.status == "queued"
    task = DBTaskResult.objects.get(pk=job.task_id)
    assert task.status == "READY"
    from stockledger.imports.tasks import apply_import

    assert apply_import.call(job.id) == "complete"
    assert [(r.event_type, r.physical_on_hand) for r in log_of(mug)] == [("on_hand", 7)]


def test_an_import_lost_with_its_attempts_used_up_ends_failed_without_its_staged_rows(
    company, user, warehouses, product_factory, log_of, settings
):
    from stockledger.imports.models import Import, ImportRow
    from stockledger.imports.services import import_confirm, import_upload
    from tests.imports.conftest import csv_file

    settings.STOCKLEDGER_JOB_MAX_ATTEMPTS = 1
    mug = product_factory("MUG")
    job = import_upload(
        company=company,
        user=user,
        kind="counts",
        upload=csv_file([["SKU", "Warehouse", "Quantity"], ["MUG", "Main", "7"]]),
    )
    import_confirm(company=company, user=user, import_id=job.id)
    assert ImportRow.objects.filter(job=job).count() == 1
    worker("w-dead", silent_for=90)
    claimed_by("stockledger.imports.tasks.apply_import", "w-dead")
    Import.objects.filter(pk=job.pk).update(status="running")
    [line] = reap_lost_jobs()
    job.refresh_from_db()
    assert job.status == "failed" and "nothing was applied" in job.error, line
    assert not ImportRow.objects.filter(job=job).exists()
    assert log_of(mug) == []


def test_a_webhook_lost_while_applied_is_processed_again(company):
    channel = channel_create(company=company, cart_type="other", name="Hooked")
    row = InboundWebhook.objects.create(
        company=company,
        channel=channel,
        kind="webhook",
        topic="order.created",
        delivery_id="d-1",
        body=b'{"order": {"order_number": "X-1", "lines": []}}',
        received_at=timezone.now(),
    )
    from stockledger.channels.inbound_tasks import process_inbound_webhook

    process_inbound_webhook.enqueue(row.pk)
    worker("w-dead", silent_for=60)
    claimed_by("stockledger.channels.inbound_tasks.process_inbound_webhook", "w-dead")
    [line] = reap_lost_jobs()
    assert line.endswith("queued again")
    again = DBTaskResult.objects.get(
        task_path="stockledger.channels.inbound_tasks.process_inbound_webhook", status="READY"
    )
    assert again.args_kwargs["args"] == [row.pk]
