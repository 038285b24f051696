"""Password checks, throttled per account: signing in and confirming it is still you.

Each check has a slow half that hashes and writes nothing (``check_sign_in``,
``check_password``), run before the write transaction so that on SQLite no other writer
waits for argon2, and a quick half run inside it (``record_sign_in``,
``confirm_password``) that re-reads the account under a row lock and records the result.
"""

from __future__ import annotations

import enum
import logging
import math
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

from course.audit import record_event
from course.auth.passwords import hash_password, needs_rehash, verify_password
from course.db import utcnow
from course.extensions import db
from course.models import User
from course.users import find_user_by_email

logger = logging.getLogger(__name__)

#: Consecutive failures allowed before each new attempt has to wait.
THROTTLE_AFTER = 5
#: Consecutive failures that lock the account until a password reset (NIST: at most 100).
LOCK_AFTER = 100
#: The longest wait between attempts, reached after 15 failures.
MAX_WAIT_SECONDS = 15 * 60
#: ``locked_until`` for a lock that only a password reset lifts.
LOCKED_UNTIL_RESET = datetime(9999, 12, 31, tzinfo=UTC)

WRONG_CREDENTIALS = (
    "That e-mail address and password do not match an account. "
    "Please check them and try again, or reset your password."
)
WRONG_CURRENT_PASSWORD = "That is not your current password. Please try again."
LOCKED = (
    "This account is locked after many unsuccessful sign-in attempts, to keep it safe. "
    "To unlock it, reset your password: we will e-mail you a link."
)


class AuthError(Exception):
    """A rule refused the request; ``field`` names the form field it concerns, if any."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class SignInOutcome(enum.Enum):
    """How a sign-in attempt ended."""

    OK = "ok"
    WRONG = "wrong"
    WAIT = "wait"
    LOCKED = "locked"


@dataclass(frozen=True)
class SignIn:
    """The result of a sign-in attempt; ``user`` is set only when it succeeded."""

    outcome: SignInOutcome
    user: User | None = None
    wait_seconds: int = 0

    @property
    def message(self) -> str:
        """What to tell the person, in plain words."""
        if self.outcome is SignInOutcome.WAIT:
            return wait_message(self.wait_seconds)
        if self.outcome is SignInOutcome.LOCKED:
            return LOCKED
        if self.outcome is SignInOutcome.WRONG:
            return WRONG_CREDENTIALS
        return ""


@dataclass(frozen=True)
class PasswordCheck:
    """A password check's slow half, done before anything is written.

    ``refusal`` is set when the attempt was refused before hashing (unknown address,
    locked or waiting account); otherwise ``matched`` says whether the password fits
    ``verified_hash``, and ``new_hash`` holds an upgraded hash to store on success.
    """

    user: User | None
    refusal: SignIn | None = None
    matched: bool = False
    verified_hash: str = ""
    new_hash: str | None = None


def wait_message(seconds: int) -> str:
    """Return the "please wait" message for a throttled account."""
    if seconds < 60:
        span = f"{seconds} second" + ("" if seconds == 1 else "s")
    else:
        minutes = math.ceil(seconds / 60)
        span = f"{minutes} minute" + ("" if minutes == 1 else "s")
    return (
        "There have been several unsuccessful attempts to sign in to this account. "
        f"To keep it safe, please wait {span} and try again, or reset your password."
    )


def is_locked(user: User, now: datetime) -> bool:
    """Return True while the account is locked."""
    return user.locked_until is not None and user.locked_until > now


def wait_seconds(user: User, now: datetime) -> int:
    """Return how many seconds the account must wait before its next attempt (0: none)."""
    failures = user.failed_login_count
    if failures < THROTTLE_AFTER or user.last_failed_login_at is None:
        return 0
    delay = min(2 ** (failures - THROTTLE_AFTER), MAX_WAIT_SECONDS)
    remaining = (user.last_failed_login_at + timedelta(seconds=delay) - now).total_seconds()
    return max(0, math.ceil(remaining))


def clear_failures(user: User) -> None:
    """Forget the account's failed attempts and lift any lock (a password was proven)."""
    user.failed_login_count = 0
    user.last_failed_login_at = None
    user.locked_until = None


# --- signing in ------------------------------------------------------------------------


