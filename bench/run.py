"""`make bench`: Stockledger against the best this machine and database do, in the same run.

    python bench/run.py [--quick] [--engine sqlite|postgresql] [--only NAME[,NAME]] [--fresh]

Each engine runs in its own process (Django's settings are per process): it builds or reuses
its dataset, runs the measurements, prints a table per measurement and writes its results into
the results file (bench/results/latest.json for full runs) as they come.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.harness import (  # noqa: E402
    ENGINES,
    MEASUREMENT_ORDER,
    SIZES,
    load_results,
    print_table,
    upsert_results,
)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for development")
    parser.add_argument("--size", choices=sorted(SIZES), help="full (default), quick or tiny")
    parser.add_argument("--engine", choices=(*ENGINES, "all"), default="all")
    parser.add_argument(
        "--only", default="", help=f"comma-separated measurements: {', '.join(MEASUREMENT_ORDER)}"
    )
    parser.add_argument("--fresh", action="store_true", help="rebuild the datasets")
    parser.add_argument("--results", type=Path, help="results file (default by size)")
    parser.add_argument("--home", type=Path, help="bench files (default $STOCKLEDGER_HOME/bench)")
    parser.add_argument("--database", help="PostgreSQL database name (default sl_bench_<size>)")
    parser.add_argument("--drop", action="store_true", help="drop the databases when done")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a goal is not met")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="run each measurement under cProfile: top functions printed, stats in out/",
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--build-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.size = args.size or ("quick" if args.quick else "full")
    args.sizes = SIZES[args.size]
    args.only = [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = [n for n in args.only if n not in MEASUREMENT_ORDER]
    if unknown:
        parser.error(f"unknown measurement {unknown[0]!r}; one of {', '.join(MEASUREMENT_ORDER)}")
    if args.results is None:
        name = "latest.json" if args.size == "full" else f"{args.size}.json"
        args.results = ROOT / "bench" / "results" / name
    args.results = args.results.resolve()
    home = args.home or Path(os.environ.get("STOCKLEDGER_HOME", ROOT / "var")) / "bench"
    args.home = Path(home).resolve() / args.size
    args.database = args.database or f"sl_bench_{args.size}"
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.child:
        return child(args)
    from bench.engines import engine_env, pg_available

    engines = list(ENGINES) if args.engine == "all" else [args.engine]
    if "postgresql" in engines and not pg_available():
        if args.engine == "postgresql" or os.environ.get("CI") == "true":
            print("FAIL: PostgreSQL is not reachable (set BENCH_PG_URL or PG_URL)")
            return 1
        print("SKIPPED: PostgreSQL benchmarks - no server (set BENCH_PG_URL or PG_URL)")
        engines.remove("postgresql")
    started = time.perf_counter()
    failed = []
    builds = {}
    if len(engines) > 1:
        # Build (or find) both datasets at once: SQLite's build is this process's CPU,
        # PostgreSQL's mostly the server's. Measurements then run one engine at a time.
        builds = {
            engine: subprocess.Popen(
                child_command(args, engine) + ["--build-only"],
                env=engine_env(engine, args.home, args.database),
                cwd=ROOT,
            )
            for engine in engines
        }
        for engine, proc in builds.items():
            if proc.wait():
                print(f"FAILED: building the {engine} dataset")
                failed.append(engine)
        engines = [e for e in engines if e not in failed]
    for engine in engines:
        print(f"\n#### {engine}: size {args.size}", flush=True)
        # After a parallel build, --fresh has been done already.
        cmd = child_command(args, engine, fresh=args.fresh and not builds)
        if args.drop:
            cmd.append("--drop")
        code = subprocess.call(cmd, env=engine_env(engine, args.home, args.database), cwd=ROOT)
        if code:
            failed.append(engine)
    entries = [
        e
        for e in load_results(args.results)
        if e["engine"] in engines
        # vendure_sync writes vendure_writeback_latency and vendure_order_import.
        and (
            not args.only
            or e["name"] in args.only
            or e["name"].rsplit("_", 1)[0] in args.only  # export_latency_2k, _20k
            or e["name"].split("_")[0] + "_sync" in args.only
        )
    ]
    print_table(
        f"summary ({args.size}, {time.perf_counter() - started:.0f} s) -> {args.results}",
        ["measurement", "engine", "product", "reference", "unit", "ratio", "goal", "met"],
        [
            (
                e["name"],
                e["engine"],
                e["product"],
                e["reference"],
                e["unit"],
                e["ratio"],
                e["goal"],
                "yes" if e["met"] else "NO",
            )
            for e in entries
        ],
    )
    if failed:
        print(f"FAILED: the bench process for {', '.join(failed)} did not finish cleanly")
        return 1
    if args.strict and not all(e["met"] for e in entries):
        return 1
    return 0


def profiled(fn, ctx, name: str):
    """`fn(ctx)` under cProfile (product and reference both: read them by function)."""
    import cProfile
    import pstats

    profile = cProfile.Profile()
    results = profile.runcall(fn, ctx)
    path = ctx.out_dir / f"{name}.prof"
    profile.dump_stats(path)
    print(f"profile of {name} on {ctx.engine}: {path}")
    stats = pstats.Stats(profile).strip_dirs()
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(40)
    return results


def child_command(args: argparse.Namespace, engine: str, *, fresh: bool | None = None) -> list:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", "--engine", engine]
    cmd += ["--size", args.size, "--results", str(args.results), "--home", str(args.home.parent)]
    cmd += ["--database", args.database]
    if args.only:
        cmd += ["--only", ",".join(args.only)]
    if args.profile:
        cmd.append("--profile")
    if args.fresh if fresh is None else fresh:
        cmd.append("--fresh")
    return cmd


# Measurements that make their own data (a Vendure store's) and never read the dataset.
NO_DATASET = frozenset({"vendure_sync"})


def child(args: argparse.Namespace) -> int:
    """One engine: database, dataset, then each measurement."""
    from bench.engines import create_database

    engine = args.engine
    home = Path(os.environ["STOCKLEDGER_HOME"])
    create_database(engine, args.database, home, drop=args.fresh)

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stockledger.settings")
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from bench import dataset
    from bench.context import Context
    from bench.harness import print_result
    from bench.measurements import MEASUREMENTS

    call_command("migrate", interactive=False, verbosity=0)
    ds = dataset.find(args.sizes)
    if ds is None and args.only and set(args.only) <= NO_DATASET and not args.build_only:
        # Nothing asked for reads the shared dataset: do not build millions of rows for it.
        print(f"{engine}: no dataset needed for {', '.join(args.only)}", flush=True)
    elif ds is None:
        if not dataset.database_is_empty():
            connection.close()
            create_database(engine, args.database, home, drop=True)
            call_command("migrate", interactive=False, verbosity=0)
        print(f"{engine}: building the {args.size} dataset ...", flush=True)
        ds = dataset.build(args.sizes)
        print(
            f"{engine}: dataset built in {ds.generated_seconds:.1f} s: "
            + ", ".join(f"{sku} {n:,} rows" for sku, n in ds.rows.items()),
            flush=True,
        )
    else:
        print(
            f"{engine}: dataset reused: " + ", ".join(f"{s} {n:,} rows" for s, n in ds.rows.items())
        )
    if args.build_only:
        connection.close()
        return 0

    ctx = Context(engine=engine, sizes=args.sizes, ds=ds, home=home, database=args.database)
    status = 0
    for name in MEASUREMENT_ORDER:
        if args.only and name not in args.only:
            continue
        fn, engines = MEASUREMENTS[name]
        if engine not in engines:
            continue
        started = time.perf_counter()
        try:
            results = profiled(fn, ctx, name) if args.profile else fn(ctx)
        except Exception:  # noqa: BLE001 - one broken measurement must not hide the others
            traceback.print_exc()
            print(f"FAILED: {name} on {engine}", flush=True)
            status = 1
            continue
        for result in results:
            print_result(result)
        if results:
            upsert_results(args.results, results)
        print(f"({name} took {time.perf_counter() - started:.1f} s)", flush=True)
    connection.close()
    ctx.close()
    if args.drop:
        from bench.engines import drop_database

        drop_database(engine, args.database, home)
    return status


if __name__ == "__main__":
    sys.exit(main())
