"""Fixtures of import tests: a private imports folder, files written as Excel would."""

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from stockledger.imports.models import Import
from stockledger.imports.services import import_confirm, import_upload
from stockledger.imports.tasks import apply_import


@pytest.fixture(autouse=True)
def imports_dir(settings, tmp_path):
    settings.STOCKLEDGER_IMPORTS_DIR = tmp_path / "imports"
    return settings.STOCKLEDGER_IMPORTS_DIR


def csv_file(rows, *, name="file.csv", delimiter=",", bom=False, newline="\r\n"):
    text = newline.join(delimiter.join(str(c) for c in row) for row in rows) + newline
    data = (b"\xef\xbb\xbf" if bom else b"") + text.encode()
    return SimpleUploadedFile(name, data, content_type="text/csv")


def xlsx_file(rows, *, name="file.xlsx"):
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile(name, out.getvalue())


@pytest.fixture
def upload(company, user):
    def make(kind, file, **kwargs):
        return import_upload(company=company, user=user, kind=kind, upload=file, **kwargs)

    return make


def run_apply(job: Import) -> Import:
    """Run the apply task's body here and now; return the import as it ended."""
    apply_import.call(job.id)
    job.refresh_from_db()
    return job


@pytest.fixture
def confirm_and_run(company, user):
    def go(job, **kwargs):
        import_confirm(company=company, user=user, import_id=job.id, **kwargs)
        return run_apply(job)

    return go
