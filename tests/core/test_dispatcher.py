"""`stockledger serve`'s thread pool: quick requests one after another, slow ones spill over."""

from __future__ import annotations

import random
import threading
import time

import pytest
from django.core.management import CommandError, call_command
from waitress.task import ThreadedTaskDispatcher

from stockledger.core.dispatcher import SpillDispatcher
from stockledger.core.management.commands.serve import dispatcher


class Probe:
    """Counts how many fake requests run at once and when each started."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now_running = 0
        self.most_running = 0
        self.done = 0
        self.all_done = threading.Event()
        self.expected = 0

    def task(self, seconds: float = 0.0, gate: threading.Event | None = None) -> Task:
        self.expected += 1
        return Task(self, seconds, gate)


class Task:
    def __init__(self, probe: Probe, seconds: float, gate: threading.Event | None) -> None:
        self.probe, self.seconds, self.gate = probe, seconds, gate
        self.started: float | None = None

    def service(self) -> None:
        probe = self.probe
        with probe.lock:
            self.started = time.monotonic()
            probe.now_running += 1
            probe.most_running = max(probe.most_running, probe.now_running)
        if self.gate is not None:
            assert self.gate.wait(10)
        time.sleep(self.seconds)  # releases the interpreter, as a database call does
        with probe.lock:
            probe.now_running -= 1
            probe.done += 1
            if probe.done == probe.expected:
                probe.all_done.set()

    def cancel(self) -> None:
        pass


@pytest.fixture
def pools():
    made: list[ThreadedTaskDispatcher] = []

    def make(pool: ThreadedTaskDispatcher, threads: int = 4) -> ThreadedTaskDispatcher:
        pool.set_thread_count(threads)
        made.append(pool)
        return pool

    yield make
    for pool in made:
        pool.shutdown(timeout=5)


def _wait_for(condition, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


def _run_quick_requests(pool: ThreadedTaskDispatcher) -> Probe:
    probe = Probe()
    tasks = [probe.task(0.003) for _ in range(40)]
    for task in tasks:
        pool.add_task(task)
    assert probe.all_done.wait(20), f"{probe.done} of {probe.expected} requests ran"
    return probe


def test_quick_requests_run_one_after_another(pools):
    probe = _run_quick_requests(pools(SpillDispatcher(spill=5.0)))
    assert probe.most_running == 1


def test_waitress_own_pool_runs_them_side_by_side(pools):
    # What SpillDispatcher changes: the same requests on waitress' pool overlap.
    probe = _run_quick_requests(pools(ThreadedTaskDispatcher()))
    assert probe.most_running > 1


def test_a_slow_request_lets_the_next_start_after_the_spill_time(pools):
    pool = pools(SpillDispatcher(spill=0.05))
    probe, release = Probe(), threading.Event()
    slow, quick = probe.task(gate=release), probe.task()
    pool.add_task(slow)
    pool.add_task(quick)
    try:
        assert _wait_for(lambda: probe.done == 1), "the request behind a slow one never ran"
        assert slow.started is not None and quick.started is not None
        # It waited for the slow request to turn slow, then ran beside it.
        assert quick.started - slow.started >= 0.05
        assert probe.now_running == 1  # the slow one, still stuck
    finally:
        release.set()
    assert probe.all_done.wait(10)


def test_slow_requests_spill_up_to_the_pool_size(pools):
    pool = pools(SpillDispatcher(spill=0.02), threads=3)
    probe, release = Probe(), threading.Event()
    tasks = [probe.task(gate=release) for _ in range(4)]
    for task in tasks:
        pool.add_task(task)
    try:
        assert _wait_for(lambda: probe.now_running == 3)  # three threads, each stuck
        time.sleep(0.1)
        assert sum(task.started is not None for task in tasks) == 3  # the fourth waits
    finally:
        release.set()
    assert probe.all_done.wait(10)


def test_no_request_is_lost_when_many_arrive_at_once(pools):
    pool = pools(SpillDispatcher(spill=0.01))
    probe = Probe()
    rng = random.Random(15)
    batches = [
        [probe.task(rng.choice([0.0, 0.0, 0.0005, 0.03])) for _ in range(100)] for _ in range(4)
    ]

    def send(batch: list[Task]) -> None:
        for task in batch:
            pool.add_task(task)
            if rng.random() < 0.1:
                time.sleep(0.001)

    senders = [threading.Thread(target=send, args=(batch,)) for batch in batches]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join()
    assert probe.all_done.wait(30), f"{probe.done} of {probe.expected} requests ran"


def test_shutdown_stops_every_thread():
    pool = SpillDispatcher(spill=0.05)
    pool.set_thread_count(3)
    assert len(pool.threads) == 3
    pool.shutdown(timeout=5)
    assert pool.threads == set()


def test_serve_spills_on_sqlite_and_keeps_waitress_pool_on_postgresql():
    sqlite = dispatcher("sqlite", 2, None)
    postgresql = dispatcher("postgresql", 2, None)
    off = dispatcher("sqlite", 2, 0)
    chosen = dispatcher("postgresql", 2, 20)
    try:
        assert isinstance(sqlite, SpillDispatcher) and sqlite.spill == 0.05
        assert type(postgresql) is ThreadedTaskDispatcher
        assert type(off) is ThreadedTaskDispatcher
        assert isinstance(chosen, SpillDispatcher) and chosen.spill == 0.02
        assert len(sqlite.threads) == 2
    finally:
        for pool in (sqlite, postgresql, off, chosen):
            pool.shutdown(timeout=5)


def test_serve_refuses_a_negative_spill_time():
    with pytest.raises(CommandError, match="--spill-ms: -1 is not 0 or more"):
        call_command("serve", spill_ms=-1)
