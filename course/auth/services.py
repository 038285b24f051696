"""Account rules: sign-up, throttled sign-in, sign-out, profile, passwords and reset links.

Functions here take and return models or small frozen dataclasses, never the request.
They flush; the caller commits once. Failed sign-in counters are changed even when a
function refuses, so the caller commits on refusal too.
"""

from __future__ import annotations

import enum
import hashlib
import logging
import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from course.auth.browsers import end_other_browser_sessions
from course.auth.passwords import hash_password, needs_rehash, verify_password
from course.auth.policy import password_problem
from course.db import utcnow
from course.extensions import db
from course.mail import send_mail
from course.models import AuditEvent, User
from course.users import create_user, find_user_by_email, normalise_email

logger = logging.getLogger(__name__)

#: Consecutive failures allowed before each new attempt has to wait.
THROTTLE_AFTER = 5
#: Consecutive failures that lock the account until a password reset (NIST: at most 100).
LOCK_AFTER = 100
#: The longest wait between attempts, reached after 15 failures.
MAX_WAIT_SECONDS = 15 * 60
#: ``locked_until`` for a lock that only a password reset lifts.
LOCKED_UNTIL_RESET = datetime(9999, 12, 31, tzinfo=UTC)

RESET_SALT = "course.auth.password-reset"

WRONG_CREDENTIALS = (
    "That e-mail address and password do not match an account. "
    "Please check them and try again, or reset your password."
)
ADDRESS_TAKEN = (
    "An account with this e-mail address already exists. "
    "You can sign in, or reset your password if you have forgotten it."
)
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


class ResetLinkProblem(enum.StrEnum):
    """Why a password-reset link cannot be used."""

    EXPIRED = "expired"
    USED = "used"
    INVALID = "invalid"


