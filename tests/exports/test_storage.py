"""The storage interface: the runner only goes through it, publishing is all or nothing."""

import pytest

from stockledger.exports.services import export_create
from stockledger.exports.storage import LocalExportStorage

from .conftest import run

published = []


class RecordingStorage(LocalExportStorage):
    """What an object-storage backend would be: told when a file is published."""

    def publish(self, name):
        size = super().publish(name)
        published.append((name, size))
        return size


def test_the_storage_setting_swaps_where_files_go(
    api, company, user, warehouses, product_factory, add_rows, settings
):
    settings.STOCKLEDGER_EXPORT_STORAGE = "tests.exports.test_storage.RecordingStorage"
    published.clear()
    widget = product_factory("ST-1")
    add_rows(widget, warehouses[0], 2)
    export = run(export_create(company=company, user=user, product_id=widget.id))
    assert published == [(export.file_name, export.file_size)]
    assert api.get(f"/exports/{export.id}/csv").status_code == 200


def test_a_file_is_invisible_until_published_and_names_cannot_escape(tmp_path):
    storage = LocalExportStorage(tmp_path)
    storage.scratch_path("export-1-1-a.csv").write_text("rows")
    assert not storage.exists("export-1-1-a.csv")
    assert storage.publish("export-1-1-a.csv") == 4
    assert storage.exists("export-1-1-a.csv")
    assert list((tmp_path / ".partial").iterdir()) == []
    assert storage.open("export-1-1-a.csv").read() == b"rows"
    for bad in ("../secret_key", ".partial", "a/b.csv", ""):
        with pytest.raises(ValueError):
            storage.open(bad)
