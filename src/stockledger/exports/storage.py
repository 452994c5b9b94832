"""Where export files live, behind a small interface so object storage can replace the disk.

A writer fills a local *scratch* file; `publish` then makes it visible under its final name
in one step (a rename on the local disk; an upload would be equally all-or-nothing). Only
published names are ever served, so an interrupted export leaves nothing downloadable.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import time
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import BinaryIO, cast

from django.conf import settings
from django.utils.module_loading import import_string

WORKDIR_SUFFIX = ".work"
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")


def _check_name(name: str) -> str:
    if not _SAFE_NAME.match(name):
        raise ValueError(f"not a valid export file name: {name!r}")
    return name


class ExportStorage:
    """The interface. Names are flat (no folders) and chosen by the export runner."""

    def scratch_path(self, name: str) -> Path:
        """A local path to write the file being built; nothing reads it until published."""
        raise NotImplementedError

    def scratch_workdir(self, name: str) -> Path:
        """A local folder for a writer's own temporary files while it builds `name`."""
        raise NotImplementedError

    def discard_scratch(self, name: str) -> None:
        """Remove the scratch file `name` and its work folder, if any."""
        raise NotImplementedError

    def scratch_files(self) -> Iterator[tuple[str, float]]:
        """(name, age in seconds) of scratch files and work folders on this machine."""
        raise NotImplementedError

    def publish(self, name: str) -> int:
        """Make the scratch file `name` visible as the file `name`, atomically; return its
        size in bytes. The scratch file is gone afterwards."""
        raise NotImplementedError

    def open(self, name: str) -> BinaryIO:
        raise NotImplementedError

    def exists(self, name: str) -> bool:
        raise NotImplementedError

    def delete(self, name: str) -> None:
        """Remove a published file; a missing one is not an error."""
        raise NotImplementedError

    def files(self) -> Iterator[tuple[str, float]]:
        """(name, age in seconds) of the published files."""
        raise NotImplementedError


class LocalExportStorage(ExportStorage):
    """Files under STOCKLEDGER_EXPORTS_DIR; scratch files in its `.partial` folder, on the same
    file system so publishing is an atomic `os.replace`."""

    def __init__(self, root: Path | str | None = None) -> None:
        self.root = Path(root or settings.STOCKLEDGER_EXPORTS_DIR)
        self.scratch_root = self.root / ".partial"

    def _ensure(self) -> None:
        self.scratch_root.mkdir(parents=True, exist_ok=True)

    def scratch_path(self, name: str) -> Path:
        self._ensure()
        return self.scratch_root / _check_name(name)

    def scratch_workdir(self, name: str) -> Path:
        folder = self.scratch_path(name + WORKDIR_SUFFIX)
        folder.mkdir(exist_ok=True)
        return folder

    def discard_scratch(self, name: str) -> None:
        (self.scratch_root / _check_name(name)).unlink(missing_ok=True)
        shutil.rmtree(self.scratch_root / (name + WORKDIR_SUFFIX), ignore_errors=True)

    def scratch_files(self) -> Iterator[tuple[str, float]]:
        for name, age in _listing(self.scratch_root, folders=True):
            yield name.removesuffix(WORKDIR_SUFFIX), age

    def publish(self, name: str) -> int:
        scratch = self.scratch_path(name)
        with open(scratch, "rb") as fh:
            os.fsync(fh.fileno())  # the bytes are on disk before the name points at them
        size = scratch.stat().st_size
        os.replace(scratch, self.root / name)
        _fsync_dir(self.root)
        return size

    def open(self, name: str) -> BinaryIO:
        return open(self.root / _check_name(name), "rb")

    def exists(self, name: str) -> bool:
        return (self.root / _check_name(name)).is_file()

    def delete(self, name: str) -> None:
        (self.root / _check_name(name)).unlink(missing_ok=True)

    def files(self) -> Iterator[tuple[str, float]]:
        yield from _listing(self.root)


def _listing(folder: Path, *, folders: bool = False) -> Iterator[tuple[str, float]]:
    now = time.time()
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return
    for entry in entries:
        if (entry.is_file() or (folders and entry.is_dir())) and _SAFE_NAME.match(entry.name):
            try:
                yield entry.name, now - entry.stat().st_mtime
            except FileNotFoundError:
                continue


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@cache
def _storage_for(path: str, root: str, *where: str) -> ExportStorage:
    return import_string(path)()


