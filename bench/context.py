"""What a measurement gets: the engine, sizes, dataset, raw connections, a live server."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from .dataset import Dataset
from .engines import pg_url, sqlite_path
from .harness import Sizes


@dataclass
class Context:
    engine: str
    sizes: Sizes
    ds: Dataset | None  # None when only measurements that make their own data run
    home: Path  # this engine's STOCKLEDGER_HOME
    database: str
    _servers: dict = field(default_factory=dict, repr=False)  # worker? -> (process, port)

    @property
    def out_dir(self) -> Path:
        path = self.home / "out"
        path.mkdir(parents=True, exist_ok=True)
        return path

    @property
    def sqlite_file(self) -> Path:
        return Path(settings.DATABASES["default"]["NAME"]) if self.engine == "sqlite" else None

    @property
    def pg_url(self) -> str:
        return pg_url(self.database)

    def raw_connection(self):
        """A connection of the bare driver, set up as the app sets up its own."""
        if self.engine == "sqlite":
            import sqlite3

            conn = sqlite3.connect(self.sqlite_file or sqlite_path(self.home), isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA busy_timeout=30000")
            return conn
        import psycopg

        return psycopg.connect(self.pg_url)

    # --- a real server over HTTP ----------------------------------------------------------

    def server(self, *, worker: bool = False) -> int:
        """Start `stockledger serve` on a free port (once per kind); return the port.

        Without `worker` it runs `--no-worker`; with it, serve starts its own job worker as
        `make run` does (on SQLite woken through serve's pipe). The rate limiter stays on,
        with a limit no measurement reaches, so its cost is in the figures.
        """
        if worker in self._servers:
            return self._servers[worker][1]
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        env = dict(os.environ)
        env["STOCKLEDGER_RATE_LIMIT_PER_SECOND"] = "1000000"
        env["STOCKLEDGER_RATE_LIMIT_BURST"] = "1000000"
        name = "server-worker" if worker else "server"
        log = open(self.out_dir / f"{name}.log", "w")  # noqa: SIM115 - lives with the server
        cmd = [sys.executable, "-m", "stockledger.cli", "serve", "--port", str(port)]
        if not worker:
            cmd.append("--no-worker")
        server = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
        self._servers[worker] = (server, port)
        # Its first start migrates and collects static files: minutes on a loaded machine.
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise RuntimeError(f"the server exited; see {self.out_dir / name}.log")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    conn.close()
                    return port
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("the server did not answer /healthz within 300 s")

    def http(self, *, worker: bool = False) -> HttpClient:
        return HttpClient(self.server(worker=worker), self.ds.token())

    def close(self) -> None:
        for server, _ in self._servers.values():
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
        self._servers.clear()


class HttpClient:
    """A keep-alive JSON client for the live server."""

    def __init__(self, port: int, token: str) -> None:
        self.port = port
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)

    def request(self, method: str, path: str, body=None) -> tuple[int, bytes]:
        data = None if body is None else json.dumps(body).encode()
        try:
            self.conn.request(method, path, body=data, headers=self.headers)
            response = self.conn.getresponse()
        except (http.client.HTTPException, OSError):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
            self.conn.request(method, path, body=data, headers=self.headers)
            response = self.conn.getresponse()
        return response.status, response.read()

    def close(self) -> None:
        self.conn.close()
