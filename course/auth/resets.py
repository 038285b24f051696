"""Password reset by emailed link: signed, expiring, and good for one use."""

from __future__ import annotations

import enum
import hashlib
import logging
from collections.abc import Callable

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from course import secretkeys
from course.audit import record_event
from course.auth import throttle
from course.auth.services import set_password_hash
from course.auth.signin import Client, clear_failures
from course.auth.throttle import Scope
from course.db import utcnow
from course.extensions import db
from course.mail import send_mail
from course.models import User
from course.users import find_user_by_email, normalise_email

logger = logging.getLogger(__name__)

RESET_SALT = "course.auth.password-reset"


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


def _serializer() -> URLSafeTimedSerializer:
    return secretkeys.serializer(RESET_SALT)


def _fingerprint(user: User) -> str:
    # Changes whenever the password (or session version) does, so a link works once; and
    # with the address, so a link sent to a mailbox the account has left no longer works.
    material = f"{user.password_hash}:{user.session_version}:{user.email}".encode()
    return hashlib.sha256(material).hexdigest()[:32]


def make_reset_token(user: User) -> str:
    """Return a signed, expiring, single-use token for resetting this user's password."""
    return _serializer().dumps({"uid": user.id, "fp": _fingerprint(user)})


def user_for_reset_token(token: str, *, lock: bool = False) -> User:
    """Return the account a reset token belongs to.

    With ``lock`` the account is read again under a row lock, so of two uses of one
    link racing each other the second finds it used.

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
    if user is not None and lock:
        db.session.refresh(user, with_for_update=True)
    if user is None or not user.is_active or data.get("fp") != _fingerprint(user):
        raise ResetLinkError(ResetLinkProblem.USED)
    if not user.signs_in_with_password:  # opened from an LMS: it never gets a password
        raise ResetLinkError(ResetLinkProblem.INVALID)
    return user


def send_password_reset(
    email: str, *, link_for: Callable[[str], str], client: Client | None = None
) -> bool:
    """Queue a reset link when an active account has this address; say nothing otherwise.

    ``link_for`` turns a token into the full link. Returns True when a mail was queued;
    the caller commits. Every request counts against its address, known or not, and an
    address gets at most five links until a day passes without a request, so nobody can
    flood a mailbox from here; except from a browser that signed in to the account
    before (``client``'s device cookie), so that a stranger asking once a day cannot keep
    the owner from ever resetting the password.
    """
    asked = throttle.record_failure(
        throttle.key(Scope.RESET, normalise_email(email)), utcnow()).failures
    user = find_user_by_email(email)
    if user is None or not user.is_active:
        logger.info("Password reset asked for an address with no active account")
        return False
    own_browser = client is not None and user.id in client.devices
    if asked > throttle.FREE_FAILURES[Scope.RESET] and not own_browser:
        logger.warning("Password reset not sent: %s asked for this address today", asked)
        return False
    mail_reset_link(user, link_for)
    return True


def mail_reset_link(user: User, link_for: Callable[[str], str]) -> None:
    """Queue the reset email for ``user`` (an LMS account is told how it signs in instead).

    No limit applies here: ``send_password_reset`` keeps strangers' requests in check,
    and an administrator's sending is audited by the caller.
    """
    config = current_app.config
    if not user.signs_in_with_password:
        # An account opened from an agency's LMS has no password and never gets one (a
        # reset would let anyone at a launched session sign in directly, whatever the LMS
        # later does): its owner is told how they sign in instead.
        send_mail(user.email, f"Signing in to {config['SITE_NAME']}", (
            f"Hello {user.full_name},\n\nSomeone, probably you, asked to reset the password "
            f"for your account on {config['SITE_NAME']}. Your account opens from your "
            "agency's learning management system (LMS) and has no password: open the course "
            "from the LMS as before. If you did not ask for this, you can ignore this email.\n"
        ))  # fmt: skip
        return
    minutes = config["PASSWORD_RESET_MINUTES"]
    body = (
        f"Hello {user.full_name},\n\n"
        f"Someone, probably you, asked to reset the password for your account on "
        f"{config['SITE_NAME']}. To choose a new password, open this link within "
        f"{minutes} minutes:\n\n"
        f"{link_for(make_reset_token(user))}\n\n"
        "The link works once. If you did not ask for this, you can ignore this email: "
        "your password stays the same.\n"
    )
    send_mail(user.email, f"Reset your password for {config['SITE_NAME']}", body)


def reset_password(token: str, password_hash: str, *, ip_address: str | None = None) -> User:
    """Use a reset link: store the new password's hash, unlock the account, end its sessions.

    ``password_hash`` comes from ``services.check_new_password``, run before the write
    transaction. The link is checked again here, under the account's row lock.

    :raise ResetLinkError: when the link has expired or was used in the meantime.
    """
    user = user_for_reset_token(token, lock=True)
    set_password_hash(user, password_hash)
    clear_failures(user)
    record_event(user, "auth.password_reset", "user", user.id, ip_address=ip_address)
    db.session.flush()
    return user
