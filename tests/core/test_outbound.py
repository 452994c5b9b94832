"""Outbound addresses: adapters reach only public addresses unless the operator allows more
(issue 14, item 1). Checked on the address actually connected to, after resolution."""

import ipaddress
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from stockledger.core import outbound
from stockledger.core.outbound import (
    NOT_ALLOWED,
    OutboundError,
    OutboundRefused,
    literal_address,
    outbound_request,
    parse_allow_list,
)

REFUSED_URLS = [
    "http://127.0.0.1:8000/",
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.1/",
    "http://172.16.3.4/",
    "http://192.168.1.1/",
    "http://[::1]/",
    "http://0x7f000001/",
    "http://2130706433/",
    "http://127.1/",
    "http://0177.0.0.1/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/",
    "http://[::127.0.0.1]/",
    "http://0.0.0.0/",
    "http://[::]/",
    "http://224.0.0.1/",
    "http://240.0.0.1/",
    "http://100.64.0.1/",
    "http://[fe80::1]/",
    "http://[fd00::1]/",
    "http://[2002:7f00:1::]/",
    "http://[64:ff9b::7f00:1]/",
]


@pytest.fixture
def no_network(monkeypatch):
    """Any resolution or connection attempt fails the test: refusals happen before."""

    def boom(*args, **kwargs):
        raise AssertionError("a refused address must not be resolved or connected to")

    monkeypatch.setattr(outbound, "resolve", boom)
    monkeypatch.setattr(outbound.socket, "create_connection", boom)


@pytest.mark.parametrize("url", REFUSED_URLS)
def test_each_internal_address_form_is_refused_before_connecting(settings, no_network, url):
    settings.STOCKLEDGER_OUTBOUND_ALLOW = ""
    with pytest.raises(OutboundRefused) as refused:
        outbound_request("POST", url, body=b"{}")
    assert str(refused.value) == NOT_ALLOWED


@pytest.mark.parametrize(
    "host, address",
    [
        ("0x7f000001", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("[::ffff:127.0.0.1]", "::ffff:7f00:1"),
        ("example.com", None),
        ("1e100.net", None),
    ],
)
def test_numeric_hosts_are_read_as_the_resolver_reads_them(host, address):
    expected = None if address is None else ipaddress.ip_address(address)
    assert literal_address(host) == expected


def test_a_name_resolving_to_loopback_is_refused(settings, monkeypatch):
    settings.STOCKLEDGER_OUTBOUND_ALLOW = ""
    connected = []
    monkeypatch.setattr(outbound, "resolve", lambda host, port: [ipaddress.ip_address("127.0.0.1")])
    monkeypatch.setattr(
        outbound.socket, "create_connection", lambda *a, **k: connected.append(a) or 1 / 0
    )
    with pytest.raises(OutboundRefused):
        outbound_request("GET", "https://shop.example.com/admin")
    assert connected == []


def test_a_name_resolving_to_public_and_private_addresses_is_refused(settings, monkeypatch):
    settings.STOCKLEDGER_OUTBOUND_ALLOW = ""
    monkeypatch.setattr(
        outbound,
        "resolve",
        lambda host, port: [
            ipaddress.ip_address("93.184.215.14"),
            ipaddress.ip_address("10.1.2.3"),
        ],
    )
    with pytest.raises(OutboundRefused):
        outbound_request("GET", "http://rebind.example.com/")


@pytest.fixture
def local_server():
    seen = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append(self.headers["Host"])
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_port, seen
    server.shutdown()
    server.server_close()


def test_the_address_checked_is_the_address_connected_to(settings, monkeypatch, local_server):
    """Resolved once: a rebinding resolver answering something else later is never asked."""
    port, seen = local_server
    settings.STOCKLEDGER_OUTBOUND_ALLOW = "127.0.0.0/8"
    answers = iter([[ipaddress.ip_address("127.0.0.1")], [ipaddress.ip_address("10.9.9.9")]])
    monkeypatch.setattr(outbound, "resolve", lambda host, port: next(answers))
    response = outbound_request("GET", f"http://store.example.test:{port}/x")
    assert (response.status, response.body) == (200, b"ok")
    assert seen == [f"store.example.test:{port}"]  # Host header of the name, not the IP
    assert next(answers) == [ipaddress.ip_address("10.9.9.9")]  # resolved exactly once


def test_the_allow_list_lets_named_hosts_and_networks_through(settings, local_server):
    port, seen = local_server
    settings.STOCKLEDGER_OUTBOUND_ALLOW = ""
    with pytest.raises(OutboundRefused):
        outbound_request("GET", f"http://127.0.0.1:{port}/")
    for allowed in ("127.0.0.1", "127.0.0.0/8", " other.example , 127.0.0.1 "):
        settings.STOCKLEDGER_OUTBOUND_ALLOW = allowed
        assert outbound_request("GET", f"http://127.0.0.1:{port}/").status == 200
    settings.STOCKLEDGER_OUTBOUND_ALLOW = "localhost"
    assert outbound_request("GET", f"http://localhost:{port}/").status == 200
    settings.STOCKLEDGER_OUTBOUND_ALLOW = "10.0.0.0/8"
    with pytest.raises(OutboundRefused):
        outbound_request("GET", f"http://127.0.0.1:{port}/")


def test_a_bad_allow_list_network_is_a_configuration_error():
    with pytest.raises(ValueError, match="not a network"):
        parse_allow_list("10.0.0.0/33")


def test_a_connection_failure_says_only_that_delivery_failed(settings):
    import socket

    settings.STOCKLEDGER_OUTBOUND_ALLOW = "127.0.0.1"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(OutboundError) as failed:
        outbound_request("GET", f"http://127.0.0.1:{port}/")
    assert str(failed.value) == "delivery failed"
    assert "refused" in failed.value.detail.lower()  # the operator's log has the reason
