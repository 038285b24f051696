"""Addresses the tool never sends a platform's requests to: this server, link-local ones.

A platform's URLs come from the admin's form, and its line-item URLs from its own launch
claims; the tool then sends keys, tokens and scores there. Pointed at this server, or at
a link-local address (where a cloud host hands out its instance's credentials), such a
URL would let whoever sets it reach what only the server can. In production those are
refused. A private network address stays allowed: an agency's own LMS often lives on one.
A request's name is checked just before it is sent, and for a score or a token the address
the connection reached is checked again before a byte goes out: a name that resolves anew
in between (a short DNS lifetime, rebinding) is caught there, unless an outgoing proxy
(``HTTPS_PROXY``) makes the connection and looks the name up itself. A keyset fetch,
which sends nothing secret, is checked by name only.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import requests
from flask import current_app
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NewConnectionError

#: Cloud metadata services (an instance's credentials) outside link-local space, which
#: the private-network allowance would otherwise let through: AWS's IPv6 endpoint (in
#: fd00::/8) and Alibaba Cloud's (in 100.64.0.0/10).
_METADATA = frozenset({ipaddress.ip_address("fd00:ec2::254"),
                       ipaddress.ip_address("100.100.100.200")})


class RefusedAddress(requests.ConnectionError):
    """A platform URL names an address the tool never sends requests to."""


def _never_called(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    if address.is_loopback or address.is_unspecified:
        return "this server itself"
    if address.is_link_local:  # 169.254.169.254: a cloud host's own credentials
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if address in _METADATA:
        return "a cloud host's metadata service"
    return None


def refused_address(url: str, *, sending: bool = False) -> str | None:
    """Say why the tool must not send a request to ``url``, or None when it may.

    ``sending``: the request goes next, so a name that cannot be looked up is refused too:
    a lookup that fails here and answers 127.0.0.1 for the connection would slip past.
    """
    host = urlsplit(url).hostname
    if not host:
        return None
    try:
        found = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        # On a form, the request would fail on its own later, and say so.
        return f"{host} could not be looked up to check its address" if sending else None
    for *_, sockaddr in found:
        why = _refusal(host, str(sockaddr[0]))
        if why is not None:
            return why
    return None


def _refusal(host: str, found: str) -> str | None:
    address = ipaddress.ip_address(found.split("%", 1)[0])
    kind = _never_called(address)
    if kind is None:
        return None
    shown = host if _is_literal(host) else f"{host} ({address})"
    return f"{shown} is {kind}; this site never sends a platform's requests there"


def _is_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def guarded() -> bool:
    """True where platform URLs must pass ``refused_address``: in production."""
    return current_app.config.get("ENV_NAME") == "production"


class _RefusedPeer(NewConnectionError):
    """The connection reached an address the tool never sends requests to."""

    def __init__(self, conn: HTTPConnection, why: str) -> None:
        super().__init__(conn, why)
        self.why = why


class _CheckedPeer:
    """Checks the address a new connection reached before anything is sent on it."""

    host: str
    proxy: object

    def _new_conn(self):  # type: ignore[no-untyped-def]
        sock = super()._new_conn()  # type: ignore[misc]
        # Through a proxy the peer is the proxy, which resolves the name itself: the
        # check by name before the request is what stands there.
        why = None if self.proxy else _refusal(self.host, sock.getpeername()[0])
        if why is not None:
            sock.close()
            raise _RefusedPeer(self, why)  # type: ignore[arg-type]
        return sock


class _CheckedHTTPConnection(_CheckedPeer, HTTPConnection):
    pass


class _CheckedHTTPSConnection(_CheckedPeer, HTTPSConnection):
    pass


class _CheckedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _CheckedHTTPConnection


class _CheckedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _CheckedHTTPSConnection


class _GuardedAdapter(HTTPAdapter):
    """Checks each request's address, redirects included, before it is sent, and the
    address each new connection reached."""

    def init_poolmanager(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _CheckedHTTPPool, "https": _CheckedHTTPSPool,
        }

    def send(self, request, *args, **kwargs):  # type: ignore[override]
        why = refused_address(request.url or "", sending=True)
        if why is not None:
            raise RefusedAddress(why, request=request)
        try:
            return super().send(request, *args, **kwargs)
        except requests.ConnectionError as exc:
            reason = getattr(exc.args[0] if exc.args else None, "reason", None)
            if isinstance(reason, _RefusedPeer):
                raise RefusedAddress(reason.why, request=request) from exc
            raise


@contextmanager
def guarded_session(http: requests.Session) -> Iterator[requests.Session]:
    """Yield ``http`` itself, or in production a session like it that checks addresses."""
    if not guarded():
        yield http
        return
    with requests.Session() as session:
        session.headers.update(http.headers)
        adapter = _GuardedAdapter()
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        yield session
