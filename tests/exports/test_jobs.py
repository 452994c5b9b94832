"""The job's life: enqueued with its record, run once per attempt, failed or reaped without
ever leaving a partial file to download."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from stockledger.exports import runner, tasks
from stockledger.exports.models import Export
from stockledger.exports.services import _export_enqueue_in_transaction, export_create
from stockledger.exports.tasks import (
    WorkerLost,
    give_back_or_fail,
    looks_stale,
    reap_stale_exports,
    run_export,
)

from .conftest import read_csv, run


@pytest.fixture
def widget(company, warehouses, product_factory, add_rows):
    product = product_factory("JOB-1")
    add_rows(product, warehouses[0], 3)
    return product


def files_in(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_a_failed_enqueue_leaves_no_export_behind(company, user, widget, monkeypatch):
    def refuse(self, task, args, kwargs):
        raise RuntimeError("queue unavailable")

    monkeypatch.setattr(DatabaseBackend, "enqueue", refuse)
    with pytest.raises(RuntimeError):
        export_create(company=company, user=user, product_id=widget.id)
    assert not Export.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_task_row_is_written_in_the_exports_transaction(
    company, user, widget, django_db_blocker
):
    """Another connection sees neither the export nor its task until the commit, then both;
    a rollback takes both away."""
    seen = []

    def look():
        seen.append((Export.objects.count(), DBTaskResult.objects.count()))
        connection.close()

    def look_from_another_connection():
        thread = threading.Thread(target=look)
        thread.start()
        thread.join()

    params = {
        "company": company,
        "user": user,
        "kind": "product",
        "format": "csv",
        "product": widget,
        "download_name": "x.csv",
    }
    from stockledger.exports.parameters import ExportParameters

    params["parameters"] = ExportParameters(product_id=widget.id)
    with transaction.atomic():
        export = _export_enqueue_in_transaction.__wrapped__(**params)
        look_from_another_connection()
        assert DBTaskResult.objects.filter(id=export.task_id).exists()
    look_from_another_connection()
    with pytest.raises(RuntimeError), transaction.atomic():
        _export_enqueue_in_transaction.__wrapped__(**params)
        raise RuntimeError("the request failed after enqueueing")
    look_from_another_connection()
    assert seen == [(0, 0), (1, 1), (1, 1)]


def test_an_error_fails_the_export_with_its_message_and_leaves_no_file(
    company, user, widget, monkeypatch, exports_dir
):
    def explode(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(runner, "write_log_csv", explode)
    export = export_create(company=company, user=user, product_id=widget.id)
    with pytest.raises(OSError):
        run(export)
    export.refresh_from_db()
    assert export.status == "failed" and export.error == "OSError: disk full"
    assert export.finished_at is not None and export.file_name == ""
    assert files_in(exports_dir) == []


def test_a_failure_half_way_through_leaves_no_partial_file(
    company, user, widget, monkeypatch, exports_dir, add_rows, warehouses
):
    add_rows(widget, warehouses[0], 2500)
    real = runner.write_log_csv

    def write_then_die(out, rows, **kwargs):
        def dying():
            for n, row in enumerate(rows):
                if n == 2100:
                    assert (exports_dir / ".partial").iterdir()  # the scratch file exists
                    raise ValueError("cursor lost")
                yield row

        return real(out, dying(), **kwargs)

    monkeypatch.setattr(runner, "write_log_csv", write_then_die)
    export = export_create(company=company, user=user, product_id=widget.id)
    with pytest.raises(ValueError):
        run(export)
    export.refresh_from_db()
    assert (export.status, export.error) == ("failed", "ValueError: cursor lost")
    assert files_in(exports_dir) == []


def test_a_task_runs_its_attempt_once(company, user, widget, storage):
    export = run(export_create(company=company, user=user, product_id=widget.id))
    assert export.status == "complete"
    assert run_export.call(export.id, 1) == "skipped"
    assert run_export.call(export.id, 2) == "skipped"
    assert run_export.call(10**9, 1) == "skipped"
    assert files_in(storage.root) == [export.file_name]


def test_an_attempt_the_reaper_replaced_throws_its_file_away(
    company, user, widget, monkeypatch, storage
):
    """A worker that went silent but was not dead finishes after the reaper queued the
    export again: its file is discarded and the new attempt's file is the one served."""
    real = runner.write_export_file

    def write_while_reaped(export, path, **kwargs):
        rows = real(export, path, **kwargs)
        give_back_or_fail(Export.objects.get(pk=export.pk), reason="no heartbeat")
        return rows

    monkeypatch.setattr(runner, "write_export_file", write_while_reaped)
    export = export_create(company=company, user=user, product_id=widget.id)
    assert run_export.call(export.id, 1) == "superseded"
    export.refresh_from_db()
    assert (export.status, export.attempts) == ("queued", 1)
    assert "running it again (attempt 2 of 3)" in export.error
    assert files_in(storage.root) == []

    monkeypatch.setattr(runner, "write_export_file", real)
    export = run(export, attempt=2)
    assert (export.status, export.attempts, export.error) == ("complete", 2, "")
    assert files_in(storage.root) == [export.file_name]
    assert len(read_csv(storage, export)[1]) == 3


