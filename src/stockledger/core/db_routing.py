"""Which database a query goes to: the primary, or a PostgreSQL streaming replica.

The rule, in one place:

- Every write, and every read inside a transaction on the primary (a read that is part of
  a write), goes to the primary (`default`).
- A read goes to the replica only inside `reads_from_replica()` (a context manager and a
  view decorator), used by the read-only pages (log pages, product and document lists,
  charts, reports) and by the export runner (`pinned_reads`). Everything else reads the
  primary, so a new read path is exact unless someone opts it in.
- A browser that has just written (any non-GET request) reads the primary for
  STOCKLEDGER_REPLICA_MAX_LAG + 1 seconds afterwards (a short cookie set by
  `ReadYourWritesMiddleware`): the page after a count shows the count.
- The replica is skipped, and reads fall back to the primary (logged, never an error page),
  when it is down or lags more than STOCKLEDGER_REPLICA_MAX_LAG seconds. Its state is
  checked at most every STOCKLEDGER_REPLICA_CHECK_SECONDS and cached in the process. A
  replica-read view that fails on the replica's connection is run again on the primary.
- An export records the primary's WAL position when it is asked for (`primary_wal_lsn`)
  and reads the replica only once the replica has replayed past it (`replica_alias_for_lsn`).

Without DATABASE_REPLICA_URL there is no `replica` alias and all of this reads the primary.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar, cast, overload

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connections
from django.db.models import Model
from django.http import HttpRequest, HttpResponse

log = logging.getLogger(__name__)

PRIMARY = "default"
REPLICA = "replica"
PREFER_REPLICA = "prefer-replica"
STICKY_COOKIE = "sl_primary"

# None: reads go to the primary. PREFER_REPLICA: to the replica when it is fit. An alias:
# every read goes there (the export runner pins the alias it checked).
_reads: ContextVar[str | None] = ContextVar("stockledger_reads", default=None)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


class _ReplicaState:
    """The replica's last known state, shared by the threads of one process."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.checked_at = 0.0
        self.usable = False
        self.reason = ""

    def reset(self) -> None:
        with self.lock:
            self.checked_at = 0.0

    def mark_down(self, reason: str) -> None:
        with self.lock:
            if self.usable or self.reason != reason:
                log.warning("replica skipped, reading the primary: %s", reason)
            self.usable, self.reason, self.checked_at = False, reason, time.monotonic()


state = _ReplicaState()

_LAG_SQL = (
    "SELECT pg_is_in_recovery(), CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn()"
    " THEN 0 ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0)"
    " END"
)


def replica_lag() -> float:
    """The replica's replay lag in seconds (0 when it has replayed all it received; an idle
    primary is not lag). Raises DatabaseError when the replica cannot be reached."""
    with connections[REPLICA].cursor() as cursor:
        cursor.execute(_LAG_SQL)
        in_recovery, lag = cursor.fetchone()
    if not in_recovery:
        raise OperationalError("the replica database is not in recovery (not a replica)")
    return float(lag)


def _close_replica() -> None:
    try:
        connections[REPLICA].close()
    except DatabaseError:
        pass


def replica_usable() -> bool:
    """True when the replica is up and within STOCKLEDGER_REPLICA_MAX_LAG (cached)."""
    if not replica_configured():
        return False
    now = time.monotonic()
    if now - state.checked_at < settings.STOCKLEDGER_REPLICA_CHECK_SECONDS:
        return state.usable
    max_lag = settings.STOCKLEDGER_REPLICA_MAX_LAG
    try:
        lag = replica_lag()
    except DatabaseError as exc:
        _close_replica()
        state.mark_down(f"unreachable ({str(exc).strip() or type(exc).__name__})")
        return False
    if lag > max_lag:
        state.mark_down(f"lags {lag:.1f} s (more than {max_lag:g} s)")
        return False
    with state.lock:
        if not state.usable:
            log.info("replica in use (lag %.1f s)", lag)
        state.usable, state.reason, state.checked_at = True, "", now
    return True


F = TypeVar("F", bound=Callable[..., Any])


class ReplicaRouter:
    """Django database router applying the rule in this module's docstring."""

    def db_for_read(self, model: type[Model], **hints: Any) -> str:
        mode = _reads.get()
        if mode is None:
            return PRIMARY
        if mode != PREFER_REPLICA:
            return mode
        if connections[PRIMARY].in_atomic_block:  # a read inside a write
            return PRIMARY
        return REPLICA if replica_usable() else PRIMARY

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        return PRIMARY

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool:
        return True  # the replica holds the same rows as the primary

    def allow_migrate(
        self, db: str, app_label: str, model_name: str | None = None, **hints: Any
    ) -> bool:
        return db == PRIMARY


