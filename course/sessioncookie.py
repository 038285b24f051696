"""Flask's signed-cookie sessions, with the signing serializer built once per key set."""

from __future__ import annotations

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer


class KeptSerializerSessionInterface(SecureCookieSessionInterface):
    """Flask's cookie sessions, unchanged but for one serializer kept per secret key.

    Flask builds a new serializer twice for every request (to read the cookie and to
    write it); building one also serializes an empty payload to learn its type. The keys
    are read on each call, so a changed ``SECRET_KEY`` or fallback list takes effect.
    """

    def __init__(self) -> None:
        self._kept: tuple[tuple, URLSafeTimedSerializer | None] | None = None

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        """Return the serializer for the app's current keys, built on first use."""
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        kept = self._kept
        if kept is None or kept[0] != keys:
            kept = self._kept = (keys, super().get_signing_serializer(app))
        return kept[1]


def init_app(app: Flask) -> None:
    """Use the kept-serializer cookie sessions."""
    app.session_interface = KeptSerializerSessionInterface()