def export_storage() -> ExportStorage:
    """The configured storage (STOCKLEDGER_EXPORT_STORAGE), one per configuration."""
    return _storage_for(
        settings.STOCKLEDGER_EXPORT_STORAGE,
        str(settings.STOCKLEDGER_EXPORTS_DIR),
        getattr(settings, "STOCKLEDGER_S3_BUCKET", ""),
        getattr(settings, "STOCKLEDGER_S3_ENDPOINT_URL", ""),
    )


class S3ExportStorage(LocalExportStorage):
    """Published files in an S3-compatible bucket, reached by every machine that runs a
    worker or the web server; scratch files stay on the local disk (as LocalExportStorage).

    Settings: STOCKLEDGER_S3_BUCKET, STOCKLEDGER_S3_PREFIX (default `exports/`),
    STOCKLEDGER_S3_ENDPOINT_URL (MinIO, Ceph, R2, ...; empty for AWS),
    STOCKLEDGER_S3_REGION, and credentials from STOCKLEDGER_S3_ACCESS_KEY_ID /
    STOCKLEDGER_S3_SECRET_ACCESS_KEY or boto3's own chain (AWS_* variables, profiles,
    instance roles). `publish` streams the scratch file up in parts (multipart above
    STOCKLEDGER_S3_PART_SIZE bytes): the object appears only when the upload completes, so a
    half-uploaded file is never served. `open` streams the object down; nothing is held in
    memory whole.
    """

    def __init__(
        self,
        root: Path | str | None = None,
        *,
        bucket: str | None = None,
        prefix: str | None = None,
        client=None,
    ) -> None:
        super().__init__(root)
        self.bucket = bucket or settings.STOCKLEDGER_S3_BUCKET
        if not self.bucket:
            raise ValueError("STOCKLEDGER_S3_BUCKET must be set to store exports in S3")
        self.prefix = settings.STOCKLEDGER_S3_PREFIX if prefix is None else prefix
        self.client = client or s3_client()
        from boto3.s3.transfer import TransferConfig

        part = int(settings.STOCKLEDGER_S3_PART_SIZE)
        self.transfer = TransferConfig(multipart_threshold=part, multipart_chunksize=part)

    def _key(self, name: str) -> str:
        return self.prefix + _check_name(name)

    def publish(self, name: str) -> int:
        scratch = self.scratch_path(name)
        size = scratch.stat().st_size
        self.client.upload_file(str(scratch), self.bucket, self._key(name), Config=self.transfer)
        self.discard_scratch(name)
        return size

    def open(self, name: str) -> BinaryIO:
        from botocore.exceptions import ClientError

        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self._key(name))
        except ClientError as exc:
            if _not_found(exc):
                raise FileNotFoundError(name) from None
            raise
        return cast(BinaryIO, _S3Download(response["Body"], response.get("ContentLength")))

    def exists(self, name: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(name))
        except ClientError as exc:
            if _not_found(exc):
                return False
            raise
        return True

    def delete(self, name: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(name))

    def files(self) -> Iterator[tuple[str, float]]:
        now = time.time()
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix
        )
        for page in pages:
            for item in page.get("Contents", ()):
                name = item["Key"][len(self.prefix) :]
                if _SAFE_NAME.match(name):
                    yield name, now - item["LastModified"].timestamp()


def s3_client():
    """A boto3 S3 client from the STOCKLEDGER_S3_* settings."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=settings.STOCKLEDGER_S3_ENDPOINT_URL or None,
        region_name=settings.STOCKLEDGER_S3_REGION or None,
        aws_access_key_id=settings.STOCKLEDGER_S3_ACCESS_KEY_ID or None,
        aws_secret_access_key=settings.STOCKLEDGER_S3_SECRET_ACCESS_KEY or None,
        config=Config(retries={"max_attempts": 5, "mode": "standard"}),
    )


def _not_found(exc) -> bool:
    error = exc.response.get("Error", {})
    return str(error.get("Code")) in ("404", "NoSuchKey", "NotFound")


class _S3Download(io.RawIOBase):
    """A read-only file over an object's streamed body (what FileResponse reads from)."""

    def __init__(self, body, size: int | None) -> None:
        self.body = body
        self.size = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.body.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self.body.close()
        super().close()