@contextmanager
def pinned_reads(alias: str) -> Iterator[None]:
    """Every read inside goes to `alias` (the export runner, after checking the replica)."""
    token = _reads.set(alias)
    try:
        yield
    finally:
        _reads.reset(token)


_sticky: ContextVar[bool] = ContextVar("stockledger_read_own_writes", default=False)


@contextmanager
def _prefer_replica() -> Iterator[None]:
    token = _reads.set(None if _sticky.get() else PREFER_REPLICA)
    try:
        yield
    finally:
        _reads.reset(token)


class reads_from_replica:  # noqa: N801 - used as a context manager and a decorator
    """Reads inside may go to the replica (when it is fit; never inside a write).

    As a view decorator it also runs the view again on the primary if the replica's
    connection fails half-way (the view only reads), so a replica stopping between two
    health checks shows the user nothing.
    """

    def __enter__(self) -> reads_from_replica:
        self._cm = _prefer_replica()
        self._cm.__enter__()
        return self

    def __exit__(self, *exc: Any) -> bool | None:
        return self._cm.__exit__(*exc)

    @overload
    def __new__(cls, fn: None = None) -> reads_from_replica: ...

    @overload
    def __new__(cls, fn: F) -> F: ...  # type: ignore[misc]  # as a decorator: the view

    def __new__(cls, fn: Callable[..., Any] | None = None) -> Any:
        if fn is None:
            return super().__new__(cls)

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            request = args[0] if args else None
            method = getattr(request, "method", "GET")
            if not replica_configured() or method not in ("GET", "HEAD"):
                return fn(*args, **kwargs)
            with _prefer_replica():
                used_replica = _reads.get() == PREFER_REPLICA
                try:
                    return fn(*args, **kwargs)
                except (OperationalError, InterfaceError) as exc:
                    if (
                        not used_replica
                        or connections[PRIMARY].in_atomic_block
                        or _replica_fine()  # the error came from elsewhere
                    ):
                        raise
                    _close_replica()
                    state.mark_down(f"failed during a read ({exc})")
            with pinned_reads(PRIMARY):
                return fn(*args, **kwargs)

        return wrapper


def _replica_fine() -> bool:
    connection = connections[REPLICA]
    if connection.connection is None:
        return False
    try:
        return connection.is_usable()
    except DatabaseError:
        return False


class ReadYourWritesMiddleware:
    """After a browser's write (any non-GET request), its reads stay on the primary for the
    replica's allowed lag, so the page after a change always shows the change."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not replica_configured():
            return self.get_response(request)
        token = _sticky.set(_sticky_until(request) > time.time())
        try:
            response = self.get_response(request)
        finally:
            _sticky.reset(token)
        if request.method not in ("GET", "HEAD", "OPTIONS", "TRACE"):
            seconds = int(settings.STOCKLEDGER_REPLICA_MAX_LAG) + 2
            response.set_cookie(
                STICKY_COOKIE,
                str(int(time.time()) + seconds),
                max_age=seconds,
                httponly=True,
                samesite="Lax",
                secure=request.is_secure(),
            )
        return response


def _sticky_until(request: HttpRequest) -> float:
    try:
        return float(request.COOKIES.get(STICKY_COOKIE, "0"))
    except ValueError:
        return 0.0


def primary_wal_lsn() -> str:
    """The primary's current WAL position (PostgreSQL), '' elsewhere."""
    connection = connections[PRIMARY]
    if connection.vendor != "postgresql":
        return ""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()::text")
        row = cursor.fetchone()
        return cast(str, row[0])


def replica_alias_for_lsn(lsn: str, *, wait: float | None = None) -> str:
    """The alias to read an export asked for at primary position `lsn`: the replica once it
    has replayed past `lsn` (waiting up to `wait` seconds), else the primary."""
    if not replica_configured() or not lsn:
        return PRIMARY
    if wait is None:
        wait = settings.STOCKLEDGER_REPLICA_EXPORT_WAIT_SECONDS
    deadline = time.monotonic() + wait
    while True:
        try:
            with connections[REPLICA].cursor() as cursor:
                cursor.execute(
                    "SELECT pg_is_in_recovery() AND"
                    " pg_wal_lsn_diff(pg_last_wal_replay_lsn(), %s::pg_lsn) >= 0",
                    [lsn],
                )
                if cursor.fetchone()[0]:
                    return REPLICA
        except DatabaseError as exc:
            _close_replica()
            state.mark_down(f"unreachable ({str(exc).strip() or type(exc).__name__})")
            return PRIMARY
        if time.monotonic() >= deadline:
            log.warning("replica has not replayed %s after %.1f s: export reads primary", lsn, wait)
            return PRIMARY
        time.sleep(0.05)
