"""Device cookies: a browser that signed in to an account before is not held up by
strangers' failed guesses (OWASP, "Slow Down Online Guessing Attacks with Device Cookies").

The cookie holds, signed with ``SECRET_KEY``, up to five (account id, random token) pairs
for the accounts that signed in on this browser. It proves nothing by itself: the
password is still checked, and the browser's own failures are counted against its token.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask import after_this_request, current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.wrappers import Response

from course import secretkeys
from course.auth.signin import Client
from course.models import User

SALT = "course.auth.device-cookie"
LIFETIME = timedelta(days=365)
MAX_ACCOUNTS = 5


def _serializer() -> URLSafeTimedSerializer:
    return secretkeys.serializer(SALT)


def _read() -> dict[int, str]:
    """Return this browser's device tokens by account id (none if the cookie is bad)."""
    raw = request.cookies.get(current_app.config["DEVICE_COOKIE_NAME"])
    if not raw or len(raw) > 1024:
        return {}
    try:
        pairs = _serializer().loads(raw, max_age=int(LIFETIME.total_seconds()))
    except BadSignature:
        return {}
    if not isinstance(pairs, list):
        return {}
    return {
        pair[0]: pair[1]
        for pair in pairs[:MAX_ACCOUNTS]
        if isinstance(pair, list) and len(pair) == 2
        and isinstance(pair[0], int) and isinstance(pair[1], str)
    }


def client() -> Client:
    """Describe the requesting browser for the password checks."""
    return Client(ip_address=request.remote_addr, devices=_read())


def trust_this_browser(user: User) -> None:
    """Give (or renew) this browser's device cookie for the account that just signed in."""
    tokens = _read()
    token = tokens.pop(user.id, None) or secrets.token_urlsafe(16)
    pairs = [[user.id, token], *([uid, t] for uid, t in tokens.items())][:MAX_ACCOUNTS]
    value = _serializer().dumps(pairs)
    config = current_app.config

    @after_this_request
    def _set_cookie(response: Response) -> Response:
        response.set_cookie(
            config["DEVICE_COOKIE_NAME"],
            value,
            max_age=int(LIFETIME.total_seconds()),
            path="/",
            secure=config["SESSION_COOKIE_SECURE"],
            httponly=True,
            samesite="Strict",
        )
        return response
