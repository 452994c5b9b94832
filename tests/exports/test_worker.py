"""Real `stockledger worker` processes on the test database (SQLite file or PostgreSQL):
exports run end to end, and a worker killed with SIGKILL mid-export leaves no partial file
and an export that is rerun, or failed with the reason."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from django_tasks_db.models import DBTaskResult

from stockledger.exports.models import Export

from .conftest import T0

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]


@pytest.fixture
def start_worker(exports_dir, tmp_path):
    started = []

    def start(**env):
        environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.exports.worker_settings",
            "STOCKLEDGER_TEST_DB_NAME": str(connection.settings_dict["NAME"]),
            "STOCKLEDGER_EXPORTS_DIR": str(exports_dir),
            "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
            # Silence of 3 s means dead: short for the test, long enough for a busy machine.
            "STOCKLEDGER_EXPORT_HEARTBEAT_SECONDS": "0.2",
            "STOCKLEDGER_EXPORT_STALE_SECONDS": "3",
            "STOCKLEDGER_EXPORT_MAINTENANCE_SECONDS": "0.2",
            **env,
        }
        log = open(tmp_path / f"worker-{len(started)}.log", "wb")  # noqa: SIM115
        process = subprocess.Popen(
            [sys.executable, "-m", "stockledger.cli", "worker", "--interval", "0.1"],
            env=environment,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        started.append((process, log))
        return process

    yield start
    for process, log in started:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)
        log.close()


def wait_for(condition, *, timeout=60.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def files_in(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_a_worker_process_runs_each_kind_of_export(
    api, warehouses, product_factory, add_rows, start_worker
):
    bolt, nut = product_factory("BOLT"), product_factory("NUT")
    kit = product_factory(
        "KIT", components=[{"sku": "BOLT", "quantity": 1}, {"sku": "NUT", "quantity": 1}]
    )
    add_rows(bolt, warehouses[0], 30, start=T0)
    add_rows(nut, warehouses[1], 20, start=T0)
    asks = [
        {"product_id": bolt.id},
        {"product_id": kit.id, "include_components": True},
        {"kind": "products", "since": T0.isoformat(), "timezone": "UTC"},
        {"product_id": nut.id, "format": "xlsx"},
    ]
    ids = [api.post("/exports", ask).json()["id"] for ask in asks]
    start_worker()

    def all_done():
        items = {e["id"]: e for e in api.get("/exports").json()["items"]}
        return all(items[i]["status"] in ("complete", "failed") for i in ids) and items

    items = wait_for(all_done, what="the worker to finish the exports")
    assert [(items[i]["status"], items[i]["rows"]) for i in ids] == [
        ("complete", 30),
        ("complete", 50),
        ("complete", 50),
        ("complete", 20),
    ]

    def skus(export_id):
        content = b"".join(api.get(f"/exports/{export_id}/csv").streaming_content)
        lines = content.decode("utf-8-sig").split("\r\n")[1:-1]
        return [line.split(",")[20] for line in lines]

    assert skus(ids[0]) == ["BOLT"] * 30
    assert sorted(set(skus(ids[1]))) == ["BOLT", "NUT"] == sorted(set(skus(ids[2])))
    xlsx = api.get(f"/exports/{ids[3]}/file")
    assert xlsx.status_code == 200 and b"".join(xlsx.streaming_content).startswith(b"PK")
    for i in ids:
        task = DBTaskResult.objects.get(id=Export.objects.get(pk=i).task_id)
        assert task.status == "SUCCESSFUL" and task.return_value == "complete"


def _kill_mid_export(api, widget, start_worker, exports_dir, **env):
    first = start_worker(STOCKLEDGER_EXPORT_THROTTLE_SECONDS="1", **env)
    export_id = api.post("/exports", {"product_id": widget.id}).json()["id"]
    wait_for(
        lambda: Export.objects.filter(pk=export_id, status="running", rows__gte=1000).exists(),
        what="the export to be half-way",
    )
    assert files_in(exports_dir) != []  # the scratch file being written
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    export = Export.objects.get(pk=export_id)
    assert export.status == "running"
    assert [f for f in files_in(exports_dir) if not f.startswith(".partial/")] == []
    assert api.get(f"/exports/{export_id}/csv").status_code == 409
    return export


def test_a_worker_killed_mid_export_leaves_no_partial_file_and_the_export_is_rerun(
    api, warehouses, product_factory, add_rows, start_worker, exports_dir
):
    widget = product_factory("BIG-1")
    add_rows(widget, warehouses[0], 4000)
    export = _kill_mid_export(api, widget, start_worker, exports_dir)
    killed_task = export.task_id

    start_worker()  # its maintenance thread notices the silence and queues attempt 2
    data = wait_for(
        lambda: (d := api.get(f"/exports/{export.id}").json())["status"] == "complete" and d,
        timeout=60,
        what="the second worker to rerun the export",
    )
    assert (data["attempts"], data["rows"], data["error"]) == (2, 4000, "")
    content = b"".join(api.get(f"/exports/{export.id}/csv").streaming_content)
    assert content.count(b"\r\n") == 4001
    export.refresh_from_db()
    assert files_in(exports_dir) == [export.file_name]  # no scratch file left behind
    killed = DBTaskResult.objects.get(id=killed_task)
    assert killed.status == "FAILED" and "no heartbeat" in killed.traceback


def test_a_worker_killed_with_no_attempts_left_fails_the_export_with_the_reason(
    api, warehouses, product_factory, add_rows, start_worker, exports_dir, settings
):
    settings.STOCKLEDGER_EXPORT_STALE_SECONDS = 3
    settings.STOCKLEDGER_EXPORT_MAX_ATTEMPTS = 1
    widget = product_factory("BIG-2")
    add_rows(widget, warehouses[0], 3000)
    export = _kill_mid_export(api, widget, start_worker, exports_dir)

    # No worker left: looking at the exports is enough to settle it.
    data = wait_for(
        lambda: (d := api.get("/exports").json()["items"][0])["status"] == "failed" and d,
        timeout=30,
        what="the export to be failed",
    )
    assert data["id"] == export.id
    assert data["error"].startswith("the worker running this export stopped (no heartbeat for")
    assert data["error"].endswith("gave up after 1 attempt")
    assert files_in(exports_dir) == []
