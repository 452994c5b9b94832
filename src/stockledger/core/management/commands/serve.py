import os
import signal
import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from waitress.task import ThreadedTaskDispatcher

from stockledger.core.dispatcher import SpillDispatcher


def proxy_options(trusted: str) -> dict[str, Any]:
    """Waitress' options for STOCKLEDGER_TRUSTED_PROXY: the proxy's address, or a count of proxies.

    Waitress then takes the client address and the scheme (https) from that proxy's
    X-Forwarded-For / X-Forwarded-Proto and drops those headers from anyone else, so Django
    sees the request as the browser made it and HTTPS redirects stop at one.
    """
    if not trusted:
        return {}
    headers = {"x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "x-forwarded-port"}
    if trusted.isdigit():
        return {
            "trusted_proxy": "*",
            "trusted_proxy_count": int(trusted),
            "trusted_proxy_headers": headers,
        }
    return {
        "trusted_proxy": trusted.strip(),
        "trusted_proxy_count": 1,
        "trusted_proxy_headers": headers,
    }


def dispatcher(vendor: str, threads: int, spill_ms: int | None) -> ThreadedTaskDispatcher:
    """Waitress' thread pool for this database: see core/dispatcher.py."""
    if spill_ms is None:
        spill_ms = 50 if vendor == "sqlite" else 0
    pool = SpillDispatcher(spill_ms / 1000) if spill_ms else ThreadedTaskDispatcher()
    pool.set_thread_count(threads)
    return pool


class Command(BaseCommand):
    help = "Migrate, then serve the web app and a job worker together (default 127.0.0.1:8000)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8)
        parser.add_argument(
            "--spill-ms",
            type=int,
            default=None,
            help="run requests one after another until one has taken this long, then start "
            "the next beside it (default: 50 on SQLite; 0, all threads at once, on PostgreSQL): "
            "core/dispatcher.py",
        )
        parser.add_argument(
            "--demo-if-empty",
            action="store_true",
            help="load the demo company when the database has no company",
        )
        parser.add_argument("--no-worker", action="store_true")

    def handle(
        self,
        *args: Any,
        host: str,
        port: int,
        threads: int,
        spill_ms: int | None = None,
        demo_if_empty: bool = False,
        no_worker: bool = False,
        **options: Any,
    ) -> None:
        from waitress import serve

        if spill_ms is not None and spill_ms < 0:
            raise CommandError(f"--spill-ms: {spill_ms} is not 0 or more milliseconds")

        from stockledger.core.models import Company
        from stockledger.core.static import collect_static_if_changed
        from stockledger.core.wake import WAKE_FD_ENV, wake_pipe

        call_command("migrate", interactive=False, verbosity=0)
        # Hashed, compressed static files for WhiteNoise (skipped when nothing changed).
        if collect_static_if_changed():
            self.stdout.write("Static files collected (hashed, gzip and Brotli).")
        # Only now: WhiteNoise lists the static root's files when the application loads.
        from stockledger.wsgi import application

        if demo_if_empty and not Company.objects.exists() and "demo" in get_commands():
            self.stdout.write("First start: loading demo data (stockledger demo)...")
            call_command("demo")
        demo_login = os.environ.get("STOCKLEDGER_HOME", "var") + "/demo-login.txt"
        if os.path.exists(demo_login):
            with open(demo_login) as fh:
                self.stdout.write(fh.read().strip())

        worker = None
        if not no_worker:
            # On SQLite the web process wakes its worker through a pipe when it enqueues a
            # job (PostgreSQL uses LISTEN/NOTIFY, which needs no pipe): core/wake.py.
            env: dict[str, str] | None = None
            pass_fds: tuple[int, ...] = ()
            if connection.vendor == "sqlite":
                read_fd, _ = wake_pipe()
                env, pass_fds = {**os.environ, WAKE_FD_ENV: str(read_fd)}, (read_fd,)
            worker = subprocess.Popen(
                [sys.executable, "-m", "stockledger.cli", "worker"], env=env, pass_fds=pass_fds
            )
            if pass_fds:
                os.close(pass_fds[0])

        def stop(*_: object) -> None:
            if worker and worker.poll() is None:
                worker.terminate()
            sys.exit(0)

        signal.signal(signal.SIGTERM, stop)
        self.stdout.write(
            f"Stockledger serving on http://{host}:{port}/ (worker: {'off' if no_worker else 'on'})"
        )
        self.stdout.flush()
        try:
            serve(
                application,
                host=host,
                port=port,
                threads=threads,
                _dispatcher=dispatcher(connection.vendor, threads, spill_ms),
                ident="stockledger",
                max_request_body_size=64 * 1024 * 1024,
                **proxy_options(settings.STOCKLEDGER_TRUSTED_PROXY),
            )
        finally:
            if worker and worker.poll() is None:
                worker.terminate()
                worker.wait(timeout=10)
