"""Marking channels whose quantities may have changed: the ledger's half of event-driven
writeback.

Every stock change calls `channels_mark_dirty` inside its own transaction (after the
products are locked). It is one UPDATE of a small row per automatically synced channel of the
company, and only of rows not already dirty, so a busy company's writers mostly match nothing
and take no row lock. No network I/O happens here: the worker's scheduler picks dirty
channels up (scheduler.py) and enqueues a writeback of the changed quantities.
"""

from __future__ import annotations

from django.db import connection
from django.utils import timezone

from .models import ChannelSyncState


def channels_mark_dirty(*, company_id: int) -> None:
    """Mark the company's automatically written channels as having pending changes (call
    inside the transaction that changes stock or writeback settings)."""
    table = connection.ops.quote_name(ChannelSyncState._meta.db_table)
    now = ChannelSyncState._meta.get_field("dirty_since").get_db_prep_save(
        timezone.now(), connection
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET dirty_since = %s "  # noqa: S608 - a model's table name
            "WHERE company_id = %s AND auto_writeback AND dirty_since IS NULL",
            [now, company_id],
        )


def channel_mark_dirty(*, channel_id: int) -> None:
    """Mark one channel (its settings or rules changed what it should show)."""
    ChannelSyncState.objects.filter(
        channel_id=channel_id, auto_writeback=True, dirty_since__isnull=True
    ).update(dirty_since=timezone.now())
