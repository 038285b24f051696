"""The platform keyset client in production: each fetch checks the address anew."""

from __future__ import annotations

import re
import secrets
import time
from types import SimpleNamespace

import jwt
import pytest

from course.lti import jwks
from tests.interop.lti_platform import PlayedPlatform, start
from tests.rsa_keys import fresh_rsa_key

REFUSED = "keys.agency.example (127.0.0.1) is this server itself"


def test_a_keyset_name_that_later_resolves_to_this_server_is_not_fetched_again(
    monkeypatch: pytest.MonkeyPatch
) -> None:
    played = PlayedPlatform()
    server, thread = start(played)
    url = f"{played.url}/jwks"
    answer: dict[str, str | None] = {"why": None}
    monkeypatch.setattr(jwks, "refused_address", lambda _url, **_: answer["why"])
    try:
        token = played.id_token(nonce="n", sub="s", target="https://tool.example/")
        assert jwks.signing_key_for(url, token, guard=True) is not None
        # The name now resolves to this server (a short DNS lifetime, or rebinding); the
        # platform rotates its key, so the next launch makes the client fetch again.
        answer["why"] = REFUSED
        played.key, played.kid = fresh_rsa_key(), secrets.token_hex(8)
        later = SimpleNamespace(monotonic=lambda: time.monotonic() + jwks.CACHE_SECONDS)
        monkeypatch.setattr(jwt.jwks_client, "time", later)  # past the refetch cooldown
        token = played.id_token(nonce="n", sub="s", target="https://tool.example/")
        with pytest.raises(jwt.PyJWKClientConnectionError, match=re.escape(REFUSED)):
            jwks.signing_key_for(url, token, guard=True)
    finally:
        jwks.forget(url)
        server.shutdown()
        server.server_close()
        thread.join()


def test_a_name_that_cannot_be_looked_up_is_never_sent_a_request() -> None:
    """A lookup that fails for the check could answer 127.0.0.1 for the connection."""
    from course.lti.addresses import refused_address

    url = "https://lms.no-such-host.invalid/keys"  # .invalid never resolves (RFC 6761)
    assert refused_address(url, sending=True) == (
        "lms.no-such-host.invalid could not be looked up to check its address")
    assert refused_address(url) is None  # on the admin's form: the request says so later
