"""The app's secret key and the retired ones still accepted, for every signed token.

``SECRET_KEY`` signs sessions, CSRF tokens, reset and email-change links, sign-up links,
device cookies and LTI staff hand-overs. A key can be replaced without signing everyone
out or voiding the links in their mailboxes: the old key moves to
``SECRET_KEY_FALLBACKS``, where it still checks what it signed, while everything new is
signed with the new key. After the longest-lived of those (a device cookie: a year; the
rest an hour or a day) the fallback can go.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import Flask, current_app
from itsdangerous import URLSafeTimedSerializer


def secret_keys(app: Flask | None = None) -> list[str | bytes]:
    """Return the keys oldest first, the current one last (as itsdangerous orders them)."""
    config = (app or current_app).config
    return [*(config.get("SECRET_KEY_FALLBACKS") or ()), config["SECRET_KEY"]]


def serializer(salt: str) -> URLSafeTimedSerializer:
    """Return a serializer that signs with the current key and accepts the retired ones."""
    return URLSafeTimedSerializer(secret_keys(), salt=salt)


def derived_keys(purpose: bytes) -> list[bytes]:
    """Return a 32-byte key for ``purpose`` from each secret key, the current one first."""
    keys = []
    for secret in reversed(secret_keys()):
        material = secret.encode() if isinstance(secret, str) else secret
        keys.append(HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                         info=purpose).derive(material))
    return keys


def fernet(purpose: bytes) -> MultiFernet:
    """Return a Fernet keyed for ``purpose`` that encrypts with the current key only."""
    # MultiFernet encrypts with its first key: the current one.
    return MultiFernet([Fernet(base64.urlsafe_b64encode(key)) for key in derived_keys(purpose)])


def current_fernet(purpose: bytes) -> Fernet:
    """Return a Fernet keyed for ``purpose`` by the current secret key alone."""
    return Fernet(base64.urlsafe_b64encode(derived_keys(purpose)[0]))


def init_app(app: Flask) -> None:
    """Let Flask-WTF accept CSRF tokens signed with a retired key too."""
    # Flask-WTF checks with one key unless WTF_CSRF_SECRET_KEY says otherwise; a list
    # goes straight to itsdangerous, which signs with the last and checks with each.
    if app.config.get("SECRET_KEY_FALLBACKS") and not app.config.get("WTF_CSRF_SECRET_KEY"):
        app.config["WTF_CSRF_SECRET_KEY"] = secret_keys(app)
