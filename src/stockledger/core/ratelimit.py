"""Per-token rate limiting: a token bucket kept as one timestamp per token (GCRA).

A token may send `STOCKLEDGER_RATE_LIMIT_PER_SECOND` requests per second sustained and
`STOCKLEDGER_RATE_LIMIT_BURST` at once after a quiet spell. The budget is stored as the
"theoretical arrival time" (TAT): each request moves it 1/rate seconds into the future; a
request is refused while the TAT would lie more than burst/rate seconds ahead of now, and the
refusal says how long to wait (`Retry-After`).

Two stores (setting `STOCKLEDGER_RATE_LIMIT_STORE`):
- `memory` (default): a dict in the server process. `stockledger serve` runs one process
  (waitress threads), so this is exact there and costs no database write per request.
  Behind several server processes each process keeps its own budget (a token could reach
  N times the rate).
- `database`: one atomic upsert per request on `core_ratebucket`; exact across processes
  and machines, at the price of a small write per API request.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: float = 0.0


def _limits() -> tuple[float, float]:
    rate = float(settings.STOCKLEDGER_RATE_LIMIT_PER_SECOND)
    burst = float(settings.STOCKLEDGER_RATE_LIMIT_BURST)
    return 1.0 / rate, burst / rate  # emission interval, tolerance


def _slack(interval: float) -> float:
    # Float sums of the interval drift a little; a thousandth of one request absorbs it.
    return interval / 1000


class MemoryStore:
    MAX_KEYS = 10_000

    def __init__(self) -> None:
        self._tat: dict[str, float] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, now: float | None = None) -> Decision:
        interval, tolerance = _limits()
        now = time.time() if now is None else now
        with self._lock:
            new_tat = max(self._tat.get(key, now), now) + interval
            if new_tat - now > tolerance + _slack(interval):
                return Decision(False, new_tat - now - tolerance)
            if len(self._tat) >= self.MAX_KEYS and key not in self._tat:
                # Buckets whose TAT has passed are full: forgetting them changes nothing.
                self._tat = {k: v for k, v in self._tat.items() if v > now}
            self._tat[key] = new_tat
            return Decision(True)

    def clear(self) -> None:
        with self._lock:
            self._tat.clear()


class DatabaseStore:
    """GCRA as one statement: insert or advance the TAT only while within the tolerance."""

    def hit(self, key: str, now: float | None = None) -> Decision:
        interval, tolerance = _limits()
        now = time.time() if now is None else now
        greatest = "GREATEST" if connection.vendor == "postgresql" else "MAX"
        table = "core_ratebucket"
        sql = (
            f'INSERT INTO {table} ("key", tat) VALUES (%s, %s) '
            f'ON CONFLICT ("key") DO UPDATE SET tat = {greatest}({table}.tat, %s) + %s '
            f"WHERE {greatest}({table}.tat, %s) + %s - %s <= %s "
            "RETURNING tat"
        )
        params: list[Any] = [
            key,
            now + interval,
            now,
            interval,
            now,
            interval,
            now,
            tolerance + _slack(interval),
        ]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            if cursor.fetchone() is not None:
                return Decision(True)
            cursor.execute(f'SELECT tat FROM {table} WHERE "key" = %s', [key])
            row = cursor.fetchone()
        tat = row[0] if row else now
        return Decision(False, max(tat, now) + interval - now - tolerance)


_memory = MemoryStore()
_database = DatabaseStore()


def rate_limit_store() -> MemoryStore | DatabaseStore:
    return _database if settings.STOCKLEDGER_RATE_LIMIT_STORE == "database" else _memory
