"""A new export wakes an idle `stockledger worker` at once: LISTEN/NOTIFY on PostgreSQL, the
pipe `stockledger serve` hands its worker on SQLite (core/wake.py). The worker polls only
every 60 s here, and each export is asked for just after the worker began a pause: picked up
within a third of that (by the export's own timestamps), it was the wake-up that did it."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection, transaction

from stockledger.core import wake
from stockledger.exports.models import Export
from stockledger.exports.tasks import run_export

from .conftest import T0

ROOT = Path(__file__).resolve().parents[2]
POLL = 60.0
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def idle_worker(exports_dir, tmp_path):
    """A worker polling every 60 s, woken the way this engine wakes it, and its log."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.exports.worker_settings",
        "STOCKLEDGER_TEST_DB_NAME": str(connection.settings_dict["NAME"]),
        "STOCKLEDGER_EXPORTS_DIR": str(exports_dir),
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    pass_fds = ()
    if connection.vendor == "sqlite":  # what `stockledger serve` does for its worker
        read_fd, write_fd = wake.wake_pipe()
        env[wake.WAKE_FD_ENV] = str(read_fd)
        pass_fds = (read_fd,)
    log_path = tmp_path / "worker.log"
    log = open(log_path, "wb")  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", "stockledger.cli", "worker", "--interval", str(POLL)],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        pass_fds=pass_fds,
    )
    if pass_fds:
        os.close(pass_fds[0])
    yield process, log_path
    process.kill()
    process.wait(timeout=30)
    log.close()
    if pass_fds:
        wake.set_wake_writer(None)
        os.close(write_fd)


def wait_for(condition, *, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.integration
def test_an_idle_worker_runs_a_new_export_without_waiting_for_its_poll(
    api, warehouses, product_factory, add_rows, idle_worker
):
    process, log_path = idle_worker
    widget = product_factory("WAKE-1")
    add_rows(widget, warehouses[0], 50, start=T0)
    # The worker has polled once (nothing to do) and is in its 60 s pause.
    wait_for(
        lambda: b"worker: waiting for jobs" in log_path.read_bytes(),
        timeout=60,
        what="the worker to go idle",
    )
    expected = "LISTEN stockledger_tasks" if connection.vendor == "postgresql" else "pipe"
    assert expected in log_path.read_text()
    time.sleep(0.5)

    for _ in range(2):  # and again after its first job: each enqueue wakes it
        export_id = api.post("/exports", {"product_id": widget.id}).json()["id"]
        data = wait_for(
            lambda i=export_id: (
                (d := api.get(f"/exports/{i}").json())["status"] == "complete" and d
            ),
            timeout=POLL * 2,
            what="the worker to finish the export",
        )
        assert data["rows"] == 50
        export = Export.objects.get(pk=export_id)
        picked_up = (export.started_at - export.created_at).total_seconds()
        assert picked_up < POLL / 3, f"picked up after {picked_up:.1f} s: no wake-up"
        assert process.poll() is None


def test_the_wake_up_comes_with_the_commit_and_never_for_a_rolled_back_job(monkeypatch):
    """NOTIFY is sent in the enqueuing transaction (delivered at commit); the pipe is written
    on commit: a worker never wakes to a job it cannot see yet, nor for one rolled back."""
    fds = ()
    if connection.vendor == "sqlite":
        fds = wake.wake_pipe()
        monkeypatch.setenv(wake.WAKE_FD_ENV, str(fds[0]))
    waiter = wake.Waiter()
    try:
        assert waiter.kind == ("listen" if connection.vendor == "postgresql" else "pipe")
        assert waiter.wait(0.05) is False  # (and the listener is connected)

        class Rollback(Exception):
            pass

        with pytest.raises(Rollback), transaction.atomic():
            run_export.enqueue(1, 1)
            raise Rollback
        assert waiter.wait(0.5) is False

        with transaction.atomic():
            run_export.enqueue(1, 1)
            assert waiter.wait(0.5) is False  # not yet committed
        assert waiter.wait(10) is True
    finally:
        waiter.close()
        wake.set_wake_writer(None)
        for fd in fds:
            os.close(fd)


def test_a_worker_started_alone_on_sqlite_polls(monkeypatch):
    """Without the pipe (a worker started by hand) the SQLite waiter sleeps its interval."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only: PostgreSQL workers always LISTEN")
    monkeypatch.delenv(wake.WAKE_FD_ENV, raising=False)
    waiter = wake.Waiter()
    assert waiter.kind == "poll" and "polling" in waiter.describe()
    started = time.monotonic()
    assert waiter.wait(0.05) is False
    assert time.monotonic() - started >= 0.05


@pytest.mark.integration
def test_stockledger_serve_wakes_its_own_worker(api, warehouses, product_factory, tmp_path):
    """What `make run` runs: the web process and the worker it starts (polling every 60 s
    here); an export asked for over HTTP is picked up within seconds."""
    import http.client
    import json
    import socket

    widget = product_factory("WAKE-2")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.exports.worker_settings",
        "STOCKLEDGER_TEST_DB_NAME": str(connection.settings_dict["NAME"]),
        "STOCKLEDGER_EXPORTS_DIR": str(tmp_path / "exports"),
        "STOCKLEDGER_WORKER_INTERVAL": str(POLL),
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        "DEBUG": "false",
    }
    log = open(tmp_path / "serve.log", "wb")  # noqa: SIM115
    server = subprocess.Popen(
        [sys.executable, "-m", "stockledger.cli", "serve", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    headers = {"Authorization": f"Bearer {api.token}", "Content-Type": "application/json"}

    def call(method, path, body=None):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            conn.request(method, path, body=body and json.dumps(body), headers=headers)
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def up():
        try:
            return call("GET", "/healthz")[0] == 200
        except OSError:
            return False

    try:
        # Up (first start collects static files), and its worker idle in its 60 s pause.
        wait_for(up, timeout=300, what="the server to answer")
        wait_for(
            lambda: b"worker: waiting for jobs" in (tmp_path / "serve.log").read_bytes(),
            timeout=60,
            what="the worker to go idle",
        )
        status, body = call("POST", "/api/v1/exports", {"product_id": widget.id})
        assert status == 201, body
        export_id = json.loads(body)["id"]
        wait_for(
            lambda: (
                json.loads(call("GET", f"/api/v1/exports/{export_id}")[1])["status"] == "complete"
            ),
            timeout=POLL * 2,
            what="serve's worker to finish the export",
        )
        export = Export.objects.get(pk=export_id)
        picked_up = (export.started_at - export.created_at).total_seconds()
        assert picked_up < POLL / 3, f"picked up after {picked_up:.1f} s: no wake-up"
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
