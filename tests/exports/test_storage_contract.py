"""The export storage contract, run against every backend: the local folder, and S3 over
HTTP against moto's standalone S3 server (started on a free port for the session)."""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from stockledger.exports.services import export_create
from stockledger.exports.storage import LocalExportStorage, S3ExportStorage

from .conftest import run


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def s3_server():
    """moto's S3 server in its own process; yields its endpoint URL."""
    binary = Path(sys.executable).with_name("moto_server")
    if not binary.exists():
        found = shutil.which("moto_server")
        if found is None:
            if os.environ.get("CI") == "true":
                pytest.fail("moto_server is not installed (moto[server], a dev dependency)")
            pytest.skip("moto_server is not installed (pip install -e .[dev])")
        binary = Path(found)
    port = _free_port()
    process = subprocess.Popen(
        [str(binary), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    try:
        while True:
            try:
                urllib.request.urlopen(f"{url}/moto-api/", timeout=1)
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("moto_server did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def s3_settings(settings, s3_server, request):
    settings.STOCKLEDGER_S3_BUCKET = (
        f"sl-exports-{request.node.name[:20].lower().replace('_', '-')}"
    )
    settings.STOCKLEDGER_S3_ENDPOINT_URL = s3_server
    settings.STOCKLEDGER_S3_REGION = "us-east-1"
    settings.STOCKLEDGER_S3_ACCESS_KEY_ID = "testing"
    settings.STOCKLEDGER_S3_SECRET_ACCESS_KEY = "testing"
    settings.STOCKLEDGER_S3_PART_SIZE = 5 * 1024 * 1024  # S3's smallest part
    from stockledger.exports.storage import s3_client

    client = s3_client()
    try:
        client.create_bucket(Bucket=settings.STOCKLEDGER_S3_BUCKET)
    except client.exceptions.BucketAlreadyOwnedByYou:
        pass
    return settings


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.integration)])
def storage(request, tmp_path):
    if request.param == "local":
        return LocalExportStorage(tmp_path / "exports")
    request.getfixturevalue("s3_settings")
    return S3ExportStorage(tmp_path / "scratch")


def test_a_published_file_reads_back_whole_and_its_scratch_is_gone(storage):
    storage.scratch_path("export-1-1-a.csv").write_bytes(b"sku,qty\r\nMUG,1\r\n")
    assert not storage.exists("export-1-1-a.csv")
    assert storage.publish("export-1-1-a.csv") == 16
    assert storage.exists("export-1-1-a.csv")
    assert [name for name, _ in storage.scratch_files()] == []
    with storage.open("export-1-1-a.csv") as fh:
        assert fh.read() == b"sku,qty\r\nMUG,1\r\n"


def test_a_large_file_goes_up_in_parts_and_streams_down_in_chunks(storage):
    block = bytes(range(256)) * 4096  # 1 MiB
    with open(storage.scratch_path("export-2-1-big.csv"), "wb") as out:
        for _ in range(12):  # 12 MiB: three 5 MiB parts on S3
            out.write(block)
    assert storage.publish("export-2-1-big.csv") == 12 * len(block)
    chunks = []
    with storage.open("export-2-1-big.csv") as fh:
        while chunk := fh.read(256 * 1024):
            assert len(chunk) <= 256 * 1024
            chunks.append(hashlib.sha256(chunk).digest())
    assert len(chunks) == 48
    assert set(chunks) == {hashlib.sha256(block[: 256 * 1024]).digest()}


def test_files_lists_published_names_and_delete_removes_them(storage):
    for name in ("export-3-1-a.csv", "export-4-1-b.xlsx"):
        storage.scratch_path(name).write_text("x")
        storage.publish(name)
    storage.scratch_path("export-5-1-c.csv").write_text("unpublished")
    listed = dict(storage.files())
    assert sorted(listed) == ["export-3-1-a.csv", "export-4-1-b.xlsx"]
    assert all(0 <= age < 120 for age in listed.values())
    storage.delete("export-3-1-a.csv")
    storage.delete("export-3-1-a.csv")  # already gone: not an error
    assert [name for name, _ in storage.files()] == ["export-4-1-b.xlsx"]
    assert not storage.exists("export-3-1-a.csv")


def test_a_missing_file_is_file_not_found_and_bad_names_are_refused(storage):
    with pytest.raises(FileNotFoundError):
        storage.open("export-9-1-none.csv")
    for bad in ("../secret_key", "a/b.csv", ""):
        with pytest.raises(ValueError):
            storage.open(bad)


@pytest.mark.integration
def test_an_export_job_publishes_to_s3_and_the_api_serves_it(
    api, company, user, warehouses, product_factory, add_rows, s3_settings
):
    s3_settings.STOCKLEDGER_EXPORT_STORAGE = "stockledger.exports.storage.S3ExportStorage"
    widget = product_factory("S3-1")
    add_rows(widget, warehouses[0], 3)
    export = run(export_create(company=company, user=user, product_id=widget.id))
    storage = S3ExportStorage()
    assert storage.exists(export.file_name)
    response = api.get(f"/exports/{export.id}/csv")
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert body.count("\r\n") == 4  # header and three rows
    assert len(body.encode("utf-8")) + 3 == export.file_size
