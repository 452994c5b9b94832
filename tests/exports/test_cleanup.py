"""Retention: old export files are removed and their exports marked expired."""

import os
import time
from datetime import timedelta

from django.core.management import call_command
from django.utils import timezone

from stockledger.exports.cleanup import cleanup_exports
from stockledger.exports.models import Export
from stockledger.exports.services import export_create

from .conftest import run


def age(path, seconds):
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_exports_past_retention_lose_their_file_and_show_expired(
    api, company, user, warehouses, product_factory, add_rows, storage, settings
):
    widget = product_factory("OLD-1")
    add_rows(widget, warehouses[0], 2)
    old = run(export_create(company=company, user=user, product_id=widget.id))
    recent = run(export_create(company=company, user=user, product_id=widget.id))
    Export.objects.filter(pk=old.pk).update(finished_at=timezone.now() - timedelta(days=8))
    Export.objects.filter(pk=recent.pk).update(finished_at=timezone.now() - timedelta(days=6))

    result = cleanup_exports()

    assert result.expired == 1
    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.status == "expired" and old.expired_at is not None
    assert not (storage.root / old.file_name).exists()
    assert recent.status == "complete" and (storage.root / recent.file_name).exists()
    assert api.get(f"/exports/{old.id}/csv").status_code == 409
    assert api.get(f"/exports/{recent.id}/csv").status_code == 200

    settings.STOCKLEDGER_EXPORT_RETENTION_DAYS = 5
    assert cleanup_exports().expired == 1
    assert cleanup_exports(retention_days=0).expired == 0  # 0 keeps files forever


def test_cleanup_removes_orphans_and_dead_scratch_but_not_live_files(
    company, user, warehouses, product_factory, add_rows, storage
):
    widget = product_factory("ORPH")
    add_rows(widget, warehouses[0], 1)
    live = run(export_create(company=company, user=user, product_id=widget.id))
    age(storage.root / live.file_name, 3 * 3600)
    orphan = storage.root / "export-99-1-orphan.csv"
    orphan.write_text("nobody's")
    age(orphan, 2 * 3600)
    fresh_orphan = storage.root / "export-98-1-fresh.csv"
    fresh_orphan.write_text("just published, not yet recorded")
    dead_scratch = storage.scratch_path("export-97-1-dead.xlsx")
    dead_scratch.write_text("half")
    workdir = storage.scratch_workdir("export-97-1-dead.xlsx")
    age(dead_scratch, 600)
    age(workdir, 600)
    running = export_create(company=company, user=user, product_id=widget.id)
    Export.objects.filter(pk=running.pk).update(status="running", file_name="export-5-1-live.csv")
    live_scratch = storage.scratch_path("export-5-1-live.csv")
    live_scratch.write_text("being written")
    age(live_scratch, 600)

    result = cleanup_exports()

    assert (result.expired, result.orphan_files, result.scratch_files) == (0, 1, 2)
    assert (storage.root / live.file_name).exists() and fresh_orphan.exists()
    assert not orphan.exists() and not dead_scratch.exists() and not workdir.exists()
    assert live_scratch.exists()


def test_the_cleanup_command_reports_what_it_removed(
    company, user, warehouses, product_factory, add_rows, storage, capsys
):
    widget = product_factory("CMD-1")
    add_rows(widget, warehouses[0], 1)
    export = run(export_create(company=company, user=user, product_id=widget.id))
    Export.objects.filter(pk=export.pk).update(finished_at=timezone.now() - timedelta(days=3))
    call_command("cleanup_exports", days=2)
    assert capsys.readouterr().out.startswith("expired 1 exports, removed 0 orphan files")
    assert not (storage.root / export.file_name).exists()
