"""Run one product's CSV export in a fresh process and report its peak RSS growth.

    python -m bench.memory_probe COMPANY_ID PRODUCT_ID OUTPUT

Prints one JSON line: rows, RSS before the export, peak RSS during it (MB), and how the peak
was measured. Linux resets the peak (VmHWM) on `echo 5 > /proc/self/clear_refs`, so the peak
is the export's own; elsewhere ru_maxrss stands in (peak since the process started).
"""

from __future__ import annotations

import json
import os
import resource
import sys
from datetime import UTC
from pathlib import Path


def _status_mb(key: str) -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def main(company_id: int, product_id: int, output: str) -> dict:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stockledger.settings")
    import django

    django.setup()
    from stockledger.core.models import Company
    from stockledger.ledger.csv_writer import iter_log_rows, write_log_csv
    from stockledger.ledger.selectors import log_entries

    company = Company.objects.get(pk=company_id)

    def export(limit=None) -> int:
        qs = log_entries(company=company, product_ids=[product_id])
        if limit:
            qs = qs[:limit]
        with open(output, "w", encoding="utf-8", newline="") as fh:
            return write_log_csv(fh, iter_log_rows(qs), tz=UTC)

    export(limit=2000)  # imports, connection, caches: the fixed cost, before the baseline
    before = _status_mb("VmRSS")
    if before is not None and _reset_peak():
        method = "VmHWM after clear_refs (peak of the export itself)"
    else:
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        method = "ru_maxrss (peak since the process started)"
    rows = export()
    peak = _status_mb("VmHWM") if method.startswith("VmHWM") else None
    if peak is None:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"rows": rows, "before_mb": before, "peak_mb": peak, "method": method}


if __name__ == "__main__":
    report = main(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3])
    print(json.dumps(report))
