"""The home folder, the SQLite database and export files are readable by their owner only."""

import os
import stat
import subprocess
import sys

import pytest

# A fresh home on the embedded default (SQLite): the same in either pass, so run in one.
pytestmark = [pytest.mark.engine_independent, pytest.mark.integration]


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_fresh_home_its_database_and_secret_key_are_owner_only(tmp_path):
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(STOCKLEDGER_HOME=str(home), SECRET_KEY="")
    subprocess.run(
        [sys.executable, "-m", "stockledger.cli", "migrate", "-v", "0"],
        env=env,
        check=True,
        timeout=180,
    )
    assert mode(home) == 0o700
    assert mode(home / "stockledger.sqlite3") == 0o600
    assert mode(home / "secret_key") == 0o600


@pytest.mark.django_db
def test_a_finished_export_file_is_owner_only(api, settings, tmp_path):
    from stockledger.exports.runner import export_run

    settings.STOCKLEDGER_EXPORTS_DIR = tmp_path / "exports"
    product = api.post("/products", {"sku": "MUG", "name": "Mug"}).json()
    export = api.post("/exports", {"product_id": product["id"]}).json()
    assert export_run(export_id=export["id"], attempt=1)
    files = [p for p in settings.STOCKLEDGER_EXPORTS_DIR.rglob("*") if p.is_file()]
    assert files, export
    assert {mode(p) for p in files} == {0o600}
