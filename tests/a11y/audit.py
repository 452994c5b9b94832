"""`make a11y-audit`: axe-core over every page from the outside, against `stockledger serve`.

Starts `stockledger serve --demo-if-empty` (the web app and its worker, the 90-day demo
company) on a scratch STOCKLEDGER_HOME (SQLite) and a free port, then in headless Chromium:
signs in as each demo role (owner, manager, clerk, viewer: the users and passwords the demo
wrote to demo-login.txt), walks every page at 1280 px and at 390 px with disclosures opened,
asserts the 403 of each page a role may not open, drives the pages reached only after a POST
(tests/a11y/walk.py FLOWS: forms refused, count, export, receipt, import, token, sign-in
refused and locked out), and prints every finding. Exit 1 on any.

Not part of `make test` (the in-suite walk, tests/web/browser/test_a11y.py, is); it shares
its walking code. The server's own output goes to <home>/serve.log.

    python -m tests.a11y.audit [--keep] [--home DIR]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOGIN_FAILURE_LIMIT = "3"  # the server's sign-in limit: the lockout page is reached sooner


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(home: Path, port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "STOCKLEDGER_HOME": str(home),
        "DATABASE_URL": "",
        "STOCKLEDGER_LOGIN_FAILURE_LIMIT": LOGIN_FAILURE_LIMIT,
    }
    log = open(home / "serve.log", "wb")  # noqa: SIM115 (closed with the process)
    cli = Path(sys.executable).parent / "stockledger"
    return subprocess.Popen(
        [str(cli), "serve", "--demo-if-empty", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def wait_until_up(server: subprocess.Popen, base: str, home: Path, timeout=600.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"stockledger serve exited ({server.returncode}); see {home}/serve.log")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(1)
    sys.exit(f"stockledger serve did not answer within {timeout:.0f} s; see {home}/serve.log")


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=20)


def demo_logins(home: Path) -> dict[str, tuple[str, str]]:
    """role -> (user, password), from the demo's login file (the first user of each role)."""
    text = (home / "demo-login.txt").read_text()
    owner = re.search(r"Demo login: user (\S+), password (\S+)", text)
    logins = {"owner": (owner.group(1), owner.group(2))}
    for role, user, password in re.findall(r"(\w+) (\S+) / ([^,\s]+)", text):
        logins.setdefault(role, (user, password))
    return logins


def audit(base: str, home: Path) -> int:
    os.environ["STOCKLEDGER_HOME"] = str(home)
    os.environ["DATABASE_URL"] = ""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stockledger.settings")
    import django

    django.setup()
    # Playwright's sync API runs an event loop in this thread; the reads here stay synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    from stockledger.core.models import Company
    from tests.a11y import walk as w
    from tests.web.browser.conftest import CHROMIUM_ARGS
    from tests.web.conftest import CHROMIUM

    logins = demo_logins(home)
    missing = set(w.ROLES) - set(logins)
    if missing:
        sys.exit(f"the demo has no user of role {', '.join(sorted(missing))}")
    company = Company.objects.get()  # the scratch home holds the demo company only
    axe = w.AXE_JS.read_text()
    walk = w.Walk()
    started = time.monotonic()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            # The POST flows first: the import they make is the one the import pages open.
            context = w.new_context(browser, base, axe)
            page = context.new_page()
            w.sign_in(page, *logins["owner"])
            w.run_flows(walk, page, w.flow_ids(company))
            context.close()
            urls, unfilled = w.page_urls(company)
            walk.problems += [f"no way to fill {line}" for line in unfilled]
            w.walk_signed_out(walk, browser, base, axe, urls)
            for role in w.ROLES:
                user, password = logins[role]
                w.walk_role(
                    walk, browser, base, axe, urls, role=role, username=user, password=password
                )
            w.run_signed_out_flows(walk, browser, base, axe)  # last: it pauses sign-ins
        finally:
            browser.close()
    walk.seconds = time.monotonic() - started
    report(walk, urls)
    return 1 if walk.problems else 0


def report(walk, urls) -> None:
    pages = sorted({path for _role, path, _width in walk.checked})
    print(f"\naxe-core audit against stockledger serve: {walk.summary()}")
    per = Counter((role, width) for role, _path, width in walk.checked)
    roles = sorted({role for role, _w in per})
    print(f"{'role':<12}{'desktop':>9}{'phone':>7}")
    for role in roles:
        print(f"{role:<12}{per[(role, 'desktop')]:>9}{per[(role, 'phone')]:>7}")
    print(
        f"{len(urls)} URLs from the URL patterns, {len(pages)} distinct pages and states checked;"
        f" {len(walk.refused)} pages answered 403 to a role without the permission"
    )
    if walk.problems:
        print(f"\n{len(walk.problems)} FINDINGS:")
        for line in walk.problems:
            print("  " + line)
    else:
        print("violations: 0")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--home", type=Path, help="scratch STOCKLEDGER_HOME (default: a new one)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch home")
    args = parser.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="stockledger-a11y-audit-"))
    home.mkdir(parents=True, exist_ok=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    print(f"stockledger serve --demo-if-empty on {base} (home {home}); loading the demo...")
    server = start_server(home, port)
    try:
        wait_until_up(server, base, home)
        code = audit(base, home)
    finally:
        stop_server(server)
        if not args.keep and args.home is None:
            shutil.rmtree(home, ignore_errors=True)
    sys.exit(code)


if __name__ == "__main__":
    main()
