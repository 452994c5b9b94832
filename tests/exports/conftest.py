"""Fixtures for export tests: a private exports folder, log rows in bulk, running a job."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from stockledger.exports.models import Export
from stockledger.exports.storage import LocalExportStorage
from stockledger.exports.tasks import run_export
from stockledger.ledger.services import LogLine, ledger_record, write_transaction

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def exports_dir(settings, tmp_path):
    """Each test publishes into its own folder; heartbeats stay off the test's transaction
    (a direct run finishes long before the first beat)."""
    settings.STOCKLEDGER_EXPORTS_DIR = tmp_path / "exports"
    settings.STOCKLEDGER_EXPORT_HEARTBEAT_SECONDS = 60
    settings.STOCKLEDGER_EXPORT_THROTTLE_SECONDS = 0
    return settings.STOCKLEDGER_EXPORTS_DIR


@pytest.fixture
def storage(exports_dir):
    return LocalExportStorage(exports_dir)


@write_transaction
def _record(company, event_type, lines):
    return ledger_record(company=company, event_type=event_type, lines=lines)


@pytest.fixture
def add_rows(company):
    """Append `n` on_hand rows (`change` each, +1 by default) for a product, created `step` apart from `start`,
    through the ledger in one transaction per 2,000 rows; returns the rows."""

    def add(
        product, warehouse, n=1, *, start=T0, step=timedelta(minutes=1), change=1, note="", **fields
    ):
        written = []
        for first in range(0, n, 2000):
            lines = [
                LogLine(
                    product=product,
                    warehouse=warehouse,
                    physical_change=change,
                    quantity=change,
                    fields={"created_at": start + step * i, "note": note, **fields},
                )
                for i in range(first, min(n, first + 2000))
            ]
            written += _record(company, "on_hand", lines)
        return written

    return add


def run(export: Export, attempt: int = 1) -> Export:
    """Run the export's task body here and now; return the export as it ended."""
    run_export.call(export.id, attempt)
    export.refresh_from_db()
    return export


def read_csv(storage: LocalExportStorage, export: Export) -> tuple[str, list[dict]]:
    """The published file's text (BOM stripped, checked) and its rows."""
    raw = (storage.root / export.file_name).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw[3:].decode("utf-8")
    return text, list(csv.DictReader(io.StringIO(text, newline="")))
