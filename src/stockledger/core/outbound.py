"""Outbound HTTP for channel adapters: only to public addresses, unless the operator allows more.

Every connection an adapter makes (the webhook adapter, the Shopify and Vendure connectors)
goes through `outbound_request`. It resolves the URL's host ONCE, refuses the request when any
address is loopback, private, link-local, multicast, reserved, unspecified, shared (CGNAT),
or an IPv6 form that embeds an IPv4 address (mapped ::ffff:a.b.c.d, compatible ::a.b.c.d,
6to4, Teredo, NAT64), then connects to exactly the address it checked, with the Host header
and TLS SNI / certificate check of the name. A name that resolves to 127.0.0.1, or that
changes its answer between the check and the connect (DNS rebinding), cannot reach inside.
Numeric host forms the resolver accepts (`0x7f000001`, `2130706433`, `127.1`, `0177.0.0.1`)
are read the way the resolver reads them, so they are refused too.

The operator may allow named hosts or networks with `STOCKLEDGER_OUTBOUND_ALLOW` (comma
separated host names, addresses or CIDR networks: `vendure.internal, 10.0.5.0/24,
127.0.0.1`); nothing is allowed by default. A named host allows whatever it resolves to.

What a tenant sees of a failure is `delivery failed` (or `delivery failed: the address is not
allowed`): never "connection refused" versus an HTTP status, which would map the internal
network. The operator's log gets the details (never a header: they may carry tokens).
Redirects are never followed.
"""

from __future__ import annotations

import http.client
import ipaddress
import logging
import os
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import Message
from urllib.parse import urlsplit

from django.conf import settings

logger = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

NOT_ALLOWED = "delivery failed: the address is not allowed"
FAILED = "delivery failed"
MAX_RESPONSE_BYTES = 8 * 1024 * 1024

# Networks refused even where the `ipaddress` flags miss them (or may, across Python versions).
_REFUSED_NETWORKS = [
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",  # "this network"
        "100.64.0.0/10",  # shared address space (carrier-grade NAT)
        "192.0.0.0/24",  # IETF protocol assignments
        "198.18.0.0/15",  # benchmarking
        "::/96",  # IPv4-compatible (deprecated)
        "::ffff:0:0/96",  # IPv4-mapped
        "64:ff9b::/96",  # NAT64 (well-known prefix)
        "64:ff9b:1::/48",  # NAT64 (local use)
        "2001::/32",  # Teredo
        "2002::/16",  # 6to4
        "fc00::/7",  # unique local
        "fe80::/10",  # link-local
        "fec0::/10",  # site-local (deprecated)
    )
]


class OutboundError(Exception):
    """The request did not get an HTTP answer. `str()` is what a tenant may read."""

    def __init__(self, public: str = FAILED, *, detail: str = "") -> None:
        super().__init__(public)
        self.public = public
        self.detail = detail  # for the operator's log only


class OutboundRefused(OutboundError):
    """The destination address is not allowed (nothing was sent)."""

    def __init__(self, *, detail: str = "") -> None:
        super().__init__(NOT_ALLOWED, detail=detail)


class OutboundTimeout(OutboundError):
    """No answer within the timeout."""


@dataclass(frozen=True)
class OutboundResponse:
    status: int
    headers: Message
    body: bytes = b""
    reason: str = ""

    def header(self, name: str, default: str = "") -> str:
        return self.headers.get(name, default)


@dataclass(frozen=True)
class AllowList:
    hosts: frozenset[str] = frozenset()
    networks: tuple[Network, ...] = field(default_factory=tuple)

    def allows_host(self, host: str) -> bool:
        return host.lower().rstrip(".") in self.hosts

    def allows_address(self, address: IPAddress) -> bool:
        return any(address.version == n.version and address in n for n in self.networks)


def parse_allow_list(text: str) -> AllowList:
    """`STOCKLEDGER_OUTBOUND_ALLOW`: host names, addresses and CIDR networks, comma separated.
    A bad network is a configuration error (ValueError), not silently ignored."""
    hosts: set[str] = set()
    networks: list[Network] = []
    for raw in (text or "").split(","):
        item = raw.strip().lower().strip("[]")
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
            continue
        except ValueError:
            if "/" in item:
                raise ValueError(
                    f"STOCKLEDGER_OUTBOUND_ALLOW: {raw.strip()!r} is not a network"
                ) from None
        literal = literal_address(item)
        if literal is not None:
            networks.append(ipaddress.ip_network(literal))
        else:
            hosts.add(item.rstrip("."))
    return AllowList(frozenset(hosts), tuple(networks))


def allow_list() -> AllowList:
    text = getattr(settings, "STOCKLEDGER_OUTBOUND_ALLOW", None)
    if text is None:
        text = os.environ.get("STOCKLEDGER_OUTBOUND_ALLOW", "")
    return parse_allow_list(text)


def literal_address(host: str) -> IPAddress | None:
    """The address a numeric host stands for, read as the system resolver reads it
    (`[::1]`, `0x7f000001`, `2130706433`, `127.1`, `0177.0.0.1`), or None for a name."""
    host = host.strip().strip("[]")
    if "%" in host:  # a zone id (fe80::1%eth0)
        host = host.split("%", 1)[0]
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if not host or not all(ch.isalnum() or ch == "." for ch in host):
        return None
    try:
        # inet_aton accepts the historic forms (hex, octal, fewer than four parts) that
        # getaddrinfo also accepts; a real name fails here.
        packed = socket.inet_aton(host)
    except OSError:
        return None
    if not all(part and (part[0].isdigit()) for part in host.rstrip(".").split(".")):
        return None
    return ipaddress.IPv4Address(packed)


