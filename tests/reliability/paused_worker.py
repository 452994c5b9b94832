"""`stockledger worker` that stops dead at one point of an export, for the SIGKILL tests.

    python -m tests.reliability.paused_worker POINT MARKER_DIR

POINT is one of: before-claim (the task started, the export not yet claimed), before-write
(claimed and running, no row written), after-publish (the file published under its final
name, the export not yet marked complete), after-complete (marked complete). On reaching
it the worker writes MARKER_DIR/<POINT> with the export id and waits to be killed.
Run with the settings of tests/exports/worker_settings.py (the test database).
"""

import sys
import threading
from pathlib import Path

import django

POINTS = ("before-claim", "before-write", "after-publish", "after-complete")


def main() -> None:
    point, marker_dir = sys.argv[1], Path(sys.argv[2])
    assert point in POINTS, point
    django.setup()

    from django.core.management import call_command

    from stockledger.exports import runner, tasks
    from stockledger.exports.storage import LocalExportStorage

    current: dict[str, int] = {}

    def stop_here(here: str) -> None:
        if here == point:
            (marker_dir / point).write_text(str(current.get("export_id", "")))
            threading.Event().wait()  # until SIGKILL

    export_run, write_export_file = tasks.export_run, runner.write_export_file
    publish, cleanup = LocalExportStorage.publish, tasks.cleanup_exports_now_and_then

    def paused_export_run(*, export_id, attempt, **kwargs):
        current["export_id"] = export_id
        stop_here("before-claim")
        return export_run(export_id=export_id, attempt=attempt, **kwargs)

    def paused_write(*args, **kwargs):
        stop_here("before-write")
        return write_export_file(*args, **kwargs)

    def paused_publish(self, name):
        size = publish(self, name)
        stop_here("after-publish")
        return size

    def paused_cleanup(*args, **kwargs):
        stop_here("after-complete")
        return cleanup(*args, **kwargs)

    tasks.export_run = paused_export_run
    runner.write_export_file = paused_write
    LocalExportStorage.publish = paused_publish
    tasks.cleanup_exports_now_and_then = paused_cleanup
    call_command("worker", "--interval", "0.1")


if __name__ == "__main__":
    main()
