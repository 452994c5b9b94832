"""What every measurement shares: sizes, results, tables, the results file, timing."""

from __future__ import annotations

import json
import math
import os
import statistics
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

ENGINES = ("sqlite", "postgresql")


@dataclass(frozen=True)
class Sizes:
    """How big a run is. `full` is what the README figures come from."""

    label: str
    big_rows: int  # the one product's history
    kit_rows: int  # each of the kit's 5 components
    background_rows: int  # other products of the catalogue, in total
    seconds: float  # each side of a time-boxed write measurement, per round
    rounds: int  # alternations of product and reference
    requests: int  # log page requests
    orders: int  # bulk import: orders per request
    bulk_requests: int  # bulk import: requests per round
    writers: int = 8

    @property
    def dataset_key(self) -> str:
        return f"{self.big_rows}/{self.kit_rows}/{self.background_rows}"


SIZES = {
    "full": Sizes("full", 1_000_000, 200_000, 50_000, 4.0, 3, 400, 1000, 2),
    "quick": Sizes("quick", 20_000, 4_000, 2_000, 1.0, 2, 100, 200, 2),
    "tiny": Sizes("tiny", 1_000, 200, 200, 0.3, 1, 20, 20, 1),
}


@dataclass
class Result:
    """One line of bench/results/latest.json.

    `ratio` is always "how close to the reference": reference time / product time (so a
    throughput ratio), higher is better, 1.0 means as fast as the machine's best. `goal` says
    in words what `met` checks.
    """

    name: str
    engine: str
    product: float | None
    reference: float | None
    unit: str
    ratio: float | None
    goal: str
    met: bool
    details: list[tuple[str, str]] = field(default_factory=list, repr=False)

    def entry(self) -> dict:
        data = asdict(self)
        data.pop("details")
        for key in ("product", "reference", "ratio"):
            if data[key] is not None:
                data[key] = round(data[key], 3)
        return data


def ratio_result(
    name: str, engine: str, product: float, reference: float, unit: str, goal: float
) -> Result:
    """Throughputs (higher is better): ratio = product / reference, met when >= goal."""
    ratio = product / reference if reference else math.nan
    return Result(name, engine, product, reference, unit, ratio, f"ratio >= {goal}", ratio >= goal)


def rounds_ratio_result(
    name: str,
    engine: str,
    product_rates: list[float],
    reference_rates: list[float],
    unit: str,
    goal: float,
) -> Result:
    """Throughputs measured in alternating rounds (product, reference, product, ...).

    Each round's ratio pairs the product with the reference run next to it (same machine
    load); the result is the MEDIAN of those ratios (and of each side's rates), so one round
    that lost the CPU to something else moves neither the figure nor `--strict`. The spread
    (lowest, median, highest ratio) is in the details.
    """
    ratios = sorted(p / r for p, r in zip(product_rates, reference_rates, strict=True) if r)
    ratio = statistics.median(ratios) if ratios else math.nan
    result = Result(
        name,
        engine,
        statistics.median(product_rates),
        statistics.median(reference_rates),
        unit,
        ratio,
        f"median ratio >= {goal}",
        ratio >= goal,
    )
    result.details = [
        (
            "ratio per round (low / median / high)",
            f"{ratios[0]:.3f} / {ratio:.3f} / {ratios[-1]:.3f}",
        ),
        ("rounds (product)", ", ".join(f"{r:.0f}" for r in product_rates)),
        ("rounds (reference)", ", ".join(f"{r:.0f}" for r in reference_rates)),
    ]
    return result


def print_table(title: str, headers: list[str], rows: Iterable[Iterable[object]]) -> None:
    rows = [[_cell(c) for c in row] for row in rows]
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)
    ]
    line = "  ".join("-" * w for w in widths)
    print(f"\n== {title}")
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    print(line)
    for row in rows:
        print(
            "  ".join(
                c.rjust(w) if _numeric(c) else c.ljust(w) for c, w in zip(row, widths, strict=True)
            )
        )
    print(flush=True)


def print_result(result: Result) -> None:
    """The measurement's own table: its figures, then the verdict."""
    rows = list(result.details)
    rows += [
        ("product", f"{_cell(result.product)} {result.unit}"),
        (
            "reference",
            f"{_cell(result.reference)} {result.unit}" if result.reference is not None else "-",
        ),
        ("ratio", _cell(result.ratio)),
        ("goal", result.goal),
        ("met", "yes" if result.met else "NO"),
    ]
    print_table(f"{result.name} on {result.engine}", ["what", "figure"], rows)


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        if abs(value) >= 10:
            return f"{value:.1f}"
        return f"{value:.3f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def _numeric(text: str) -> bool:
    return bool(text) and text.replace(",", "").replace(".", "").replace("-", "").isdigit()


def upsert_results(path: Path, results: list[Result]) -> None:
    """Add results to the file, replacing earlier entries of the same name and engine."""
    entries = load_results(path)
    fresh = {(r.name, r.engine) for r in results}
    entries = [e for e in entries if (e["name"], e["engine"]) not in fresh]
    entries += [r.entry() for r in results]
    order = {name: i for i, name in enumerate(MEASUREMENT_ORDER)}
    # export_latency writes export_latency_2k and _20k: sorted with their measurement.
    entries.sort(
        key=lambda e: (
            order.get(e["name"], order.get(e["name"].rsplit("_", 1)[0], 99)),
            e["name"],
            ENGINES.index(e["engine"]),
        )
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(entries, indent=2) + "\n")
    os.replace(tmp, path)


def load_results(path: Path) -> list[dict]:
    if not path.exists():
        return []
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError:
        return []


MEASUREMENT_ORDER = (
    "single_stock_changes",
    "bulk_order_import",
    "csv_export",
    "kit_export",
    "log_page",
    "export_memory",
    "stock_on_date",
    "count_import",
    "api_adjustments",
    "api_orders",
    "api_log_page",
    "web_log_page",
    "http_adjustments",
    "http_orders",
    "export_latency",
    "concurrent_writers",
    "vendure_sync",
)


def percentile(samples: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of the samples."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def alternate(
    product: Callable[[], object], reference: Callable[[], object], rounds: int
) -> tuple[list[float], list[float], object, object]:
    """Run product and reference in turns (ABAB...) so both see the same machine load;
    return their times and the last value each returned."""
    p_times, r_times = [], []
    p_value = r_value = None
    for _ in range(rounds):
        t, p_value = timed(product)
        p_times.append(t)
        t, r_value = timed(reference)
        r_times.append(t)
    return p_times, r_times, p_value, r_value