def address_refused(address: IPAddress) -> str:
    """Why an address may not be connected to ("" when it may), ignoring the allow list."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return "IPv4-mapped IPv6 address"
        if address.sixtofour is not None or address.teredo is not None:
            return "IPv6 address embedding an IPv4 address"
    checks = (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("private", address.is_private),
        ("reserved", address.is_reserved),
    )
    for name, hit in checks:
        if hit:
            return f"{name} address"
    for network in _REFUSED_NETWORKS:
        if address.version == network.version and address in network:
            return f"address in {network}"
    if not address.is_global:
        return "not a public address"
    return ""


def check_address(address: IPAddress, *, host: str = "", allowed: AllowList | None = None) -> None:
    """Raise OutboundRefused unless `address` may be connected to (for `host`)."""
    allowed = allow_list() if allowed is None else allowed
    if host and allowed.allows_host(host):
        return
    if allowed.allows_address(address):
        return
    reason = address_refused(address)
    if reason:
        raise OutboundRefused(detail=f"{host or address} -> {address}: {reason}")


def check_outbound_host(host: str) -> None:
    """The save-time check of a URL's host, without resolving names (a form must not wait on
    DNS): a numeric host that is not allowed, or `localhost`, is refused. The connect-time
    check in `outbound_request` is the one that counts."""
    allowed = allow_list()
    name = host.strip().strip("[]").lower().rstrip(".")
    if allowed.allows_host(name):
        return
    if name == "localhost" or name.endswith(".localhost"):
        if not allowed.allows_address(ipaddress.ip_address("127.0.0.1")):
            raise OutboundRefused(detail=f"{host}: localhost")
        return
    literal = literal_address(name)
    if literal is not None:
        check_address(literal, host=name, allowed=allowed)


def resolve(host: str, port: int) -> list[IPAddress]:
    """The addresses `host` resolves to (a seam tests monkeypatch)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen: list[IPAddress] = []
    for _family, _type, _proto, _canon, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in seen:
            seen.append(address)
    return seen


def resolve_checked(host: str, port: int) -> IPAddress:
    """Resolve once and check every address: the one to connect to. A name that resolves to
    both a public and a refused address is refused (a rebinding setup)."""
    allowed = allow_list()
    literal = literal_address(host)
    if literal is not None:
        check_address(literal, host=host, allowed=allowed)
        return literal
    try:
        addresses = resolve(host, port)
    except (OSError, UnicodeError, ValueError) as exc:
        raise OutboundError(detail=f"resolving {host}: {exc}") from None
    if not addresses:
        raise OutboundError(detail=f"{host} resolves to no address")
    for address in addresses:
        check_address(address, host=host, allowed=allowed)
    return addresses[0]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """HTTP to a checked address; Host header from the URL's name."""

    def __init__(self, host: str, port: int, *, address: IPAddress, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((str(self._address), self.port), self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _PinnedHTTPSConnection(_PinnedHTTPConnection):
    """HTTPS to a checked address; SNI and certificate check for the URL's name."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        address: IPAddress,
        timeout: float,
        context: ssl.SSLContext | None = None,
    ) -> None:
        super().__init__(host, port, address=address, timeout=timeout)
        self._context = context or ssl.create_default_context()

    def connect(self) -> None:
        super().connect()
        self.sock = self._context.wrap_socket(self.sock, server_hostname=self.host)


def outbound_request(
    method: str,
    url: str,
    *,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 10.0,
    max_response_bytes: int = MAX_RESPONSE_BYTES,
    ssl_context: ssl.SSLContext | None = None,
) -> OutboundResponse:
    """One HTTP request to a public address (see the module docstring); any HTTP answer is
    returned, whatever its status. Raises OutboundRefused (nothing sent), OutboundTimeout or
    OutboundError (no answer); their `str()` is safe to show a tenant."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise OutboundError(detail=f"not an http(s) URL: {parts.scheme}://{parts.hostname}")
    host = parts.hostname
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise OutboundError(detail="bad port") from None
    address = resolve_checked(host, port)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    if parts.scheme == "https":
        conn: _PinnedHTTPConnection = _PinnedHTTPSConnection(
            host, port, address=address, timeout=timeout, context=ssl_context
        )
    else:
        conn = _PinnedHTTPConnection(host, port, address=address, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=dict(headers or {}))
        response = conn.getresponse()
        data = response.read(max_response_bytes + 1)
        if len(data) > max_response_bytes:
            raise OutboundError(detail=f"answer larger than {max_response_bytes} bytes")
        return OutboundResponse(response.status, response.headers, data, response.reason)
    except TimeoutError:
        logger.info("outbound %s %s://%s: timed out", method, parts.scheme, host)
        raise OutboundTimeout(f"{FAILED}: timed out after {timeout:g} s") from None
    except (OSError, http.client.HTTPException) as exc:
        logger.info("outbound %s %s://%s: %s", method, parts.scheme, host, exc.__class__.__name__)
        raise OutboundError(detail=f"{exc.__class__.__name__}: {exc}") from None
    finally:
        conn.close()
