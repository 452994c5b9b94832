"""Several `stockledger worker` processes against one PostgreSQL database: each scheduled
channel run is enqueued and run once."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.utils import timezone

from stockledger.channels.models import ChannelSchedule, ChannelSync
from stockledger.channels.services import channel_create, channel_set_webhook

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True),
    pytest.mark.integration,
]


class Receiver:
    def __init__(self):
        self.bodies: list[bytes] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                receiver.bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def start_workers(count: int, tmp_path) -> list[tuple[subprocess.Popen, object]]:
    from django.db import connection

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.web.browser.worker_settings",
        "STOCKLEDGER_TEST_DB_NAME": str(connection.settings_dict["NAME"]),
        "STOCKLEDGER_SYNC_TICK_SECONDS": "0.2",
        "STOCKLEDGER_OUTBOUND_ALLOW": "127.0.0.1",
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    started = []
    for n in range(count):
        log = open(tmp_path / f"worker-{n}.log", "wb")  # noqa: SIM115
        process = subprocess.Popen(
            [sys.executable, "-m", "stockledger.cli", "worker", "--interval", "0.1"],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        started.append((process, log))
    return started


def stop_workers(started) -> None:
    for process, _log in started:
        process.terminate()
    for process, log in started:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()


def test_three_workers_run_each_scheduled_writeback_once(
    company, warehouses, product_factory, tmp_path, settings
):
    settings.STOCKLEDGER_OUTBOUND_ALLOW = "127.0.0.1"  # the receiver listens on loopback
    product_factory("MUG")
    receiver = Receiver()
    channel = channel_create(company=company, cart_type="other", name="Hooked")
    channel_set_webhook(company=company, channel=channel, url=receiver.url)
    # Due every second, from now: a due moment every second while the workers run.
    ChannelSchedule.objects.filter(channel=channel).update(
        interval_seconds=1, next_run_at=timezone.now()
    )
    workers = start_workers(3, tmp_path)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            done = ChannelSync.objects.filter(channel=channel, status="delivered").count()
            if done >= 5:
                break
            time.sleep(0.3)
    finally:
        stop_workers(workers)
    logs = "".join((tmp_path / f"worker-{n}.log").read_text() for n in range(3))
    scheduled = list(ChannelSync.objects.filter(channel=channel, trigger="schedule"))
    assert len(scheduled) >= 4, (logs, list(ChannelSchedule.objects.values()))
    dues = [s.options["due"] for s in scheduled]
    assert len(dues) == len(set(dues)), dues  # every due moment enqueued once
    finished = [s for s in scheduled if s.status == "delivered"]
    assert len(finished) >= len(scheduled) - 1  # the last may be queued when workers stopped
    # Each delivered run posted once: as many requests as delivered runs.
    assert len(receiver.bodies) == len(finished)
    event_ids = {b.split(b'"event_id":"')[1].split(b'"')[0] for b in receiver.bodies}
    assert len(event_ids) == len(receiver.bodies)
    receiver.server.shutdown()