class ResetLinkError(Exception):
    """A password-reset link that has expired, was used already, or was damaged."""

    def __init__(self, problem: ResetLinkProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


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
class AccountDetails:
    """What a person tells us about themselves; the name is printed on certificates."""

    full_name: str
    email: str
    licence_number: str | None = None
    licence_jurisdiction: str | None = None
    profession: str | None = None


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


# --- throttling ------------------------------------------------------------------------


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


def _record_failure(user: User, now: datetime, ip_address: str | None) -> None:
    user.failed_login_count += 1
    user.last_failed_login_at = now
    if user.failed_login_count >= LOCK_AFTER and not is_locked(user, now):
        user.locked_until = LOCKED_UNTIL_RESET
        _audit(None, user, "auth.account_locked", ip_address, failed_logins=user.failed_login_count)
        logger.warning("Account %s locked after %s failed sign-ins", user.id, LOCK_AFTER)
    db.session.flush()


def _lock_row(user: User) -> None:
    # Re-read the counters under a row lock (PostgreSQL), so that parallel attempts on one
    # account queue up and each sees the failures before it. SQLite already serialises
    # writing requests with BEGIN IMMEDIATE.
    db.session.refresh(user, with_for_update=True)


def _clear_failures(user: User) -> None:
    user.failed_login_count = 0
    user.last_failed_login_at = None
    user.locked_until = None


@cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class PasswordCheck:
    """A sign-in's slow half, done before anything is written.

    ``refusal`` is set when the attempt was refused before hashing (unknown address,
    locked or waiting account); otherwise ``matched`` says whether the password fits
    ``verified_hash``, and ``new_hash`` holds an upgraded hash to store on success.
    """

    user: User | None
    refusal: SignIn | None = None
    matched: bool = False
    verified_hash: str = ""
    new_hash: str | None = None


def check_sign_in(email: str, password: str) -> PasswordCheck:
    """Read the account, refuse it when locked or waiting, then verify the password.

    Nothing is written, so the caller runs this before its write transaction: hashing
    takes tens of milliseconds and, on SQLite, every other writer would wait for it.
    An unknown address costs one hash, like a wrong password, and gets the same answer.
    """
    now = utcnow()
    user = find_user_by_email(email)
    if user is None or not user.is_active:
        verify_password(_dummy_hash(), password)
        return PasswordCheck(None, refusal=SignIn(SignInOutcome.WRONG))
    refusal = _refusal(user, now)
    if refusal is not None:
        return PasswordCheck(user, refusal=refusal)
    stored = user.password_hash
    if not verify_password(stored, password):
        return PasswordCheck(user, verified_hash=stored)
    new_hash = hash_password(password) if needs_rehash(stored) else None
    return PasswordCheck(user, matched=True, verified_hash=stored, new_hash=new_hash)


def record_sign_in(check: PasswordCheck, *, ip_address: str | None = None) -> SignIn:
    """Record a checked sign-in: count a failure, or clear the failures on success.

    The counters are read again under a row lock and the account checked again, so of
    parallel attempts on one account each sees the failures recorded before it, and an
    attempt that finished hashing after the account locked is refused.
    """
    if check.refusal is not None or check.user is None:
        return check.refusal or SignIn(SignInOutcome.WRONG)
    user, now = check.user, utcnow()
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
    _clear_failures(user)
    user.last_login_at = now
    if check.new_hash is not None:
        user.password_hash = check.new_hash
    db.session.flush()
    return SignIn(SignInOutcome.OK, user=user)


def _refusal(user: User, now: datetime) -> SignIn | None:
    if is_locked(user, now):
        return SignIn(SignInOutcome.LOCKED)
    wait = wait_seconds(user, now)
    return SignIn(SignInOutcome.WAIT, wait_seconds=wait) if wait else None


def _check_current_password(user: User, password: str, ip_address: str | None) -> None:
    """Refuse unless ``password`` is the account's password; throttled like sign-in."""
    field = "current_password"
    now = utcnow()
    _lock_row(user)
    refusal = _refusal(user, now)
    if refusal is not None:
        raise AuthError(refusal.message, field)
    if not verify_password(user.password_hash, password or ""):
        _record_failure(user, now, ip_address)
        raise AuthError("That is not your current password. Please try again.", field)
    _clear_failures(user)


# --- accounts --------------------------------------------------------------------------


def check_registration(details: AccountDetails, password: str) -> str:
    """Refuse a taken address or a disallowed password; return the password's hash.

    Nothing is written, so the caller runs this before its write transaction: on
    SQLite every other writer would otherwise wait for the hash.

    :raise AuthError: when the address is taken or the password is not allowed.
    """
    if find_user_by_email(details.email) is not None:
        raise AuthError(ADDRESS_TAKEN, "email")
    problem = password_problem(password, email=details.email, full_name=details.full_name)
    if problem:
        raise AuthError(problem, "password")
    return hash_password(password)


def register(details: AccountDetails, password_hash: str) -> User:
    """Create a learner account from a checked registration and count it as signed in.

    :raise AuthError: when the address was taken in the meantime.
    """
    try:
        user = create_user(
            email=details.email,
            password_hash=password_hash,
            full_name=details.full_name,
            licence_number=_clean(details.licence_number),
            licence_jurisdiction=_clean(details.licence_jurisdiction),
            profession=_clean(details.profession),
        )
    except ValueError as exc:
        raise AuthError(ADDRESS_TAKEN, "email") from exc
    user.last_login_at = utcnow()
    db.session.flush()
    return user


def update_profile(
    user: User,
    details: AccountDetails,
    *,
    current_password: str | None = None,
    ip_address: str | None = None,
) -> User:
    """Save the profile; a new e-mail address needs the current password.

    :raise AuthError: when the password is missing or wrong, or the address is taken.
    """
    new_email = normalise_email(details.email)
    old_email = user.email
    if new_email != old_email:
        if not current_password:
            raise AuthError(
                "To change your e-mail address, please enter your current password.",
                "current_password",
            )
        _check_current_password(user, current_password, ip_address)
        if find_user_by_email(new_email) is not None:
            raise AuthError("Another account already uses that e-mail address.", "email")
        user.email = new_email
        _audit(user, user, "auth.email_changed", ip_address, old=old_email, new=new_email)
    user.full_name = details.full_name.strip()
    user.licence_number = _clean(details.licence_number)
    user.licence_jurisdiction = _clean(details.licence_jurisdiction)
    user.profession = _clean(details.profession)
    db.session.flush()
    if new_email != old_email:
        _notify_email_changed(user, old_email)
    return user


def change_password(
    user: User, current_password: str, new_password: str, *, ip_address: str | None = None
) -> User:
    """Replace the password after checking the current one; other sessions end.

    :raise AuthError: when the current password is wrong or the new one is not allowed.
    """
    _check_current_password(user, current_password, ip_address)
    _set_password(user, new_password, "new_password")
    end_other_browser_sessions(user)
    _audit(user, user, "auth.password_changed", ip_address)
    db.session.flush()
    return user


def _set_password(user: User, password: str, field: str) -> None:
    problem = password_problem(password, email=user.email, full_name=user.full_name)
    if problem:
        raise AuthError(problem, field)
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    # A new session version signs out every device and voids outstanding reset links.
    user.session_version += 1


# --- password reset --------------------------------------------------------------------


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=RESET_SALT)


