"""Workers on several machines: who is alive, and taking over the jobs of those who are not.

Every `stockledger worker` process records itself (WorkerProcess: its task-worker id, host,
pid) and moves its heartbeat on every STOCKLEDGER_WORKER_HEARTBEAT_SECONDS from a thread of
its own. django-tasks-db marks a task row RUNNING with the worker's id when a worker claims
it, and never takes it back: a worker killed mid-job (SIGKILL, out of memory, machine gone)
leaves its task RUNNING and the job it was doing (an import applying, a channel run, a
webhook being applied) in its running state for good.

`reap_lost_jobs` (every worker's heartbeat thread runs it after each beat) finds the
RUNNING tasks whose worker is silent past STOCKLEDGER_WORKER_STALE_SECONDS, or claimed more
than STOCKLEDGER_JOB_CLAIM_SECONDS ago by a worker that never recorded a heartbeat, and for
each:

1. marks the task row FAILED (`WorkerLost`, with the reason) with a conditional UPDATE
   (`status = RUNNING`): however many workers reap at once, one of them wins each task;
2. in the same transaction, the winner calls the take-over registered for that task
   (`@takeover(task)` in the app's tasks.py), which runs the job again as a new task, or
   (its attempts used up: STOCKLEDGER_JOB_MAX_ATTEMPTS, counting the lost tasks of the same
   job) ends it failed with the reason. Either happens exactly once per lost task.

Exports keep their own, finer reaper (exports/maintenance.py: a heartbeat per export); tasks
without a registered take-over are left to their app.

A worker judged dead that was only paused (a stopped VM) may come back and finish its job
late; the take-overs are written for that too (each checks the job is still in the state
the lost task left it in), but keep STALE well above any pause you expect.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import import_module
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import close_old_connections, connections, transaction
from django.utils import timezone
from django.utils.crypto import get_random_string

from .models import WorkerProcess

if TYPE_CHECKING:
    from django_tasks.base import Task
    from django_tasks_db.models import DBTaskResult

log = logging.getLogger(__name__)

WORKER_LOST = "stockledger.core.workers.WorkerLost"
# Rows of workers gone this long are removed (kept meanwhile to name a dead worker).
FORGET_AFTER = timedelta(days=1)


class WorkerLost(Exception):
    """The worker running a task stopped (recorded as the task's failure, never raised)."""


@dataclass(frozen=True)
class Lost:
    """One lost task handed to its take-over."""

    args: list[Any]
    kwargs: dict[str, Any]
    reason: str  # why it was taken for lost, for the job's error
    attempt: int  # how many runs of this job were lost so far (this one included)
    give_up: bool  # attempts used up: end the job failed, do not run it again


TakeOver = Callable[[Lost], str]
_TAKEOVERS: dict[str, TakeOver] = {}


def takeover(task: Task[..., Any]) -> Callable[[TakeOver], TakeOver]:
    """Register what to do with `task`'s job when its worker is lost (see the module
    docstring). The function gets a `Lost` and returns what it did (for the log); it runs
    inside the reaper's transaction, so an enqueue there is committed with the task row."""

    def register(fn: TakeOver) -> TakeOver:
        _TAKEOVERS[task.module_path] = fn
        return fn

    return register


def new_worker_id() -> str:
    """A task-worker id unique across machines (at most 64 characters, as db_worker wants)."""
    host = socket.gethostname()[:30]
    return f"{host}-{os.getpid()}-{get_random_string(8)}"


# --- the heartbeat --------------------------------------------------------------------------


def worker_register(worker_id: str) -> WorkerProcess:
    now = timezone.now()
    worker, _ = WorkerProcess.objects.update_or_create(
        worker_id=worker_id,
        defaults={
            "host": socket.gethostname()[:255],
            "pid": os.getpid(),
            "started_at": now,
            "beat_at": now,
        },
    )
    return worker


def worker_beat(worker_id: str) -> None:
    updated = WorkerProcess.objects.filter(worker_id=worker_id).update(beat_at=timezone.now())
    if not updated:  # removed (forgotten after a long pause): record it again
        worker_register(worker_id)


def _beat_loop(worker_id: str, stop: threading.Event) -> None:
    """Beat, then look for lost jobs, every interval (reaping is one small query when no
    task is running)."""
    interval = settings.STOCKLEDGER_WORKER_HEARTBEAT_SECONDS
    try:
        while not stop.wait(interval):
            try:
                close_old_connections()
                worker_beat(worker_id)
                reap_lost_jobs()
            except Exception:
                log.exception("worker heartbeat or reaping failed; trying again in %s s", interval)
        WorkerProcess.objects.filter(worker_id=worker_id).delete()  # a clean stop
    except Exception:
        log.exception("worker %s: its row was not removed", worker_id)
    finally:
        connections.close_all()


def start_heartbeat_thread(worker_id: str) -> threading.Event:
    """Record this worker and beat until the returned event is set (then remove its row)."""
    worker_register(worker_id)
    stop = threading.Event()
    threading.Thread(
        target=_beat_loop, args=(worker_id, stop), name="worker-heartbeat", daemon=True
    ).start()
    return stop


# --- taking over ------------------------------------------------------------------------------


def _lost_reason(task: DBTaskResult[Any, Any], workers: dict[str, datetime], now: datetime) -> str:
    """Why `task` (RUNNING) is lost, or "" when its worker may still be running it."""
    stale = timedelta(seconds=settings.STOCKLEDGER_WORKER_STALE_SECONDS)
    worker_id = task.worker_ids[-1] if task.worker_ids else ""
    beat_at = workers.get(worker_id)
    if beat_at is not None:
        if beat_at >= now - stale:
            return ""
        silent = int((now - beat_at).total_seconds())
        return f"the worker running it stopped (no heartbeat for {silent} s)"
    claimed = timedelta(seconds=settings.STOCKLEDGER_JOB_CLAIM_SECONDS)
    if task.started_at is None or task.started_at >= now - claimed:
        return ""
    held = int((now - task.started_at).total_seconds())
    return f"the worker running it stopped (claimed {held} s ago, no heartbeat)"


def reap_lost_jobs(*, now: datetime | None = None) -> list[str]:
    """Take over (or fail) every job whose worker is lost; return what was done, one line
    per task. Safe to run in every worker at once."""
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    running = list(
        DBTaskResult.objects.filter(status="RUNNING").only(
            "id", "task_path", "args_kwargs", "worker_ids", "started_at"
        )
    )
    if not running:
        return []
    ids = {t.worker_ids[-1] for t in running if t.worker_ids}
    workers = dict(
        WorkerProcess.objects.filter(worker_id__in=ids).values_list("worker_id", "beat_at")
    )
    done = []
    for task in running:
        handler = _handler(task.task_path)
        if handler is None:
            continue
        reason = _lost_reason(task, workers, now)
        if reason:
            outcome = _take_over(task, handler, reason, now)
            if outcome:
                done.append(outcome)
    WorkerProcess.objects.filter(beat_at__lt=now - FORGET_AFTER).delete()
    return done


def _handler(task_path: str) -> TakeOver | None:
    if task_path not in _TAKEOVERS:
        try:
            import_module(task_path.rsplit(".", 1)[0])  # its tasks module registers it
        except ImportError:
            return None
    return _TAKEOVERS.get(task_path)


def _take_over(task: DBTaskResult[Any, Any], handler: TakeOver, reason: str, now: datetime) -> str:
    from django_tasks_db.models import DBTaskResult

    args = task.args_kwargs.get("args", [])
    kwargs = task.args_kwargs.get("kwargs", {})
    with transaction.atomic():
        won = DBTaskResult.objects.filter(id=task.id, status="RUNNING").update(
            status="FAILED",
            finished_at=now,
            exception_class_path=WORKER_LOST,
            traceback=reason,
        )
        if not won:
            return ""  # finished meanwhile, or another worker took it over
        attempt = DBTaskResult.objects.filter(
            task_path=task.task_path, exception_class_path=WORKER_LOST, args_kwargs=task.args_kwargs
        ).count()
        give_up = attempt >= settings.STOCKLEDGER_JOB_MAX_ATTEMPTS
        outcome = handler(Lost(args, kwargs, reason, attempt, give_up))
    line = f"{task.task_path}{tuple(args)}: {reason}; {outcome}"
    log.warning("lost job: %s", line)
    return line


def again_or_failed(lost: Lost) -> str:
    """The sentence a job's error gets: run again (attempt n of m), or given up."""
    limit = settings.STOCKLEDGER_JOB_MAX_ATTEMPTS
    if lost.give_up:
        return f"{lost.reason}; gave up after {lost.attempt} attempt{'s' * (lost.attempt != 1)}"
    return f"{lost.reason}; running it again (attempt {lost.attempt + 1} of {limit})"
