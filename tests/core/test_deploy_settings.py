import os
import secrets
import subprocess
import sys

import pytest

# `check --deploy` on the embedded default (no DATABASE_URL): run in the SQLite pass only.
pytestmark = [pytest.mark.engine_independent, pytest.mark.integration]


def test_production_settings_pass_the_deploy_check_with_no_warnings(tmp_path):
    env = dict(os.environ)
    env.update(
        STOCKLEDGER_HOME=str(tmp_path),
        DEBUG="false",
        STOCKLEDGER_HTTPS="true",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="stock.example.com",
    )
    env.pop("DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-m", "stockledger.cli", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
