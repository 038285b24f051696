"""Platforms' public keys, fetched from their JWKS URLs and cached per process."""

from __future__ import annotations

import threading

import jwt

from course.lti.addresses import RefusedAddress, refused_address

#: Keys are fetched again after this long, or at once when a token names an unknown kid.
CACHE_SECONDS = 600
FETCH_TIMEOUT_SECONDS = 5
#: An unknown kid fetches the keyset again at most this often, so tokens naming made-up
#: keys cannot make the tool hammer a platform; a key the platform has just rotated in is
#: refused until then.
REFETCH_COOLDOWN_SECONDS = 30

_clients: dict[tuple[str, bool], jwt.PyJWKClient] = {}
_lock = threading.Lock()


class UnknownKey(jwt.PyJWKClientError):
    """The platform's keyset was read, but holds no key with the kid that signed the token."""

    def __init__(self, kid: str) -> None:
        super().__init__(f"the keyset holds no key {kid!r}")
        self.kid = kid


class _GuardedClient(jwt.PyJWKClient):
    """A keyset client that checks the URL's address before every fetch, not the first only."""

    def fetch_data(self):  # type: ignore[override]
        # The client lives as long as the process and fetches again every few minutes: a
        # name that later resolves to this server must be refused then too. The lookup
        # runs under this platform's own client lock only, as the fetch itself does.
        why = refused_address(self.uri, sending=True)
        if why is not None:
            raise jwt.PyJWKClientConnectionError(why) from RefusedAddress(why)
        return super().fetch_data()


def _client(jwks_url: str, guard: bool) -> jwt.PyJWKClient:
    with _lock:
        client = _clients.get((jwks_url, guard))
        if client is None:
            kind = _GuardedClient if guard else jwt.PyJWKClient
            client = kind(jwks_url, cache_keys=True, lifespan=CACHE_SECONDS,
                          timeout=FETCH_TIMEOUT_SECONDS,
                          cooldown_duration=REFETCH_COOLDOWN_SECONDS)
            _clients[jwks_url, guard] = client
        return client


def signing_key_for(jwks_url: str, token: str, *, guard: bool = False):
    """Return the platform key that signed a JWT, by the kid in its header.

    ``guard``: refuse a URL at an address the site never sends requests to
    (``course.lti.addresses``), as production does.

    :raise UnknownKey: when the keyset was read but holds no key with the token's kid.
    :raise jwt.PyJWTError: when the JWKS cannot be fetched or read.
    """
    client = _client(jwks_url, guard)
    try:
        return client.get_signing_key_from_jwt(token).key
    except jwt.PyJWKClientConnectionError:
        raise
    except jwt.PyJWKClientError as exc:
        # Told apart from a wrong keyset URL: a platform that has just rotated its key
        # (its token names a kid the copy read here lacks) needs no setting changed.
        kid = jwt.get_unverified_header(token).get("kid")
        if isinstance(kid, str) and _readable(client):
            raise UnknownKey(kid) from exc
        raise


def _readable(client: jwt.PyJWKClient) -> bool:
    """Whether the keyset read last holds signing keys at all (the copy, no new fetch)."""
    try:
        return bool(client.get_signing_keys())
    except jwt.PyJWTError:
        return False


def forget(jwks_url: str) -> None:
    """Drop a platform's cached keys (after its registration changed)."""
    with _lock:
        for guard in (False, True):
            _clients.pop((jwks_url, guard), None)
