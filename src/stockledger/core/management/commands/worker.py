import os
import random
import time
from typing import Any, TextIO, cast

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections
from django.db.utils import OperationalError
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from stockledger.core.wake import Waiter


class WakingWorker(Worker):
    """django-tasks-db's worker whose pause between polls ends when a job is enqueued
    (PostgreSQL LISTEN/NOTIFY, or the pipe from `stockledger serve`: core/wake.py).

    The loop is the library's `Worker.run` (0.13.0) with `time.sleep(interval)` replaced by
    the waiter; claiming and running a task are the library's own.
    """

    def __init__(self, *, waiter: Waiter, on_wait: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.waiter = waiter
        self.on_wait = on_wait

    def run(self) -> None:
        if self.startup_delay and self.interval:
            time.sleep(random.random())  # noqa: S311 - no thundering herd of workers
        while self.running:
            close_old_connections()
            tasks = DBTaskResult.objects.ready().filter(
                backend_name=self.backend_name, queue_name__in=self.queue_names
            )
            with exclusive_transaction(tasks.db):
                try:
                    task_result = tasks.get_locked()
                    if task_result is not None:
                        task_result.claim(self.worker_id)
                except OperationalError as e:
                    if not is_locked_database_exception(e):
                        raise
                    task_result = None
            if task_result is not None:
                self.run_task(task_result)
            close_old_connections()
            if self.running and not task_result:
                if self.on_wait is not None:
                    self.on_wait()
                    self.on_wait = None
                self.waiter.wait(self.interval)


class Command(BaseCommand):
    help = "Run only the background job worker (start more of them against PostgreSQL)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--interval",
            type=float,
            default=float(os.environ.get("STOCKLEDGER_WORKER_INTERVAL", "0.5")),
            help="seconds between polls for new jobs (a new job wakes the worker at once on "
            "PostgreSQL, and on SQLite under `stockledger serve`)",
        )

    def handle(self, *args: Any, interval: float = 0.5, **options: Any) -> None:
        from stockledger.channels.jobs import start_scheduler_thread
        from stockledger.core.workers import new_worker_id, start_heartbeat_thread
        from stockledger.exports.maintenance import start_maintenance_thread

        # Beside the task loop: a heartbeat that also takes over the jobs of workers that
        # died (core/workers.py), settle exports whose worker died, expire old export files,
        # and enqueue the sales channels' automatic sync runs when they are due.
        worker_id = new_worker_id()
        stop_heartbeat = start_heartbeat_thread(worker_id)
        stop = start_maintenance_thread()
        stop_scheduler = start_scheduler_thread()
        DbWorkerCommand(stdout=cast(TextIO, self.stdout)).configure_logging(
            options.get("verbosity", 1)
        )
        waiter = Waiter()

        def announce() -> None:
            self.stdout.write(f"worker: waiting for jobs ({waiter.describe()}, poll {interval} s)")
            self.stdout.flush()

        worker = WakingWorker(
            waiter=waiter,
            on_wait=announce,
            queue_names=["default"],
            interval=interval,
            batch=False,
            backend_name="default",
            startup_delay=True,
            max_tasks=None,
            worker_id=worker_id,  # the id its heartbeat row carries (core/workers.py)
            excluded_queue_names=[],
        )
        try:
            worker.configure_signals()
            worker.run()
        finally:
            waiter.close()
            stop.set()
            stop_scheduler.set()
            stop_heartbeat.set()