def _fingerprint(user: User) -> str:
    # Changes whenever the password (or session version) does, so a link works once.
    material = f"{user.password_hash}:{user.session_version}".encode()
    return hashlib.sha256(material).hexdigest()[:32]


def make_reset_token(user: User) -> str:
    """Return a signed, expiring, single-use token for resetting this user's password."""
    return _serializer().dumps({"uid": user.id, "fp": _fingerprint(user)})


def user_for_reset_token(token: str) -> User:
    """Return the account a reset token belongs to.

    :raise ResetLinkError: when the token has expired, was used or is damaged.
    """
    max_age = current_app.config["PASSWORD_RESET_MINUTES"] * 60
    try:
        data = _serializer().loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise ResetLinkError(ResetLinkProblem.EXPIRED) from exc
    except BadSignature as exc:
        raise ResetLinkError(ResetLinkProblem.INVALID) from exc
    if not isinstance(data, dict) or not isinstance(data.get("uid"), int):
        raise ResetLinkError(ResetLinkProblem.INVALID)
    user = db.session.get(User, data["uid"])
    if user is None or not user.is_active or data.get("fp") != _fingerprint(user):
        raise ResetLinkError(ResetLinkProblem.USED)
    return user


def send_password_reset(email: str, *, link_for: Callable[[str], str]) -> bool:
    """E-mail a reset link when an active account has this address; say nothing otherwise.

    ``link_for`` turns a token into the full link. Returns True when a mail went out.
    """
    user = find_user_by_email(email)
    if user is None or not user.is_active:
        logger.info("Password reset asked for an address with no active account")
        return False
    config = current_app.config
    minutes = config["PASSWORD_RESET_MINUTES"]
    body = (
        f"Hello {user.full_name},\n\n"
        f"Someone, probably you, asked to reset the password for your account on "
        f"{config['SITE_NAME']}. To choose a new password, open this link within "
        f"{minutes} minutes:\n\n"
        f"{link_for(make_reset_token(user))}\n\n"
        "The link works once. If you did not ask for this, you can ignore this e-mail: "
        "your password stays the same.\n"
    )
    return send_mail(user.email, f"Reset your password for {config['SITE_NAME']}", body)


def reset_password(user: User, new_password: str, *, ip_address: str | None = None) -> User:
    """Set a new password from a reset link; unlock the account and end its sessions.

    :raise AuthError: when the new password is not allowed.
    """
    _set_password(user, new_password, "new_password")
    _clear_failures(user)
    _audit(user, user, "auth.password_reset", ip_address)
    db.session.flush()
    return user


# --- helpers ---------------------------------------------------------------------------


def _clean(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def _audit(
    actor: User | None, user: User, action: str, ip_address: str | None, **detail: Any
) -> None:
    db.session.add(
        AuditEvent(
            actor_id=actor.id if actor else None,
            action=action,
            subject_type="user",
            subject_id=str(user.id),
            detail=detail,
            ip_address=ip_address,
        )
    )


def _notify_email_changed(user: User, old_email: str) -> None:
    site = current_app.config["SITE_NAME"]
    body = (
        f"Hello {user.full_name},\n\n"
        f"The e-mail address for your account on {site} was changed to {user.email}.\n\n"
        "If you made this change, there is nothing more to do. If you did not, please "
        "contact the course provider straight away.\n"
    )
    send_mail(old_email, f"Your e-mail address on {site} was changed", body)
