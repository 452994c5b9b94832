import sys
from datetime import UTC
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from stockledger.catalog.models import Product
from stockledger.core.models import Company
from stockledger.ledger.csv_writer import iter_log_rows, write_log_csv
from stockledger.ledger.selectors import log_entries


class Command(BaseCommand):
    help = "Write one product's Inventory Log as CSV (stdout by default)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--company", type=int, required=True)
        parser.add_argument("--sku", required=True)
        parser.add_argument(
            "--include-components",
            action="store_true",
            help="for a kit: merge its components' rows in, tagged by SKU",
        )
        parser.add_argument("-o", "--output", help="file to write (default: stdout)")

    def handle(
        self,
        *args: Any,
        company: int,
        sku: str,
        include_components: bool = False,
        output: str | None = None,
        **options: Any,
    ) -> None:
        company_obj = Company.objects.filter(pk=company).first()
        if company_obj is None:
            raise CommandError(f"company {company} does not exist")
        product = Product.objects.filter(company=company_obj, sku=sku).first()
        if product is None:
            raise CommandError(f"SKU {sku!r} not found in company {company}")
        if include_components:
            # One cursor per product, merged by (created_at, sequence) while streaming.
            from stockledger.exports.sources import LogStreams

            streams = LogStreams()
            rows = streams.kit_with_components(company=company_obj, kit=product)
        else:
            rows = iter_log_rows(log_entries(company=company_obj, product_ids=[product.id]))
        if output:
            # Written beside the target and renamed when complete: never a half file.
            import os
            import tempfile

            directory = os.path.dirname(os.path.abspath(output))
            fd, tmp = tempfile.mkstemp(dir=directory, prefix=".export-", suffix=".csv")
            try:
                with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
                    count = write_log_csv(fh, rows, tz=UTC)
                os.replace(tmp, output)
            except BaseException:
                os.unlink(tmp)
                raise
            self.stderr.write(f"{count} rows written to {output}")
        else:
            write_log_csv(sys.stdout, rows, tz=UTC)
