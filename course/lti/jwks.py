"""Platforms' public keys, fetched from their JWKS URLs and cached per process."""

from __future__ import annotations

import threading

import jwt

from course.lti.addresses import RefusedAddress, refused_address

#: Keys are fetched again after this long, or at once when a token names an unknown kid.
CACHE_SECONDS = 600
FETCH_TIMEOUT_SECONDS = 5

_clients: dict[str, jwt.PyJWKClient] = {}
_lock = threading.Lock()


def _client(jwks_url: str, guard: bool) -> jwt.PyJWKClient:
    with _lock:
        client = _clients.get(jwks_url)
    if client is not None:
        return client
    # Checked before a process's first fetch (the admin's form checked it too); the name
    # is resolved outside the lock, so a slow lookup holds up no other platform's launch.
    why = refused_address(jwks_url) if guard else None
    if why is not None:
        raise jwt.PyJWKClientConnectionError(why) from RefusedAddress(why)
    with _lock:
        return _clients.setdefault(jwks_url, jwt.PyJWKClient(
            jwks_url, cache_keys=True, lifespan=CACHE_SECONDS, timeout=FETCH_TIMEOUT_SECONDS))


def signing_key_for(jwks_url: str, token: str, *, guard: bool = False):
    """Return the platform key that signed a JWT, by the kid in its header.

    ``guard``: refuse a URL at an address the site never sends requests to
    (``course.lti.addresses``), as production does.

    :raise jwt.PyJWTError: when the JWKS cannot be fetched or holds no such key.
    """
    return _client(jwks_url, guard).get_signing_key_from_jwt(token).key


def forget(jwks_url: str) -> None:
    """Drop a platform's cached keys (after its registration changed)."""
    with _lock:
        _clients.pop(jwks_url, None)
