"""The site's signing keys, kept in the database so that ``db backup`` carries them.

One current key per purpose: "credential" (Ed25519, Open Badges credentials and status
lists) and "lti" (RSA, LTI 1.3 messages to a platform). A rotation retires the current
key and makes a new one; retired keys stay published, so what they signed still verifies.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from flask import current_app, g, has_request_context
from sqlalchemy import select

import certificates
from course.audit import record_event
from course.db import utcnow, write_transaction
from course.dbutil import insert_ignoring_duplicates
from course.extensions import db
from course.models import SigningKey, User

CREDENTIAL = "credential"
LTI = "lti"
#: Where keys were kept before they moved into the database; read once, then unused.
LEGACY_KEY_FILE = "credential-signing-key.pem"


def _new_credential_key() -> tuple[str, str]:
    pem = _legacy_key() or certificates.generate_signing_key()
    return certificates.multikey_of(certificates.public_key_pem(pem)), pem.decode()


def _legacy_key() -> bytes | None:
    # A key made by an earlier version signed credentials people already hold: adopt it.
    if db.session.scalar(select(SigningKey.id).where(SigningKey.purpose == CREDENTIAL)):
        return None
    path = Path(current_app.instance_path) / LEGACY_KEY_FILE
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def _new_lti_key() -> tuple[str, str]:
    from course.lti.keys import generate_rsa_key

    return generate_rsa_key()


MAKERS: dict[str, Callable[[], tuple[str, str]]] = {CREDENTIAL: _new_credential_key,
                                                    LTI: _new_lti_key}


def _current(purpose: str) -> SigningKey | None:
    return db.session.scalar(
        select(SigningKey).where(SigningKey.purpose == purpose, SigningKey.retired_at.is_(None))
    )


def _insert(purpose: str) -> None:
    kid, pem = MAKERS[purpose]()
    # Two processes making the first key at once: the unique index keeps one.
    insert_ignoring_duplicates(SigningKey, {"purpose": purpose, "kid": kid, "private_pem": pem})


def current_key(purpose: str) -> SigningKey:
    """Return the current key for a purpose, making the first one on first use."""
    key = _current(purpose)
    if key is not None:
        return key
    if has_request_context() and g.get("writes"):
        _insert(purpose)  # already in a write transaction: add to it
    else:
        with write_transaction():
            _insert(purpose)
    return _current(purpose)


def all_keys(purpose: str) -> list[SigningKey]:
    """Return every key of a purpose that was ever current, the current one first."""
    current_key(purpose)
    keys = db.session.scalars(
        select(SigningKey).where(SigningKey.purpose == purpose).order_by(SigningKey.id.desc())
    ).all()
    return sorted(keys, key=lambda key: key.retired_at is not None)


def rotate(purpose: str, actor: User | None, reason: str) -> SigningKey:
    """Retire the current key of a purpose and make a new one; flushes, audited."""
    if purpose not in MAKERS:
        raise ValueError(f"unknown key purpose: {purpose}")
    old = current_key(purpose)
    old.retired_at = utcnow()
    db.session.flush()
    _insert(purpose)
    new = _current(purpose)
    record_event(actor, "key.rotated", "signing_key", new.kid,
                 {"purpose": purpose, "retired": old.kid, "reason": reason})
    return new
