"""How two-step verification's secrets are kept: the app's secret encrypted, recovery
codes as hashes behind a short tag, each under a key derived from ``SECRET_KEY`` for
that purpose alone and honoring ``SECRET_KEY_FALLBACKS``.

A secret read under a retired key is stored again under the current one, so the
fallback can be dropped later. A tag names the key it was made under; under a key since
dropped it filters nothing, and the code is checked by its hash alone.
"""

from __future__ import annotations

import hashlib
import hmac

from cryptography.fernet import InvalidToken
from sqlalchemy import select

from course import secretkeys
from course.audit import record_event
from course.extensions import db
from course.models import RecoveryCode, SecondFactor

SECRET_PURPOSE = b"second-factor secret"
RECOVERY_PURPOSE = b"second-factor recovery codes"
#: How a tagged recovery code hash begins: "tag:", the id of the key that made the tag
#: and ":" (none in codes made before tags named their key), 4 hex digits, then the
#: argon2id hash.
TAGGED = "tag:"


def encrypt(secret: str) -> str:
    """Return the app's secret encrypted under the current key."""
    return secretkeys.fernet(SECRET_PURPOSE).encrypt(secret.encode()).decode()


def decrypt(factor: SecondFactor) -> str:
    """Return the app's secret; one under a retired key is stored under the current one.

    :raise InvalidToken: when no key configured now can read it.
    """
    stored = factor.secret.encode()
    try:
        return secretkeys.current_fernet(SECRET_PURPOSE).decrypt(stored).decode()
    except InvalidToken:
        secret = secretkeys.fernet(SECRET_PURPOSE).decrypt(stored).decode()
    factor.secret = encrypt(secret)
    return secret


def tags(user_id: int, typed: str) -> dict[str, str]:
    """The code's tag under each secret key, by the key's id (the current first), for
    this account only."""
    message = f"{user_id}:{typed}".encode()
    # 16 bits: enough to pass over nearly every stored code, too few to test one offline.
    return {hmac.new(key, b"key id", hashlib.sha256).hexdigest()[:4]:
            hmac.new(key, message, hashlib.sha256).hexdigest()[:4]
            for key in secretkeys.derived_keys(RECOVERY_PURPOSE)}  # fmt: skip


def current_tag(user_id: int, typed: str) -> str:
    """How a new code's stored hash begins: "tag:", the key's id, ":", the tag."""
    return TAGGED + ":".join(next(iter(tags(user_id, typed).items())))


def may_be(stored_tag: str, typed_tags: dict[str, str]) -> bool:
    """Whether a stored code's tag leaves it worth hashing the typed code against."""
    if not stored_tag:  # stored before codes had a tag
        return True
    key_id, _, tag = stored_tag.removeprefix(TAGGED).rpartition(":")
    if not key_id:  # tagged before tags named their key: under a key still kept
        return tag in typed_tags.values()
    # Under a key since dropped the tag tells nothing, and the hash alone decides: codes
    # outlive a key change (a wrong try then costs a hash for each such code).
    return typed_tags.get(key_id, tag) == tag


def store_all_under_current_key(reason: str) -> tuple[int, int, int]:
    """Store every secret read under a retired key under the current one, and leave the
    previous release's recovery codes to their hash (``untag_codes_naming_no_key``).

    Return how many secrets were moved, how many no key configured now can read, and how
    many recovery codes were untagged. Audited, with ``reason``.
    """
    moved = unreadable = 0
    for factor in db.session.scalars(select(SecondFactor).with_for_update()):
        before = factor.secret
        try:
            decrypt(factor)
        except InvalidToken:
            unreadable += 1
        moved += factor.secret != before
    untagged = untag_codes_naming_no_key()
    record_event(None, "key.secrets_moved", "secret_key", "current",
                 {"moved": moved, "unreadable": unreadable,
                  "recovery_codes_untagged": untagged, "reason": reason})
    db.session.flush()
    return moved, unreadable, untagged


def untag_codes_naming_no_key() -> int:
    """Leave unused recovery codes whose tag names no key to their hash alone; return how
    many.

    The release before tags named their key tagged them under whichever key was current
    then, which a tag without its id cannot tell: once that key is dropped the tag would
    refuse the right code. Checked by the hash alone, each keeps working until used or
    replaced (a wrong try for such an account then costs a hash for each of them).
    """
    untagged = 0
    rows = db.session.scalars(select(RecoveryCode).where(
        RecoveryCode.used_at.is_(None), RecoveryCode.code_hash.startswith(TAGGED)))
    for row in rows:
        tag, _, stored = row.code_hash.rpartition("$argon2")
        if ":" not in tag.removeprefix(TAGGED):
            row.code_hash = f"$argon2{stored}"
            untagged += 1
    db.session.flush()
    return untagged
