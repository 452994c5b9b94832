"""`make bench` in a tiny size: the harness runs end to end and writes well-formed results.

Speed is not asserted (benchmarks are never timed tests); the shape of the output is.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.integration

KEYS = {"name", "engine", "product", "reference", "unit", "ratio", "goal", "met"}


def _engine() -> str:
    return (
        "postgresql" if settings.DATABASES["default"]["ENGINE"].endswith("postgresql") else "sqlite"
    )


def test_a_tiny_bench_run_writes_one_entry_per_measurement(tmp_path):
    engine = _engine()
    if engine == "sqlite" and shutil.which("sqlite3") is None:
        pytest.skip("needs the sqlite3 command line tool (make bench installs it)")
    env = dict(os.environ)
    if engine == "postgresql":
        db = settings.DATABASES["default"]
        env["BENCH_PG_URL"] = (
            f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/postgres"
        )
    results = tmp_path / "results.json"
    run = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "run.py"),
            "--size",
            "tiny",
            "--engine",
            engine,
            "--results",
            str(results),
            "--home",
            str(tmp_path / "home"),
            "--database",
            f"sl_bench_test_{os.getpid()}",
            "--drop",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    entries = json.loads(results.read_text())
    names = {e["name"] for e in entries}
    expected = {"single_stock_changes", "csv_export", "kit_export", "log_page", "export_memory"}
    expected |= {"http_adjustments", "http_orders", "export_latency_200"}
    expected |= {"api_log_page", "web_log_page"}  # on 2,000 rows; and on the big product:
    assert {n.split("_log_page_")[0] for n in names if "_log_page_" in n} == {"api", "web"}
    if engine == "postgresql":
        expected.add("concurrent_writers")
    assert expected <= names
    for entry in entries:
        assert set(entry) == KEYS
        assert entry["engine"] == engine
        assert isinstance(entry["product"], int | float) and entry["product"] > 0
        assert isinstance(entry["met"], bool) and entry["unit"] and entry["goal"]
        if entry["name"] != "export_memory":
            assert entry["reference"] > 0 and entry["ratio"] > 0
    # Each measurement printed its table, and the run its summary.
    for name in expected:
        assert f"== {name} on {engine}" in run.stdout
    assert "worker picked it up (created -> started)" in run.stdout
    assert "== summary (tiny" in run.stdout
    assert not (tmp_path / "home" / "tiny" / engine).exists() or engine == "postgresql"