def make_stale(export, *, attempt=1, seconds=120, task_status="RUNNING"):
    """What a worker killed mid-export leaves: running, silent, its task row RUNNING."""
    past = timezone.now() - timedelta(seconds=seconds)
    Export.objects.filter(pk=export.pk).update(
        status="running", attempts=attempt, heartbeat_at=past, started_at=past
    )
    DBTaskResult.objects.filter(id=export.task_id).update(status=task_status, started_at=past)
    export.refresh_from_db()
    return export


def test_a_silent_export_is_queued_again_until_its_attempts_are_used_up(
    company, user, widget, settings
):
    settings.STOCKLEDGER_EXPORT_MAX_ATTEMPTS = 2
    export = make_stale(export_create(company=company, user=user, product_id=widget.id))
    first_task = export.task_id

    assert reap_stale_exports() == [export.id]
    export.refresh_from_db()
    assert (export.status, export.attempts) == ("queued", 1)
    assert export.error.startswith("the worker running this export stopped (no heartbeat for 1")
    assert export.task_id != first_task
    assert DBTaskResult.objects.get(id=first_task).status == "FAILED"
    new_task = DBTaskResult.objects.get(id=export.task_id)
    assert (new_task.status, new_task.args_kwargs["args"]) == ("READY", [export.id, 2])
    assert reap_stale_exports() == []  # queued and waiting for a worker: not stale

    export = make_stale(export, attempt=2)
    assert reap_stale_exports() == [export.id]
    export.refresh_from_db()
    assert export.status == "failed" and export.finished_at is not None
    assert export.error.endswith("gave up after 2 attempts")
    assert DBTaskResult.objects.get(id=new_task.id).status == "FAILED"


def test_the_task_row_of_a_lost_worker_names_an_error_class_that_exists(company, user, widget):
    export = make_stale(export_create(company=company, user=user, product_id=widget.id))
    lost_task = export.task_id
    assert reap_stale_exports() == [export.id]
    error = DBTaskResult.objects.get(id=lost_task).task_result.errors[0]
    assert error.exception_class is WorkerLost
    assert error.traceback.startswith("the worker running this export stopped")


def test_a_fresh_heartbeat_is_left_alone(company, user, widget):
    export = make_stale(export_create(company=company, user=user, product_id=widget.id), seconds=5)
    assert reap_stale_exports() == []
    export.refresh_from_db()
    assert export.status == "running"


def test_reaping_removes_the_dead_attempts_scratch_and_unrecorded_file(
    company, user, widget, storage, exports_dir
):
    export = export_create(company=company, user=user, product_id=widget.id)
    Export.objects.filter(pk=export.pk).update(file_name="export-1-1-dead.csv")
    export = make_stale(export)
    storage.scratch_path("export-1-1-dead.csv").write_text("half a file")
    storage.scratch_workdir("export-1-1-dead.csv")
    (exports_dir / "export-1-1-dead.csv").write_text("published, never recorded")
    reap_stale_exports()
    assert files_in(exports_dir) == []
    assert list((exports_dir / ".partial").iterdir()) == []


