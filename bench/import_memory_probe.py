"""Import a count file in a fresh process and report its peak RSS growth.

    python -m bench.import_memory_probe COMPANY_ID USER_ID FILE

Prints one JSON line: rows applied, RSS before (MB), peak growth during the import (MB).
The peak is reset after Django starts (Linux `clear_refs`), so it is the import's own.
"""

from __future__ import annotations

import json
import os
import sys

from bench.memory_probe import _reset_peak, _status_mb


def main(company_id: int, user_id: int, path: str) -> dict:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stockledger.settings")
    import django

    django.setup()
    from stockledger.core.models import Company, User
    from stockledger.imports.models import Import
    from stockledger.imports.services import import_confirm, import_run, import_upload

    company = Company.objects.get(pk=company_id)
    user = User.objects.get(pk=user_id)
    # Warm up imports of Django's machinery (and openpyxl's) before the peak is reset.
    list(Import.objects.filter(company=company)[:1])
    _reset_peak()
    before = _status_mb("VmRSS")
    with open(path, "rb") as upload:
        job = import_upload(
            company=company, user=user, kind="counts", upload=upload, check_now=True
        )
    import_confirm(company=company, user=user, import_id=job.id, again=True)
    outcome = import_run(import_id=job.id)
    job.refresh_from_db()
    peak = _status_mb("VmHWM")
    return {
        "outcome": outcome,
        "rows": job.rows_applied,
        "rss_before_mb": before,
        "peak_growth_mb": None if peak is None or before is None else round(peak - before, 1),
    }


if __name__ == "__main__":
    result = main(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3])
    print(json.dumps(result))
    sys.exit(0 if result["outcome"] == "complete" else 1)
