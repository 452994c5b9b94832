from django.core.management.base import BaseCommand

from stockledger.exports.cleanup import cleanup_exports
from stockledger.exports.tasks import reap_stale_exports


class Command(BaseCommand):
    help = (
        "Remove export files past retention (STOCKLEDGER_EXPORT_RETENTION_DAYS, default 7) and "
        "files no export needs; settle exports whose worker stopped. Workers also do this."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days", type=int, default=None, help="retention in days (default: the setting)"
        )

    def handle(self, *args, days=None, **options):
        reaped = reap_stale_exports()
        result = cleanup_exports(retention_days=days)
        self.stdout.write(
            f"expired {result.expired} exports, removed {result.orphan_files} orphan files and "
            f"{result.scratch_files} scratch files, settled {len(reaped)} stopped exports"
        )