def check_sign_in(email: str, password: str) -> PasswordCheck:
    """Read the account, refuse it when locked or waiting, then verify the password.

    Nothing is written, so the caller runs this before its write transaction: hashing
    takes tens of milliseconds and, on SQLite, every other writer would wait for it.
    An unknown address costs one hash, like a wrong password, and gets the same answer.
    """
    user = find_user_by_email(email)
    if user is None or not user.is_active:
        verify_password(_dummy_hash(), password)
        return PasswordCheck(None, refusal=SignIn(SignInOutcome.WRONG))
    return check_password(user, password)


def record_sign_in(check: PasswordCheck, *, ip_address: str | None = None) -> SignIn:
    """Record a checked sign-in: count a failure, or clear the failures on success."""
    if check.refusal is not None or check.user is None:
        return check.refusal or SignIn(SignInOutcome.WRONG)
    now = utcnow()
    result = _record(check, now, ip_address)
    if result.user is not None:
        result.user.last_login_at = now
        db.session.flush()
    return result


# --- confirming it is still you --------------------------------------------------------


def check_password(user: User, password: str) -> PasswordCheck:
    """Verify a signed-in person's password (or a sign-in's), writing nothing.

    A locked or waiting account is refused before hashing, as at sign-in.
    """
    refusal = _refusal(user, utcnow())
    if refusal is not None:
        return PasswordCheck(user, refusal=refusal)
    stored = user.password_hash
    if not verify_password(stored, password or ""):
        return PasswordCheck(user, verified_hash=stored)
    new_hash = hash_password(password) if needs_rehash(stored) else None
    return PasswordCheck(user, matched=True, verified_hash=stored, new_hash=new_hash)


def confirm_password(
    check: PasswordCheck, *, ip_address: str | None = None, field: str = "current_password"
) -> None:
    """Record a checked password; refuse unless it matched.

    A wrong password counts towards the throttle, so the caller commits on refusal too
    (``write_transaction(commit_on=AuthError)``).

    :raise AuthError: when the password is wrong, or the account must wait or is locked.
    """
    if check.refusal is not None:
        raise AuthError(check.refusal.message, field)
    result = _record(check, utcnow(), ip_address)
    if result.outcome is SignInOutcome.WRONG:
        raise AuthError(WRONG_CURRENT_PASSWORD, field)
    if result.outcome is not SignInOutcome.OK:
        raise AuthError(result.message, field)


# --- shared ----------------------------------------------------------------------------


def _record(check: PasswordCheck, now: datetime, ip_address: str | None) -> SignIn:
    """Record a check against the account re-read under a row lock.

    Of parallel attempts on one account each sees the failures recorded before it, and
    an attempt that finished hashing after the account locked is refused.
    """
    user = check.user
    assert user is not None  # only checks without a refusal are recorded
    _lock_row(user)
    if not user.is_active or user.password_hash != check.verified_hash:
        # Deactivated, or the password was changed while this attempt was hashing.
        return SignIn(SignInOutcome.WRONG)
    refusal = _refusal(user, now)
    if refusal is not None:
        return refusal
    if not check.matched:
        _record_failure(user, now, ip_address)
        locked = is_locked(user, now)
        return SignIn(SignInOutcome.LOCKED if locked else SignInOutcome.WRONG)
    clear_failures(user)
    if check.new_hash is not None:
        user.password_hash = check.new_hash
    db.session.flush()
    return SignIn(SignInOutcome.OK, user=user)


def _refusal(user: User, now: datetime) -> SignIn | None:
    if is_locked(user, now):
        return SignIn(SignInOutcome.LOCKED)
    wait = wait_seconds(user, now)
    return SignIn(SignInOutcome.WAIT, wait_seconds=wait) if wait else None


def _record_failure(user: User, now: datetime, ip_address: str | None) -> None:
    user.failed_login_count += 1
    user.last_failed_login_at = now
    if user.failed_login_count >= LOCK_AFTER and not is_locked(user, now):
        user.locked_until = LOCKED_UNTIL_RESET
        detail = {"failed_logins": user.failed_login_count}
        record_event(None, "auth.account_locked", "user", user.id, detail, ip_address)
        logger.warning("Account %s locked after %s failed sign-ins", user.id, LOCK_AFTER)
    db.session.flush()


def _lock_row(user: User) -> None:
    # Re-read the counters under a row lock (PostgreSQL), so that parallel attempts on one
    # account queue up and each sees the failures before it. SQLite already serialises
    # writing requests with BEGIN IMMEDIATE.
    db.session.refresh(user, with_for_update=True)


@cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))
