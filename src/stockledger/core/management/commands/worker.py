from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Run only the background job worker (start more of them against PostgreSQL)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--interval", type=float, default=0.5, help="seconds between polls for new jobs"
        )

    def handle(self, *args: Any, interval: float = 0.5, **options: Any) -> None:
        from stockledger.channels.jobs import start_scheduler_thread
        from stockledger.exports.maintenance import start_maintenance_thread

        # Beside the task loop: settle exports whose worker died, expire old export files,
        # and enqueue the sales channels' automatic sync runs when they are due.
        stop = start_maintenance_thread()
        stop_scheduler = start_scheduler_thread()
        try:
            call_command("db_worker", interval=interval, reload=False)
        finally:
            stop.set()
            stop_scheduler.set()
