"""Run the channel jobs a test enqueued, as the worker would (no worker process needed)."""

from __future__ import annotations

TASK_PATH = "stockledger.channels.tasks.run_channel_sync"


def run_channel_jobs(*, limit: int = 100) -> list[str]:
    """Run every ready channel task (in enqueue order, deferred ones included) until none is
    left or `limit` ran; return their results."""
    from django_tasks_db.models import DBTaskResult

    from stockledger.channels.tasks import run_channel_sync

    results = []
    for _ in range(limit):
        task = (
            DBTaskResult.objects.filter(task_path=TASK_PATH, status="READY")
            .order_by("enqueued_at")
            .first()
        )
        if task is None:
            break
        task.claim("test")
        try:
            value = run_channel_sync.call(*task.args_kwargs["args"], **task.args_kwargs["kwargs"])
        except BaseException as exc:
            task.set_failed(exc)
            raise
        task.set_successful(value)
        results.append(value)
    return results
