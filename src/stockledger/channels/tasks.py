"""Background tasks of sales channels (django-tasks; run by `stockledger worker`)."""

from django_tasks import task

from stockledger.core.workers import Lost, takeover

from .jobs import Deferred, defer, run_sync, sync_take_over


@task()
def run_channel_sync(sync_id: int) -> str:
    """Run queued channel run `sync_id` (jobs.run_sync); a run that cannot start yet goes
    back to the queue for a few seconds."""
    try:
        return run_sync(sync_id)
    except Deferred as exc:
        defer(sync_id)
        return f"deferred: {exc}"


@takeover(run_channel_sync)
def _lost_channel_sync(lost: Lost) -> str:
    return sync_take_over(sync_id=lost.args[0], lost=lost)
