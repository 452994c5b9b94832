"""TypeScript types generated from docs/openapi.json by openapi-typescript type-check the code an
integrator writes (tests/clients/typescript/api_usage.ts: products list, on-hand adjust, log
page, export create, each with the mistakes the types must refuse). `make typescript-check`
does the work; it needs npm (mandatory under CI, a loud skip elsewhere)."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TS = ROOT / "tests" / "clients" / "typescript"

pytestmark = [
    pytest.mark.engine_independent,
    pytest.mark.integration,
]  # the committed schema, no database


def _needs(condition: bool, message: str) -> None:
    if not condition:
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


def test_the_typescript_types_of_the_schema_check_an_integrators_code(tmp_path):
    _needs(shutil.which("npm") is not None, "TypeScript check skipped: npm is not installed")
    _needs(
        (TS / "node_modules" / ".bin" / "tsc").exists(),
        "TypeScript check skipped: run `make typescript-deps` (npm ci in tests/clients/typescript)",
    )
    done = subprocess.run(
        ["make", "--no-print-directory", "-s", "typescript-check", f"TS_OUT={tmp_path}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")},
    )
    assert done.returncode == 0, f"tsc found type errors:\n{done.stdout}\n{done.stderr}"
    generated = (tmp_path / "stockledger-api.d.ts").read_text(encoding="utf-8")
    assert '"/api/v1/stock/on-hand": {' in generated
    assert "OnHandCountIn" in generated and "OnHandAdjustIn" in generated
