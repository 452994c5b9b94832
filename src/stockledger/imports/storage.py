"""Uploaded files and progress notes, in STOCKLEDGER_IMPORTS_DIR, readable by the owner only."""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

from django.conf import settings

from stockledger.core.errors import InvalidInput


def imports_dir() -> Path:
    root = Path(settings.STOCKLEDGER_IMPORTS_DIR)
    root.mkdir(parents=True, exist_ok=True)
    os.chmod(root, 0o700)
    return root


def save_upload(upload, *, extension: str) -> tuple[str, str, int]:
    """Copy an uploaded file (Django UploadedFile or a binary file) into the imports folder,
    owner-only; return (file name, SHA-256, size). Refuses a file above the size cap."""
    limit = int(settings.STOCKLEDGER_IMPORT_MAX_BYTES)
    name = f"import-{secrets.token_hex(12)}.{extension}"
    path = imports_dir() / name
    digest = hashlib.sha256()
    size = 0
    chunks = (
        upload.chunks() if hasattr(upload, "chunks") else iter(lambda: upload.read(1 << 20), b"")
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                size += len(chunk)
                if size > limit:
                    raise InvalidInput(
                        f"the file is larger than the limit of {limit // (1024 * 1024)} MB",
                        field="file",
                    )
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    if size == 0:
        path.unlink(missing_ok=True)
        raise InvalidInput("the file is empty", field="file")
    return name, digest.hexdigest(), size


def file_path(name: str) -> Path:
    return imports_dir() / name


# Progress of a running apply: it runs in one long transaction, so it cannot be written to
# the database where the pages would see it before the end (SQLite has one writer). A small
# file beside the upload carries it instead.


def _progress_path(import_id: int) -> Path:
    return imports_dir() / f"progress-{import_id}"


def write_progress(import_id: int, rows: int) -> None:
    path = _progress_path(import_id)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(str(rows))
    os.replace(tmp, path)


def read_progress(import_id: int) -> int | None:
    try:
        return int(_progress_path(import_id).read_text() or 0)
    except (OSError, ValueError):
        return None


def clear_progress(import_id: int) -> None:
    _progress_path(import_id).unlink(missing_ok=True)
