"""CSRF tokens signed once per session and hour, not on every page view.

Flask-WTF signs the session's CSRF secret with a timestamp on every request that shows
a form. The signed token is kept in the session (its cookie is itself signed) with the
hour it was made in, and handed to Flask-WTF for the rest of that hour, so a page view
costs no signing and the cookie changes at most once an hour for it. The token's age
limit (``WTF_CSRF_TIME_LIMIT``) counts from its signing, so tokens are accepted for an
hour beyond it: every page's forms keep working for at least the configured time.
"""

from __future__ import annotations

import time

from flask import Flask, Response, current_app, g, session
from flask_wtf.csrf import generate_csrf

#: Session key of [the hour it was signed in, the secret it signs, the signed token].
SIGNED = "csrf_signed"
_HOUR = 3600


def _field() -> str:
    return current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")


def reuse_signed_token() -> None:
    """Give Flask-WTF this hour's signed token, when the session has one."""
    field = _field()
    kept = session.get(SIGNED)
    if (
        isinstance(kept, list)
        and len(kept) == 3
        and kept[0] == int(time.time() // _HOUR)
        and kept[1] == session.get(field)  # signed from the session's current secret
    ):
        setattr(g, field, kept[2])
        g.csrf_token_reused = True


def keep_signed_token(response: Response) -> Response:
    """Keep a token Flask-WTF signed in this request, for the rest of the hour."""
    field = _field()
    token, secret = g.get(field), session.get(field)
    if token and secret and not g.get("csrf_token_reused"):
        session[SIGNED] = [int(time.time() // _HOUR), secret, token]
    return response


def init_app(app: Flask) -> None:
    """Reuse signed tokens; accept them for an hour beyond the configured limit."""
    limit = app.config.get("WTF_CSRF_TIME_LIMIT", 3600)
    if limit:
        app.config["WTF_CSRF_TIME_LIMIT"] = int(limit) + _HOUR
    app.before_request(reuse_signed_token)
    app.after_request(keep_signed_token)
    field = app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")

    def csrf_token() -> str:
        # A page asks three to five times; Flask-WTF keeps the request's token in ``g``
        # and returns it from there, after reading its settings anew on every call.
        return g.get(field) or generate_csrf()

    # Flask-WTF puts its own ``csrf_token`` in every template's context as well as in the
    # globals, and the context wins; a processor registered after it wins in turn.
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.context_processor(lambda: {"csrf_token": csrf_token})
