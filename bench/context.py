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
    ds: Dataset
    home: Path  # this engine's STOCKLEDGER_HOME
    database: str
    _server: subprocess.Popen | None = field(default=None, repr=False)
    _port: int | None = None

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

    def server(self) -> int:
        """Start `stockledger serve --no-worker` on a free port (once); return the port."""
        if self._server is not None:
            return self._port
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        env = dict(os.environ)
        log = open(self.out_dir / "server.log", "w")  # noqa: SIM115 - lives with the server
        self._server = subprocess.Popen(
            [sys.executable, "-m", "stockledger.cli", "serve", "--no-worker", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self._port = port
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self._server.poll() is not None:
                raise RuntimeError(f"the server exited; see {self.out_dir / 'server.log'}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    conn.close()
                    return port
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("the server did not answer /healthz within 60 s")

    def http(self) -> HttpClient:
        return HttpClient(self.server(), self.ds.token())

    def close(self) -> None:
        if self._server is not None:
            self._server.terminate()
            try:
                self._server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self._server.kill()
            self._server = None


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
