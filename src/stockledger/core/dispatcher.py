"""Which of `stockledger serve`'s threads runs the next request.

Waitress hands each request to the next idle thread, so four clients keep four threads
running at once. Under one interpreter lock that buys nothing when requests do no waiting
of their own (SQLite is in-process: its work is CPU), and it costs: every time a thread
releases the lock around a database call, another thread takes it over, on the other core
and with cold caches. Measured over HTTP with four clients posting adjustments on SQLite,
the server spent 1.2 to 1.5 ms of CPU per request that way, against 0.9 to 1.0 ms with
requests run one after another (bench/README.md, "Issue 15, fifth pass").

`SpillDispatcher` runs queued requests one after another on one thread while they are
quick. A request that has run for `spill` seconds no longer holds the queue: the next
request then starts on another thread, and so on up to the pool's size. A slow request
(an export download, a large import, a wait for SQLite's write lock held by the worker)
delays the ones behind it by at most `spill`, and then they run beside it as before.

PostgreSQL keeps waitress' own dispatcher: there requests wait on the server's answers,
and running them side by side is what lets the database work in parallel.
"""

from __future__ import annotations

import time

from waitress.task import ThreadedTaskDispatcher


class SpillDispatcher(ThreadedTaskDispatcher):  # type: ignore[misc]  # waitress is untyped
    def __init__(self, spill: float) -> None:
        super().__init__()
        self.spill = spill
        self.running: dict[int, float] = {}  # thread number -> when its request started
        self.watching = False  # a waiting thread wakes when the running requests turn slow

    def _may_start(self, now: float) -> bool:
        """Under the lock: a queued request may start now (nothing runs, or all are slow)."""
        return bool(self.queue) and all(now - t >= self.spill for t in self.running.values())

    def _wait(self) -> None:
        """Under the lock: wait to be woken, or as the watcher until the newest request is slow."""
        self.active_count -= 1
        if self.queue and self.running and not self.watching:
            newest = max(self.running.values())
            self.watching = True
            try:
                self.queue_cv.wait(max(0.001, newest + self.spill - time.monotonic()))
            finally:
                self.watching = False
        else:
            self.queue_cv.wait()
        self.active_count += 1

    def handler_thread(self, thread_no: int) -> None:
        while True:
            with self.lock:
                while self.stop_count == 0 and not self._may_start(time.monotonic()):
                    self._wait()
                if self.stop_count > 0:
                    self.active_count -= 1
                    self.stop_count -= 1
                    self.threads.discard(thread_no)
                    self.thread_exit_cv.notify()
                    break
                task = self.queue.popleft()
                self.running[thread_no] = time.monotonic()
                if self.queue and not self.watching:
                    self.queue_cv.notify()  # someone must watch what is still queued
            try:
                task.service()
            except BaseException:  # noqa: BLE001 - as waitress: log it, keep the thread
                self.logger.exception("Exception when servicing %r", task)
            finally:
                with self.lock:
                    del self.running[thread_no]

    def add_task(self, task: object) -> None:
        with self.lock:
            self.queue.append(task)
            # A running request's thread takes the queue's next one when it finishes, and
            # the watcher starts it early if that request turns slow: wake a thread only
            # when nothing runs, or to become the watcher.
            if not self.running or not self.watching:
                self.queue_cv.notify()
