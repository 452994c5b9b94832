"""CSV exports: one product's 1M-row log, a kit with its 5 components, and peak memory.

Product: the export writer (`iter_log_rows` + `write_log_csv` over `log_entries`, or the kit
export of the exports app) writing a file. Reference: the database's own CSV dump of the same
rows in the same order to a file (`sqlite3 -csv`; `COPY (SELECT ...) TO STDOUT WITH CSV` via
psql).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import UTC
from pathlib import Path

from stockledger.ledger.columns import COLUMNS, FIELD_FOR_COLUMN

from .context import Context
from .harness import Result, alternate, ratio_result

SELECT_COLUMNS = ", ".join(
    f"{FIELD_FOR_COLUMN[c]} AS {c}" if FIELD_FOR_COLUMN[c] != c else c for c in COLUMNS
)


def dump_sql(company_id: int, product_ids: list[int]) -> str:
    ids = ", ".join(str(int(i)) for i in product_ids)
    return (
        f"SELECT {SELECT_COLUMNS} FROM ledger_logentry "
        f"WHERE company_id = {int(company_id)} AND product_id IN ({ids}) "
        "ORDER BY created_at, id"
    )


def database_dump(ctx: Context, product_ids: list[int], path: Path) -> int:
    """The database's own CSV of the rows, written to `path`; returns the file's line count
    estimate (bytes are what matter for timing)."""
    sql = dump_sql(ctx.ds.company.id, product_ids)
    with open(path, "wb") as out:
        if ctx.engine == "sqlite":
            cli = shutil.which("sqlite3")
            if cli is None:
                raise RuntimeError(
                    "the sqlite3 command line tool is missing: apt-get install sqlite3"
                )
            subprocess.run(
                [cli, "-csv", "-header", str(ctx.sqlite_file), sql], stdout=out, check=True
            )
        elif shutil.which("psql"):
            copy = f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, HEADER)"
            subprocess.run(
                ["psql", "-X", "-q", "-d", ctx.pg_url, "-c", copy], stdout=out, check=True
            )
        else:
            import psycopg

            with psycopg.connect(ctx.pg_url) as conn, conn.cursor() as cur:
                with cur.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, HEADER)") as copy:
                    for block in copy:
                        out.write(block)
    return path.stat().st_size


def product_export(ctx: Context, product_id: int, path: Path) -> int:
    """One product's log through the export writer, as `stockledger export-log` writes it."""
    from stockledger.ledger.csv_writer import iter_log_rows, write_log_csv
    from stockledger.ledger.selectors import log_entries

    rows = iter_log_rows(log_entries(company=ctx.ds.company, product_ids=[product_id]))
    with open(path, "w", encoding="utf-8", newline="") as fh:
        return write_log_csv(fh, rows, tz=UTC)


def kit_export(ctx: Context, path: Path) -> int:
    """The kit's rows and its components' rows through the export job's writer (what a
    "kit with components" export runs in the worker), merged while streaming."""
    from stockledger.exports.models import Export, ExportFormat, ExportKind
    from stockledger.exports.parameters import ExportParameters
    from stockledger.exports.runner import write_export_file

    export = Export(
        company=ctx.ds.company,
        kind=ExportKind.KIT_WITH_COMPONENTS,
        format=ExportFormat.CSV,
        product=ctx.ds.kit,
        parameters=ExportParameters(product_id=ctx.ds.kit.id, sku=ctx.ds.kit.sku).to_json(),
    )
    return write_export_file(export, path)


def csv_export(ctx: Context) -> list[Result]:
    product_id = ctx.ds.big.id
    ours, theirs = ctx.out_dir / "export.csv", ctx.out_dir / "dump.csv"
    p_times, r_times, count, size = alternate(
        lambda: product_export(ctx, product_id, ours),
        lambda: database_dump(ctx, [product_id], theirs),
        ctx.sizes.rounds,
    )
    rows = ctx.ds.rows["BIG-1"]
    if count != rows:
        raise RuntimeError(f"the export wrote {count} rows, the log has {rows}")
    result = ratio_result(
        "csv_export", ctx.engine, rows / min(p_times), rows / min(r_times), "rows/s", 0.5
    )
    result.details = [
        ("rows", rows),
        ("columns", len(COLUMNS)),
        ("seconds, best (product / reference)", f"{min(p_times):.2f} / {min(r_times):.2f}"),
        ("file MB (product / reference)", f"{ours.stat().st_size / 1e6:.0f} / {size / 1e6:.0f}"),
        (
            "reference path",
            "sqlite3 -csv" if ctx.engine == "sqlite" else "psql COPY ... TO STDOUT CSV",
        ),
    ]
    ours.unlink(missing_ok=True)
    theirs.unlink(missing_ok=True)
    return [result]


def kit_export_result(ctx: Context) -> list[Result]:
    ids = [ctx.ds.kit.id] + [c.id for c in ctx.ds.components]
    ours, theirs = ctx.out_dir / "kit.csv", ctx.out_dir / "kit-dump.csv"
    p_times, r_times, count, _ = alternate(
        lambda: kit_export(ctx, ours),
        lambda: database_dump(ctx, ids, theirs),
        ctx.sizes.rounds,
    )
    rows = sum(ctx.ds.rows[p.sku] for p in [ctx.ds.kit, *ctx.ds.components])
    if count != rows:
        raise RuntimeError(f"the kit export wrote {count} rows, the log has {rows}")
    result = ratio_result(
        "kit_export", ctx.engine, rows / min(p_times), rows / min(r_times), "rows/s", 0.5
    )
    result.details = [
        (
            "rows",
            f"{rows:,} (kit {ctx.ds.rows[ctx.ds.kit.sku]:,}, components "
            + ", ".join(f"{ctx.ds.rows[c.sku]:,}" for c in ctx.ds.components)
            + ")",
        ),
        ("product path", "exports.runner.write_export_file, kind kit_with_components"),
        ("seconds, best (product / reference)", f"{min(p_times):.2f} / {min(r_times):.2f}"),
    ]
    ours.unlink(missing_ok=True)
    theirs.unlink(missing_ok=True)
    return [result]


# --- memory ---------------------------------------------------------------------------------

LIMIT_MB = 50


def export_memory(ctx: Context) -> list[Result]:
    """Peak RSS growth of a process exporting the 1M-row log (measured in a fresh process)."""
    out = ctx.out_dir / "memory.csv"
    probe = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.memory_probe",
            str(ctx.ds.company.id),
            str(ctx.ds.big.id),
            str(out),
        ],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        cwd=Path(__file__).resolve().parent.parent,
        check=True,
    )
    report = json.loads(probe.stdout.strip().splitlines()[-1])
    out.unlink(missing_ok=True)
    growth = report["peak_mb"] - report["before_mb"]
    result = Result(
        "export_memory",
        ctx.engine,
        growth,
        None,
        "MB",
        None,
        f"product <= {LIMIT_MB} MB",
        growth <= LIMIT_MB,
    )
    result.details = [
        ("rows", report["rows"]),
        ("RSS before the export MB", f"{report['before_mb']:.1f}"),
        ("peak RSS during the export MB", f"{report['peak_mb']:.1f}"),
        ("peak measured by", report["method"]),
    ]
    return [result]
