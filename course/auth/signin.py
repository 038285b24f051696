"""Password checks, throttled without lockouts: signing in and confirming it is still you.

Each check has a slow half that hashes and writes nothing (``check_sign_in``,
``check_password``), run before the write transaction so that on SQLite no other writer
waits for argon2, and a quick half run inside it (``record_sign_in``,
``confirm_password``) that re-reads the account under a row lock and records the result.
Failures are counted per address and email pair, per email from unknown browsers, and
per trusted browser (``course.auth.throttle``); no number of failures locks an account.
"""

from __future__ import annotations

import enum
import logging
import math
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache

from course.audit import record_event
from course.auth import throttle
from course.auth.passwords import hash_password, needs_rehash, verify_password
from course.auth.throttle import Key, Scope
from course.db import utcnow
from course.extensions import db
from course.models import User
from course.users import find_user_by_email, normalise_email

logger = logging.getLogger(__name__)

WRONG_CREDENTIALS = (
    "That email address and password do not match an account. "
    "Please check them and try again, or reset your password."
)
WRONG_CURRENT_PASSWORD = "That is not your current password. Please try again."


@dataclass(frozen=True)
class Client:
    """Where a password check comes from: the network address, and the device tokens
    this browser holds from earlier sign-ins (account id to token)."""

    ip_address: str | None = None
    devices: Mapping[int, str] = field(default_factory=dict)


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
        if self.outcome is SignInOutcome.WRONG:
            return WRONG_CREDENTIALS
        return ""


@dataclass(frozen=True)
class PasswordCheck:
    """A password check's slow half, done before anything is written.

    ``refusal`` is set when the attempt was refused before hashing (it must wait);
    otherwise ``matched`` says whether the password fits ``verified_hash``, and
    ``new_hash`` holds an upgraded hash to store on success. ``counters`` are the
    throttle keys the attempt counts against; ``device`` is set when it comes from a
    browser the account signed in from before.
    """

    user: User | None
    counters: tuple[Key, ...] = ()
    device: Key | None = None
    refusal: SignIn | None = None
    matched: bool = False
    verified_hash: str = ""
    new_hash: str | None = None


def wait_message(seconds: int) -> str:
    """Return the "please wait" message for a throttled email address."""
    if seconds < 60:
        span = f"{seconds} second" + ("" if seconds == 1 else "s")
    else:
        minutes = math.ceil(seconds / 60)
        span = f"{minutes} minute" + ("" if minutes == 1 else "s")
    return (
        "There have been several unsuccessful attempts to sign in with this email "
        f"address. To keep the account safe, please wait {span} and try again, or reset "
        "your password. A browser you have signed in with before is not held up."
    )


def _counters(email: str, client: Client, user: User | None) -> tuple[tuple[Key, ...], Key | None]:
    """Return the throttle keys of an attempt: (pair, account) and the device's, if any."""
    email = normalise_email(email)
    pair = throttle.key(Scope.PAIR, email, client.ip_address or "")
    account = throttle.key(Scope.ACCOUNT, email)
    token = client.devices.get(user.id) if user is not None else None
    device = throttle.key(Scope.DEVICE, str(user.id), token) if user and token else None
    return (pair, account), device


def _refusal(
    counters: tuple[Key, ...], device: Key | None, now: datetime
) -> tuple[SignIn | None, Key | None]:
    """Return the refusal for an attempt that must wait, and the device key if trusted.

    A trusted browser is held up by its own counter only; when that one must wait, the
    browser is counted like any other.
    """
    found = throttle.waits([*counters, *([device] if device else [])], now)
    if device is not None and not found[Scope.DEVICE]:
        return None, device
    wait = max(found[counter.scope] for counter in counters)
    return (SignIn(SignInOutcome.WAIT, wait_seconds=wait) if wait else None), None


def is_trusted_browser(email: str, client: Client) -> bool:
    """Return True when this browser signed in to the account before and is not held up."""
    user = find_user_by_email(email)
    if user is None or not user.is_active or user.id not in client.devices:
        return False
    counters, device = _counters(email, client, user)
    return _refusal(counters, device, utcnow())[1] is not None


# --- signing in ------------------------------------------------------------------------


def check_sign_in(email: str, password: str, client: Client | None = None) -> PasswordCheck:
    """Read the counters, refuse an attempt that must wait, then verify the password.

    Nothing is written, so the caller runs this before its write transaction: hashing
    takes tens of milliseconds and, on SQLite, every other writer would wait for it.
    An unknown address is counted, refused and hashed like a known one and gets the
    same answer.
    """
    client = client or Client()
    user = find_user_by_email(email)
    if user is not None and not (user.is_active and user.signs_in_with_password):
        # No password can open it (closed, or opened from an LMS): answered as unknown,
        # after the same hashing, so the time taken does not tell the two apart.
        user = None
    counters, device = _counters(email, client, user)
    refusal, device = _refusal(counters, device, utcnow())
    if refusal is not None:
        return PasswordCheck(user, counters, refusal=refusal)
    if user is None:
        verify_password(_dummy_hash(), password)
        return PasswordCheck(None, counters, device)
    return _verify(user, password, counters, device)


