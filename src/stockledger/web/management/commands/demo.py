from django.core.management.base import BaseCommand

from stockledger.web.demo import build_demo, demo_exists, login_file


class Command(BaseCommand):
    help = (
        "Load a demo company with realistic data (warehouses, channels, kits, a manufactured "
        "product, 90 days of history). Does nothing if it exists; prints the login."
    )

    def handle(self, *args, **options):
        if demo_exists():
            path = login_file()
            known = path.read_text().strip() if path.exists() else "see demo-login.txt"
            self.stdout.write(f"The demo company exists already. {known}")
            return
        import time

        started = time.monotonic()
        company, login = build_demo()
        from stockledger.ledger.models import LogEntry

        rows = LogEntry.objects.filter(company=company).count()
        self.stdout.write(
            f"Demo company loaded: {rows} log rows in {time.monotonic() - started:.1f} s.\n{login}"
        )
