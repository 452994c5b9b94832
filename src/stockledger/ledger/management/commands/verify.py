import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from stockledger.core.models import Company
from stockledger.ledger.models import LogEntry
from stockledger.ledger.replay import replay


class Command(BaseCommand):
    help = "Replay every product's log per warehouse; report mismatches; exit 1 if any."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--company", type=int, help="only this company id")
        parser.add_argument("--limit", type=int, default=200, help="mismatches to print")

    def handle(
        self, *args: Any, company: int | None = None, limit: int = 200, **options: Any
    ) -> None:
        scope = None
        if company is not None:
            scope = Company.objects.filter(pk=company).first()
            if scope is None:
                raise CommandError(f"company {company} does not exist")
        rows = LogEntry.objects.filter(company=scope) if scope else LogEntry.objects.all()
        count = 0
        for mismatch in replay(scope):
            count += 1
            if count <= limit:
                self.stdout.write(f"MISMATCH {mismatch}")
        total = rows.count()
        if count:
            more = f" ({count - limit} not shown)" if count > limit else ""
            self.stdout.write(f"verify: {count} mismatches in {total} log rows{more}")
            sys.exit(1)
        self.stdout.write(f"verify: OK, {total} log rows replayed, stock matches")
