"""Password hashing with argon2id at (at least) OWASP's recommended parameters."""

from __future__ import annotations

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context

# OWASP Password Storage Cheat Sheet minimum for argon2id: m=19 MiB, t=2, p=1.
_OWASP = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
# argon2-cffi's profile for test suites: still argon2id, at the lowest cost. Hashing at
# full cost was a fifth of the in-process tests' CPU. Only a testing app may use it.
_CHEAPEST = PasswordHasher.from_parameters(profiles.CHEAPEST)

#: Longer input is never hashed: argon2 spent 480 ms on a 4 MB "password". New passwords
#: are held to a shorter limit (course.auth.policy); this bounds every sign-in.
MAX_PASSWORD_CHARS = 1024
TOO_LONG = "A password can have at most 1,024 characters."


def _hasher() -> PasswordHasher:
    if has_app_context() and current_app.testing:
        if current_app.config.get("PASSWORD_HASHING") == "cheapest":
            return _CHEAPEST
    return _OWASP


def hash_password(password: str) -> str:
    """Return an argon2id hash of the password.

    :raise ValueError: for a password over MAX_PASSWORD_CHARS (forms refuse it first).
    """
    if len(password) > MAX_PASSWORD_CHARS:
        raise ValueError(TOO_LONG)
    return _hasher().hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """Return True when the password matches the stored hash (never for an overlong one)."""
    if len(password) > MAX_PASSWORD_CHARS:
        return False
    try:
        return _hasher().verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """Return True when the hash was made with weaker parameters than today's."""
    return _hasher().check_needs_rehash(stored_hash)
