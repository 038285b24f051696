"""Addresses the tool never sends a platform's requests to: this server, link-local ones.

A platform's URLs come from the admin's form, and its line-item URLs from its own launch
claims; the tool then sends keys, tokens and scores there. Pointed at this server, or at
a link-local address (where a cloud host hands out its instance's credentials), such a
URL would let whoever sets it reach what only the server can. In production those are
refused. A private network address stays allowed: an agency's own LMS often lives on one.
The check resolves the name itself, just before the request: a name that resolves anew
between the check and the connection is the one gap, narrow and left to the network.
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
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        kind = _never_called(address)
        if kind is not None:
            shown = host if _is_literal(host) else f"{host} ({address})"
            return f"{shown} is {kind}; this site never sends a platform's requests there"
    return None


def _is_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def guarded() -> bool:
    """True where platform URLs must pass ``refused_address``: in production."""
    return current_app.config.get("ENV_NAME") == "production"


class _GuardedAdapter(HTTPAdapter):
    """Checks each request's address, redirects included, before it is sent."""

    def send(self, request, *args, **kwargs):  # type: ignore[override]
        why = refused_address(request.url or "", sending=True)
        if why is not None:
            raise RefusedAddress(why, request=request)
        return super().send(request, *args, **kwargs)


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
