"""A real PostgreSQL primary + streaming replica pair for the replica tests.

`pg_cluster_pair` (session) creates two scratch clusters on free ports: a primary made with
initdb, and a replica made from it with `pg_basebackup -R -X stream`. The shared test server
is not used for this: its pg_hba allows no replication connections, and changing that needs
its configuration edited. Mandatory under CI=true; elsewhere skipped (with one loud line)
when the PostgreSQL server binaries are missing.

`replicated` (module) points Django's `default` alias at the pair's primary and adds the
`replica` alias (as DATABASE_URL / DATABASE_REPLICA_URL would), migrates the primary, and
puts the suite's own databases back afterwards. Its tests do not use the `db` fixture: the
replica can only see committed rows, so every test commits and uses its own company.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest


def _bindir() -> Path | None:
    found = shutil.which("pg_config")
    candidates = []
    if found:
        out = subprocess.run([found, "--bindir"], capture_output=True, text=True).stdout.strip()
        candidates.append(out)
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for folder in candidates:
        if folder and all(
            os.access(Path(folder) / b, os.X_OK) for b in ("initdb", "pg_ctl", "pg_basebackup")
        ):
            return Path(folder)
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class ClusterPair:
    bindir: Path
    root: Path
    primary_port: int
    replica_port: int

    def run(self, *args: str) -> subprocess.CompletedProcess:
        command = [str(self.bindir / args[0]), *args[1:]]
        if os.geteuid() == 0:  # pg_ctl and initdb refuse root
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, text=True, check=True, timeout=60)

    def url(self, port: int) -> str:
        return f"postgres://postgres@127.0.0.1:{port}/stockledger"

    def start(self, name: str, port: int) -> None:
        options = f"-p {port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self.run(
            "pg_ctl", "-D", str(self.root / name), "-o", options,
            "-l", str(self.root / f"{name}.log"), "-w", "-t", "30", "start",
        )  # fmt: skip

    def stop(self, name: str) -> None:
        self.run("pg_ctl", "-D", str(self.root / name), "-m", "fast", "-w", "stop")

    def stop_replica(self) -> None:
        self.stop("replica")

    def start_replica(self) -> None:
        self.start("replica", self.replica_port)


@pytest.fixture(scope="session")
def pg_cluster_pair():
    bindir = _bindir()
    if bindir is None:
        message = "PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup) not found"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}: the replica tests are mandatory under CI")
        print(f"\n!!! SKIPPING REPLICA TESTS: {message} !!!", file=sys.stderr)
        pytest.skip(message)
    root = Path(tempfile.mkdtemp(prefix="sl-replica-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    pair = ClusterPair(bindir, root, _free_port(), _free_port())
    started: list[str] = []
    try:
        pair.run(
            "initdb", "-D", str(root / "primary"), "-U", "postgres", "-A", "trust",
            "--no-sync", "-E", "UTF8", "--locale=C.UTF-8",
        )  # fmt: skip
        with open(root / "primary" / "postgresql.conf", "a") as conf:
            conf.write("wal_level = replica\nmax_wal_senders = 4\nhot_standby_feedback = on\n")
        pair.start("primary", pair.primary_port)
        started.append("primary")
        pair.run(
            "psql", "-h", "127.0.0.1", "-p", str(pair.primary_port), "-U", "postgres",
            "-c", "CREATE DATABASE stockledger",
        )  # fmt: skip
        pair.run(
            "pg_basebackup", "-h", "127.0.0.1", "-p", str(pair.primary_port), "-U", "postgres",
            "-D", str(root / "replica"), "-R", "-X", "stream", "--no-sync", "-c", "fast",
        )  # fmt: skip
        pair.start_replica()
        started.append("replica")
        yield pair
    finally:
        for name in reversed(started):
            try:
                pair.stop(name)
            except subprocess.CalledProcessError:
                pass
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def replicated(pg_cluster_pair, django_db_blocker):
    """Django's `default` is the pair's primary and `replica` its replica for the module."""
    import dj_database_url
    from django.conf import settings
    from django.contrib.contenttypes.models import ContentType
    from django.core.management import call_command
    from django.db import connections

    from stockledger.core import db_routing

    pair = pg_cluster_pair
    databases = connections.settings  # the same dict as settings.DATABASES
    saved_settings = dict(databases)
    saved_default = connections["default"]
    primary = dj_database_url.parse(pair.url(pair.primary_port))
    replica = dj_database_url.parse(pair.url(pair.replica_port))
    replica["OPTIONS"] = {"connect_timeout": 2}
    for alias, conf in (("default", primary), ("replica", replica)):
        conf["ATOMIC_REQUESTS"] = False
        conf.setdefault("OPTIONS", {})
        conf.setdefault("TIME_ZONE", None)
        conf.setdefault("CONN_MAX_AGE", 0)
        conf.setdefault("CONN_HEALTH_CHECKS", False)
        conf.setdefault("AUTOCOMMIT", True)
        conf.setdefault("TEST", {})
        databases[alias] = conf
    assert settings.DATABASES is databases
    with django_db_blocker.unblock():
        connections["default"] = connections.create_connection("default")
        connections["replica"] = connections.create_connection("replica")
        ContentType.objects.clear_cache()
        db_routing.state.reset()
        call_command("migrate", verbosity=0, interactive=False)
        try:
            yield pair
        finally:
            for alias in ("default", "replica"):
                connections[alias].close()
            databases.clear()
            databases.update(saved_settings)
            del connections["replica"]
            connections["default"] = saved_default
            ContentType.objects.clear_cache()
            db_routing.state.reset()
