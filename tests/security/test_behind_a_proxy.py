"""`stockledger serve` behind a TLS-terminating proxy: one redirect at most, never a loop."""

import http.client
import os
import socket
import subprocess
import sys
import time

import pytest

# The proxy headers, on a server with the embedded default database (no DATABASE_URL):
# the same in either pass, so run in the SQLite pass only.
pytestmark = [pytest.mark.engine_independent, pytest.mark.integration]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """One home for the module's servers: migrated by the first, found ready by the others."""
    return tmp_path_factory.mktemp("proxy-home")


@pytest.fixture
def serve(home):
    """Start the real server (waitress) with the given settings; yields its port."""
    started = []

    def start(**settings):
        port = free_port()
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        env.update(STOCKLEDGER_HOME=str(home), DEBUG="false", **settings)
        proc = subprocess.Popen(
            [sys.executable, "-m", "stockledger.cli", "serve", "--no-worker", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        started.append(proc)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if get(port, "/healthz")[0] == 200:
                    return port
            except OSError:
                time.sleep(0.2)
        proc.kill()
        raise AssertionError(proc.stderr.read().decode())

    yield start
    for proc in started:
        proc.terminate()
        proc.wait(timeout=10)


def get(port: int, path: str, headers: dict | None = None) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path, headers=headers or {})
    response = conn.getresponse()
    response.read()
    conn.close()
    return response.status, response.getheader("Location") or ""


def test_a_request_the_trusted_proxy_forwarded_over_https_is_served(serve):
    port = serve(STOCKLEDGER_HTTPS="true", STOCKLEDGER_TRUSTED_PROXY="127.0.0.1")
    assert get(port, "/login/", {"X-Forwarded-Proto": "https"}) == (200, "")


def test_plain_http_through_the_trusted_proxy_is_redirected_once_to_https(serve):
    port = serve(STOCKLEDGER_HTTPS="true", STOCKLEDGER_TRUSTED_PROXY="127.0.0.1")
    status, location = get(port, "/login/", {"X-Forwarded-Proto": "http"})
    assert status == 301 and location.startswith("https://")
    assert get(port, "/login/", {"X-Forwarded-Proto": "https"})[0] == 200


def test_a_count_of_proxies_is_trusted_too(serve):
    port = serve(STOCKLEDGER_HTTPS="true", STOCKLEDGER_TRUSTED_PROXY="1")
    assert get(port, "/login/", {"X-Forwarded-Proto": "https"}) == (200, "")


def test_forwarded_headers_from_an_untrusted_peer_are_ignored(serve):
    port = serve(STOCKLEDGER_HTTPS="true", STOCKLEDGER_TRUSTED_PROXY="192.0.2.1")
    status, location = get(port, "/login/", {"X-Forwarded-Proto": "https"})
    assert status == 301 and location.startswith("https://")
