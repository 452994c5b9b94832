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


def test_https_goes_to_the_checked_address_with_the_names_sni_and_certificate(
    settings, monkeypatch, tmp_path
):
    """TLS to the pinned address: SNI and the certificate check use the URL's name."""
    import datetime
    import ssl

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    name = "store.example.test"
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    sni = []
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert_file, key_file)
    server_context.sni_callback = lambda sock, server_name, ctx: sni.append(server_name)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = server_context.wrap_socket(server.socket, server_side=True)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        settings.STOCKLEDGER_OUTBOUND_ALLOW = "127.0.0.1"
        monkeypatch.setattr(
            outbound, "resolve", lambda host, port: [ipaddress.ip_address("127.0.0.1")]
        )
        client_context = ssl.create_default_context(cafile=str(cert_file))
        url = f"https://{name}:{server.server_port}/"
        assert outbound_request("GET", url, ssl_context=client_context).status == 204
        assert sni == [name]
        # A certificate for another name is refused, as delivery failed.
        monkeypatch.setattr(
            outbound, "resolve", lambda host, port: [ipaddress.ip_address("127.0.0.1")]
        )
        with pytest.raises(OutboundError) as failed:
            outbound_request(
                "GET",
                f"https://other.example.test:{server.server_port}/",
                ssl_context=client_context,
            )
        assert str(failed.value) == "delivery failed"
    finally:
        server.shutdown()
        server.server_close()