def test_an_export_whose_worker_died_before_starting_it_is_queued_again(
    company, user, widget, settings
):
    export = export_create(company=company, user=user, product_id=widget.id)
    old = timezone.now() - timedelta(minutes=5)
    Export.objects.filter(pk=export.pk).update(created_at=old)
    DBTaskResult.objects.filter(id=export.task_id).update(status="RUNNING", started_at=old)
    assert reap_stale_exports() == [export.id]
    export.refresh_from_db()
    assert (export.status, export.attempts) == ("queued", 1)
    assert DBTaskResult.objects.get(id=export.task_id).args_kwargs["args"] == [export.id, 2]
    assert run(export, attempt=2).status == "complete"


def test_listing_exports_settles_a_dead_workers_export(api, company, user, widget, settings):
    settings.STOCKLEDGER_EXPORT_MAX_ATTEMPTS = 1
    export = make_stale(export_create(company=company, user=user, product_id=widget.id))
    item = api.get("/exports").json()["items"][0]
    assert item["status"] == "failed" and "no heartbeat" in item["error"]
    other = make_stale(export_create(company=company, user=user, product_id=widget.id))
    data = api.get(f"/exports/{other.id}").json()
    assert data["status"] == "failed" and data["attempts"] == 1
    assert export.id != other.id


def test_polling_a_live_export_reads_its_row_and_nothing_else(api, company, user, widget):
    """A client polling every few milliseconds costs one query on the exports (its row and
    requester together) and no reaping, whether the export waits or runs."""
    export = export_create(company=company, user=user, product_id=widget.id)
    api.get(f"/exports/{export.id}")  # the token's first use
    for status in ("queued", "running"):
        now = timezone.now()
        Export.objects.filter(pk=export.pk).update(status=status, heartbeat_at=now)
        with CaptureQueriesContext(connection) as captured:
            data = api.get(f"/exports/{export.id}").json()
        assert data["status"] == status and data["requested_by"] == user.get_username()
        sql = [q["sql"] for q in captured.captured_queries]
        assert [q for q in sql if Export._meta.db_table in q] == sql[-1:], sql
        assert not [q for q in sql if DBTaskResult._meta.db_table in q], sql


def test_an_export_looks_stale_from_its_own_row(company, user, widget, settings):
    settings.STOCKLEDGER_EXPORT_STALE_SECONDS = 30
    export = export_create(company=company, user=user, product_id=widget.id)
    now = timezone.now()
    assert not looks_stale(export, now=now)
    assert looks_stale(export, now=now + timedelta(seconds=31))  # queued, never picked up
    export = make_stale(export, seconds=31)
    assert looks_stale(export)
    export.heartbeat_at = timezone.now()
    assert not looks_stale(export)
    export.status = "complete"
    assert not looks_stale(export, now=now + timedelta(days=1))


def test_a_task_reaps_first_unless_this_process_reaped_lately(
    company, user, widget, settings, monkeypatch
):
    """A worker's maintenance thread reaps every STOCKLEDGER_EXPORT_MAINTENANCE_SECONDS; a
    task reaps before it runs only when nothing in its process has reaped for that long."""
    settings.STOCKLEDGER_EXPORT_MAX_ATTEMPTS = 1
    settings.STOCKLEDGER_EXPORT_MAINTENANCE_SECONDS = 10
    reap_stale_exports()  # as the maintenance thread does: the next task leaves it be
    dead = make_stale(export_create(company=company, user=user, product_id=widget.id))
    assert run(export_create(company=company, user=user, product_id=widget.id)).status == (
        "complete"
    )
    dead.refresh_from_db()
    assert dead.status == "running"

    monkeypatch.setitem(tasks._last_reap, "at", float("-inf"))  # nothing reaped for long
    assert run(export_create(company=company, user=user, product_id=widget.id)).status == (
        "complete"
    )
    dead.refresh_from_db()
    assert dead.status == "failed" and "no heartbeat" in dead.error


def test_a_worker_stopped_mid_export_hands_it_back(company, user, widget, monkeypatch, exports_dir):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "write_log_csv", interrupted)
    export = export_create(company=company, user=user, product_id=widget.id)
    with pytest.raises(KeyboardInterrupt):
        run_export.call(export.id, 1)
    export.refresh_from_db()
    assert (export.status, export.attempts) == ("queued", 1)
    assert export.error.startswith("the worker was stopped during the export")
    assert files_in(exports_dir) == []
