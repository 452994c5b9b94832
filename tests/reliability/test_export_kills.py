"""Worker processes SIGKILLed before, during and after writing an export.

tests/exports/test_worker.py kills a worker in the middle of writing; here real
`stockledger worker` processes stop dead at the other points (tests/reliability/paused_worker.py)
and are killed there:
- before-claim: the worker took the task but had not claimed the export,
- before-write: the export is running, no row written yet,
- after-publish: the complete file is published, the export not yet marked complete,
- after-complete: the export is complete.
Then a healthy worker takes over. Each export ends `complete` with a complete file, or
(with no attempts left) `failed` with the reason; at no moment is a partial file offered for
download, and every file in the exports folder is a complete one.
"""

from __future__ import annotations

import csv
import io
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from stockledger.exports.models import Export
from tests.exports.conftest import T0
from tests.exports.test_worker import files_in, wait_for

from .paused_worker import POINTS

ROOT = Path(__file__).resolve().parents[2]
ROWS = 1500


@pytest.fixture
def exports_dir(settings, tmp_path):
    settings.STOCKLEDGER_EXPORTS_DIR = tmp_path / "exports"
    settings.STOCKLEDGER_EXPORT_HEARTBEAT_SECONDS = 60
    settings.STOCKLEDGER_EXPORT_THROTTLE_SECONDS = 0
    # While the paused workers wait, nobody declares them dead; the rescuer uses 3 s.
    settings.STOCKLEDGER_EXPORT_STALE_SECONDS = 600
    return settings.STOCKLEDGER_EXPORTS_DIR


@pytest.fixture
def workers(exports_dir, tmp_path):
    started = []

    def start(args, **env):
        environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.exports.worker_settings",
            "STOCKLEDGER_TEST_DB_NAME": str(connection.settings_dict["NAME"]),
            "STOCKLEDGER_EXPORTS_DIR": str(exports_dir),
            "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
            "STOCKLEDGER_EXPORT_HEARTBEAT_SECONDS": "0.2",
            "STOCKLEDGER_EXPORT_STALE_SECONDS": "600",
            "STOCKLEDGER_EXPORT_MAINTENANCE_SECONDS": "0.2",
            **env,
        }
        log = open(tmp_path / f"worker-{len(started)}.log", "wb")  # noqa: SIM115
        process = subprocess.Popen(
            [sys.executable, "-m", *args],
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


def _complete_csv(data: bytes) -> list[dict]:
    text = data.decode("utf-8-sig")
    assert text.endswith("\r\n")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert len(rows) == ROWS and [r["sku"] for r in rows] == ["WIDGET"] * ROWS
    return rows


def _kill_at_every_point(
    api,
    company,
    warehouses,
    product_factory,
    workers,
    exports_dir,
    tmp_path,
    settings,
    *,
    max_attempts,
):
    from stockledger.ledger.services import LogLine
    from tests.exports.conftest import _record

    settings.STOCKLEDGER_EXPORT_MAX_ATTEMPTS = max_attempts
    widget = product_factory("WIDGET")
    _record(
        company,
        "on_hand",
        [
            LogLine(widget, warehouses[0], physical_change=1, quantity=1, fields={"created_at": T0})
            for _ in range(ROWS)
        ],
    )
    ids = [api.post("/exports", {"product_id": widget.id}).json()["id"] for _ in POINTS]
    markers = tmp_path / "markers"
    markers.mkdir()
    paused = [
        workers(
            ["tests.reliability.paused_worker", point, str(markers)],
            STOCKLEDGER_EXPORT_MAX_ATTEMPTS=str(max_attempts),
        )
        for point in POINTS
    ]
    wait_for(
        lambda: all((markers / p).exists() for p in POINTS),
        timeout=90,
        what="every paused worker to reach its point",
    )
    at = {p: int((markers / p).read_text()) for p in POINTS}
    assert sorted(at.values()) == sorted(ids)

    # While they stand there, nothing but the complete export can be downloaded.
    for point, export_id in at.items():
        response = api.get(f"/exports/{export_id}/csv")
        if point == "after-complete":
            assert response.status_code == 200
            _complete_csv(b"".join(response.streaming_content))
        else:
            assert response.status_code == 409, point
    for process in paused:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    # Nothing half-written sits under a published name.
    for name in files_in(exports_dir):
        if not name.startswith(".partial/"):
            _complete_csv((exports_dir / name).read_bytes())

    settings.STOCKLEDGER_EXPORT_STALE_SECONDS = 3
    rescuer = workers(
        ["stockledger.cli", "worker", "--interval", "0.1"],
        STOCKLEDGER_EXPORT_STALE_SECONDS="3",
        STOCKLEDGER_EXPORT_MAX_ATTEMPTS=str(max_attempts),
    )
    settled = wait_for(
        lambda: (
            (items := {e["id"]: e for e in api.get("/exports").json()["items"]})
            and all(items[i]["status"] in ("complete", "failed") for i in ids)
            and items
        ),
        timeout=120,
        what="every export to be settled",
    )
    rescuer.send_signal(signal.SIGKILL)
    outcome, reasons = {}, {}
    for point, export_id in at.items():
        data = settled[export_id]
        outcome[point] = (data["status"], data["attempts"])
        reasons[point] = data["error"]
        response = api.get(f"/exports/{export_id}/csv")
        if data["status"] == "complete":
            assert data["rows"] == ROWS
            assert response.status_code == 200
            _complete_csv(b"".join(response.streaming_content))
        else:
            assert data["error"].strip(), point
            assert response.status_code == 409
            assert Export.objects.get(pk=export_id).file_name == ""
    for name in files_in(exports_dir):
        assert not name.startswith(".partial/") or name.endswith(".work"), name
        _complete_csv((exports_dir / name).read_bytes())
    return outcome, reasons


@pytest.mark.django_db(transaction=True)
def test_workers_killed_before_and_after_writing_an_export_end_with_complete_files(
    api, company, warehouses, product_factory, workers, exports_dir, tmp_path, settings, figures
):
    outcome, reasons = _kill_at_every_point(
        api,
        company,
        warehouses,
        product_factory,
        workers,
        exports_dir,
        tmp_path,
        settings,
        max_attempts=3,
    )
    assert outcome == {
        "before-claim": ("complete", 2),
        "before-write": ("complete", 2),
        "after-publish": ("complete", 2),
        "after-complete": ("complete", 1),
    }
    figures.update(
        workers_killed=len(POINTS),
        points=list(POINTS),
        outcome={p: s for p, (s, _) in outcome.items()},
        partial_files_offered=0,
    )


@pytest.mark.django_db(transaction=True)
def test_workers_killed_with_no_attempts_left_fail_the_export_with_the_reason(
    api, company, warehouses, product_factory, workers, exports_dir, tmp_path, settings, figures
):
    outcome, reasons = _kill_at_every_point(
        api,
        company,
        warehouses,
        product_factory,
        workers,
        exports_dir,
        tmp_path,
        settings,
        max_attempts=1,
    )
    assert outcome == {
        "before-claim": ("failed", 1),
        "before-write": ("failed", 1),
        "after-publish": ("failed", 1),
        "after-complete": ("complete", 1),
    }
    for point in ("before-claim", "before-write", "after-publish"):
        assert "gave up after 1 attempt" in reasons[point], reasons
    figures.update(
        workers_killed=len(POINTS),
        outcome={p: s for p, (s, _) in outcome.items()},
        reasons={p: r for p, r in reasons.items() if r},
        partial_files_offered=0,
    )
