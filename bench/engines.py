"""Where each engine's bench database lives, and how to (re)create it.

SQLite: `$STOCKLEDGER_HOME/bench/<size>/sqlite/stockledger.sqlite3` (the app's own settings, WAL).
PostgreSQL: database `sl_bench_<size>` on the server of `BENCH_PG_URL` (default: the server of
`PG_URL`, else postgres@127.0.0.1:5432).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/postgres"


def pg_server_url() -> str:
    return os.environ.get("BENCH_PG_URL") or os.environ.get("PG_URL") or DEFAULT_PG


def pg_url(database: str) -> str:
    parts = urlsplit(pg_server_url())
    return urlunsplit(parts._replace(path="/" + database))


def pg_available() -> bool:
    import psycopg

    try:
        psycopg.connect(pg_url("postgres"), connect_timeout=3).close()
        return True
    except psycopg.Error:
        return False


def engine_env(engine: str, home: Path, database: str) -> dict[str, str]:
    """The environment a child process runs Stockledger with for `engine`."""
    env = dict(os.environ)
    env["STOCKLEDGER_HOME"] = str(home / engine)
    env["DATABASE_URL"] = pg_url(database) if engine == "postgresql" else ""
    env.setdefault("LOG_LEVEL", "WARNING")
    return env


def sqlite_path(home: Path) -> Path:
    return home / "stockledger.sqlite3"


def create_database(engine: str, database: str, home: Path, *, drop: bool) -> None:
    """Make sure the engine's bench database exists (empty when `drop`)."""
    if engine == "sqlite":
        if drop and home.exists():
            shutil.rmtree(home)
        home.mkdir(parents=True, exist_ok=True)
        return
    import psycopg

    with psycopg.connect(pg_url("postgres"), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone()
        if exists and drop:
            conn.execute(f'DROP DATABASE "{database}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{database}"')


def drop_database(engine: str, database: str, home: Path) -> None:
    if engine == "sqlite":
        shutil.rmtree(home, ignore_errors=True)
        return
    import psycopg

    with psycopg.connect(pg_url("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
