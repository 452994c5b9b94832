"""Three `stockledger worker` processes share 30 jobs (exports and channel writebacks) on one
PostgreSQL database; one is killed with SIGKILL while it runs a channel run. Every job ends
exactly once: complete, or failed with the reason; the killed worker's run is taken over."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django_tasks_db.models import DBTaskResult

from stockledger.channels.jobs import channel_writeback_enqueue
from stockledger.channels.models import ChannelSchedule, ChannelSync, ChannelSyncState
from stockledger.channels.services import channel_create, channel_set_webhook
from stockledger.core.models import WorkerProcess
from stockledger.core.workers import WORKER_LOST
from stockledger.exports.models import Export
from stockledger.ledger.models import LogEntry
from stockledger.ledger.services import stock_set

ROOT = Path(__file__).resolve().parents[2]
SYNC_TASK = "stockledger.channels.tasks.run_channel_sync"
DELIVERY_SECONDS = 1.5  # each webhook delivery: long enough to be killed in the middle of

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True),
    pytest.mark.integration,
]


class SlowReceiver:
    """A webhook receiver that answers each delivery after DELIVERY_SECONDS."""

    def __init__(self):
        self.event_ids: list[str] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.event_ids.append(body.split(b'"event_id":"')[1].split(b'"')[0].decode())
                time.sleep(DELIVERY_SECONDS)
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def workers(tmp_path, settings):
    from django.db import connection

    settings.STOCKLEDGER_EXPORTS_DIR = tmp_path / "exports"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.exports.worker_settings",
        "STOCKLEDGER_TEST_DB_NAME": str(connection.settings_dict["NAME"]),
        "STOCKLEDGER_EXPORTS_DIR": str(settings.STOCKLEDGER_EXPORTS_DIR),
        "STOCKLEDGER_OUTBOUND_ALLOW": "127.0.0.1",
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        # Silence of 3 s means dead: short for the test, long enough for a busy machine.
        "STOCKLEDGER_WORKER_HEARTBEAT_SECONDS": "0.2",
        "STOCKLEDGER_WORKER_STALE_SECONDS": "3",
        "STOCKLEDGER_JOB_MAX_ATTEMPTS": "2",
        "STOCKLEDGER_EXPORT_HEARTBEAT_SECONDS": "0.2",
        "STOCKLEDGER_EXPORT_STALE_SECONDS": "3",
        "STOCKLEDGER_EXPORT_MAINTENANCE_SECONDS": "0.2",
        "STOCKLEDGER_SYNC_TICK_SECONDS": "0.2",
        "STOCKLEDGER_SYNC_COMPANY_WORKERS": "3",
    }
    started = []
    for n in range(3):
        log = open(tmp_path / f"worker-{n}.log", "wb")  # noqa: SIM115
        process = subprocess.Popen(
            [sys.executable, "-m", "stockledger.cli", "worker", "--interval", "0.1"],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        started.append((process, log))
    yield [p for p, _ in started]
    for process, _log in started:
        if process.poll() is None:
            process.terminate()
    for process, log in started:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()


def wait_for(condition, *, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_three_workers_one_killed_mid_job_every_job_ends_exactly_once(
    company, api, warehouses, product_factory, settings, workers, tmp_path
):
    settings.STOCKLEDGER_OUTBOUND_ALLOW = "127.0.0.1"
    mug = product_factory("MUG")
    for quantity in (5, 8, 6):
        stock_set(company=company, product=mug, warehouse=warehouses[0], physical_on_hand=quantity)
    receiver = SlowReceiver()
    runs = []
    for n in range(10):
        channel = channel_create(company=company, cart_type="other", name=f"Hooked {n}")
        channel_set_webhook(company=company, channel=channel, url=receiver.url)
        # Only the runs asked for here: no scheduled or change-driven ones beside them.
        ChannelSchedule.objects.filter(channel=channel).delete()
        ChannelSyncState.objects.filter(channel=channel).update(auto_writeback=False)
        runs.append(channel_writeback_enqueue(company=company, channel=channel).pk)
    exports = [api.post("/exports", {"product_id": mug.id}).json()["id"] for _ in range(20)]

    # Kill a worker while it holds a channel run (it is waiting on a delivery).
    def victim():
        ids = dict(WorkerProcess.objects.values_list("pid", "worker_id"))
        for process in workers:
            worker_id = ids.get(process.pid)
            held = DBTaskResult.objects.filter(task_path=SYNC_TASK, status="RUNNING")
            if worker_id and any(t.worker_ids[-1] == worker_id for t in held):
                return process, worker_id
        return None

    process, worker_id = wait_for(victim, timeout=40, what="a worker running a channel run")
    [lost_task] = [
        t
        for t in DBTaskResult.objects.filter(task_path=SYNC_TASK, status="RUNNING")
        if t.worker_ids[-1] == worker_id
    ]
    lost_run = lost_task.args_kwargs["args"][0]
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)

    finals = {"delivered", "failed"}

    def all_ended():
        syncs_done = ChannelSync.objects.filter(pk__in=runs, status__in=finals).count() == 10
        exports_done = (
            Export.objects.filter(pk__in=exports, status__in=["complete", "failed"]).count() == 20
        )
        busy = DBTaskResult.objects.filter(status__in=["READY", "RUNNING"]).exists()
        return syncs_done and exports_done and not busy

    logs = lambda: "".join(  # noqa: E731
        (tmp_path / f"worker-{n}.log").read_text(errors="replace") for n in range(3)
    )
    try:
        wait_for(all_ended, timeout=60, what="every job to end")
    except AssertionError:
        raise AssertionError(logs()) from None

    # The killed worker's task: failed as lost, once; its run taken over and ended once.
    lost_task.refresh_from_db()
    assert (lost_task.status, lost_task.exception_class_path) == ("FAILED", WORKER_LOST)
    assert lost_task.traceback.startswith("the worker running it stopped (no heartbeat for")
    taken = ChannelSync.objects.get(pk=lost_run)
    [reason] = taken.options["lost"]
    assert reason.startswith("the worker running it stopped (no heartbeat for")
    assert taken.status == "delivered", taken.error  # the second attempt delivered it

    for sync in ChannelSync.objects.filter(pk__in=runs):
        rows = LogEntry.objects.filter(event_type="export", event_id=sync.label).count()
        if sync.status == "delivered":
            assert rows == 1, (sync.label, rows)  # recorded once, by the run that finished
        else:
            assert rows == 0 and sync.error, (sync.label, sync.error)
        assert sync.label in receiver.event_ids
        returned = DBTaskResult.objects.filter(
            task_path=SYNC_TASK, args_kwargs__args=[sync.pk], status="SUCCESSFUL"
        ).values_list("return_value", flat=True)
        ended = [r for r in returned if r in ("done", "failed")]  # not deferrals, not repeats
        assert ended in (["done"], ["failed"]), (sync.label, list(returned))
    # Deliveries: each run's event once, the taken-over run's at most twice (its first
    # attempt's delivery may have reached the receiver before the worker died).
    sent = Counter(receiver.event_ids)
    assert all(n == 1 for label, n in sent.items() if label != f"export-{lost_run}"), sent
    assert sent[f"export-{lost_run}"] <= 2

    for export in Export.objects.filter(pk__in=exports):
        assert export.status == "complete" or export.error, (export.pk, export.error)
        successes = DBTaskResult.objects.filter(
            task_path="stockledger.exports.tasks.run_export",
            args_kwargs__args__0=export.pk,
            status="SUCCESSFUL",
            return_value="complete",
        ).count()
        assert successes == (1 if export.status == "complete" else 0), export.pk
    assert not DBTaskResult.objects.filter(status__in=["READY", "RUNNING"]).exists()
    receiver.server.shutdown()