def record_sign_in(check: PasswordCheck, *, ip_address: str | None = None) -> SignIn:
    """Record a checked sign-in: count a failure, or clear the counters on success.

    The account's last sign-in is stamped when its session starts (``start_session``).
    """
    if check.refusal is not None:
        return check.refusal
    return _record(check, utcnow(), ip_address)


# --- confirming it is still you --------------------------------------------------------


def check_password(user: User, password: str, client: Client | None = None) -> PasswordCheck:
    """Verify a signed-in person's password, writing nothing; throttled as at sign-in."""
    client = client or Client()
    counters, device = _counters(user.email, client, user)
    refusal, device = _refusal(counters, device, utcnow())
    if refusal is not None:
        return PasswordCheck(user, counters, refusal=refusal)
    return _verify(user, password, counters, device)


def confirm_password(
    check: PasswordCheck, *, ip_address: str | None = None, field: str = "current_password"
) -> None:
    """Record a checked password; refuse unless it matched.

    A wrong password counts towards the throttle, so the caller commits on refusal too
    (``write_transaction(commit_on=AuthError)``).

    :raise AuthError: when the password is wrong, or the attempt must wait.
    """
    if check.refusal is not None:
        raise AuthError(check.refusal.message, field)
    result = _record(check, utcnow(), ip_address)
    if result.outcome is SignInOutcome.WRONG:
        raise AuthError(WRONG_CURRENT_PASSWORD, field)
    if result.outcome is not SignInOutcome.OK:
        raise AuthError(result.message, field)


def clear_failures(user: User) -> None:
    """Forget the failures and reset requests counted on the account's email address."""
    email = normalise_email(user.email)
    throttle.clear([throttle.key(Scope.ACCOUNT, email), throttle.key(Scope.RESET, email)])


# --- shared ----------------------------------------------------------------------------


def _verify(
    user: User, password: str, counters: tuple[Key, ...], device: Key | None
) -> PasswordCheck:
    stored = user.password_hash
    if not verify_password(stored, password or ""):
        return PasswordCheck(user, counters, device, verified_hash=stored)
    new_hash = hash_password(password) if needs_rehash(stored) else None
    return PasswordCheck(
        user, counters, device, matched=True, verified_hash=stored, new_hash=new_hash
    )


def _record(check: PasswordCheck, now: datetime, ip_address: str | None) -> SignIn:
    """Record a check, re-reading the account under a row lock and the counters afresh.

    Of parallel attempts on one account each sees the failures recorded before it, and
    an attempt that finished hashing after its counters reached a wait is refused.
    """
    user = check.user
    if user is not None:
        _lock_row(user)
        if not user.is_active or user.password_hash != check.verified_hash:
            # Deactivated, or the password was changed while this attempt was hashing.
            return SignIn(SignInOutcome.WRONG)
    refusal, device = _refusal(check.counters, check.device, now)
    if refusal is not None:
        return refusal
    if not check.matched or user is None:
        _record_failure(check, device, now, user, ip_address)
        return SignIn(SignInOutcome.WRONG)
    throttle.clear([*check.counters, *([device] if device else [])])
    if check.new_hash is not None:
        user.password_hash = check.new_hash
    db.session.flush()
    return SignIn(SignInOutcome.OK, user=user)


def _record_failure(
    check: PasswordCheck, device: Key | None, now: datetime, user: User | None, ip: str | None
) -> None:
    # A trusted browser's failures count against it alone, so that strangers' guesses
    # elsewhere never hold it up; every other browser counts against the address pair
    # and the email address.
    for counter in [device] if device else check.counters:
        scope = counter.scope
        count = throttle.record_failure(counter, now)
        # "Reached", not "equals": a count a retired key hands over can jump past it.
        if count.reached(throttle.FREE_FAILURES[scope]):
            logger.warning("Sign-in attempts now wait: %s failures (%s) from %s",
                           count.failures, scope.value, ip)
            if user is not None:
                detail = {"scope": scope.value, "failures": count.failures}
                record_event(None, "auth.sign_in_throttled", "user", user.id, detail, ip)
    db.session.flush()


def _lock_row(user: User) -> None:
    # Re-read the account under a row lock (PostgreSQL), so that parallel attempts on one
    # account queue up and each sees the failures before it. SQLite already serialises
    # writing requests with BEGIN IMMEDIATE.
    db.session.refresh(user, with_for_update=True)


@cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))
