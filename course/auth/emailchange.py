"""A new email address takes effect from a link sent to it, and says nothing of others.

The profile never says whether another account uses an address: a free address gets a
link that makes the change, a taken one gets a note to its owner, and the person sees
"we sent a link to the new address" either way. The link is signed and bound to the
account's current address and session version, so it dies with any other change.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from course import secretkeys
from course.audit import record_event
from course.extensions import db
from course.mail import reaches_nobody, send_mail
from course.models import User
from course.users import find_user_by_email, normalise_email

SALT = "course.auth.email-change"


class EmailLinkProblem(enum.StrEnum):
    """Why an email change link cannot be used."""

    EXPIRED = "expired"
    USED = "used"
    TAKEN = "taken"
    INVALID = "invalid"


class EmailLinkError(Exception):
    """An email change link that expired, was used, or whose address got taken."""

    def __init__(self, problem: EmailLinkProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


@dataclass(frozen=True)
class EmailChange:
    """A checked email change link: whose account, and the address it moves to."""

    user: User
    new_email: str
    fingerprint: str


def _serializer() -> URLSafeTimedSerializer:
    return secretkeys.serializer(SALT)


def _fingerprint(user: User) -> str:
    material = f"{user.email}:{user.session_version}".encode()
    return hashlib.sha256(material).hexdigest()[:32]


def request_email_change(user: User, new_email: str, *, link_for: Callable[[str], str]) -> None:
    """Queue the confirmation link to a new address, or a note when it has an account.

    One email is queued either way and nothing else changes. The caller has confirmed
    the current password, and commits.
    """
    site = current_app.config["SITE_NAME"]
    new_email = normalise_email(new_email)
    if find_user_by_email(new_email) is not None:
        body = (
            f"Hello,\n\nSomeone asked to move another account on {site} to this email "
            "address. This address already belongs to an account, so nothing was changed. "
            "If that was you, you can sign in with this address as usual.\n"
        )
        send_mail(new_email, f"Your email address on {site}", body)
        return
    token = _serializer().dumps({"uid": user.id, "to": new_email, "fp": _fingerprint(user)})
    hours = current_app.config["REGISTRATION_LINK_HOURS"]
    body = (
        f"Hello {user.full_name},\n\n"
        f"To use this address for your account on {site}, open this link within "
        f"{hours} hours:\n\n{link_for(token)}\n\n"
        "Until then your account keeps its current address. If you did not ask for this, "
        "you can ignore this email.\n"
    )
    send_mail(new_email, f"Confirm your new email address on {site}", body)


def read_email_change(token: str) -> EmailChange:
    """Return the change an emailed link asks for.

    :raise EmailLinkError: when the link expired, was used, is damaged, or the address
        now belongs to another account.
    """
    max_age = current_app.config["REGISTRATION_LINK_HOURS"] * 3600
    try:
        data = _serializer().loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise EmailLinkError(EmailLinkProblem.EXPIRED) from exc
    except BadSignature as exc:
        raise EmailLinkError(EmailLinkProblem.INVALID) from exc
    if not isinstance(data, dict) or not isinstance(data.get("uid"), int):
        raise EmailLinkError(EmailLinkProblem.INVALID)
    user = db.session.get(User, data["uid"])
    if user is None or not user.is_active or data.get("fp") != _fingerprint(user):
        raise EmailLinkError(EmailLinkProblem.USED)
    if find_user_by_email(str(data.get("to", ""))) is not None:
        raise EmailLinkError(EmailLinkProblem.TAKEN)
    return EmailChange(user, str(data["to"]), data["fp"])


def apply_email_change(change: EmailChange, *, ip_address: str | None = None) -> User:
    """Move the account to its new address; the old one is told (if mail reaches it).

    The caller commits.

    :raise EmailLinkError: when another account took the address in the meantime.
    """
    user = change.user
    db.session.refresh(user, with_for_update=True)
    if _fingerprint(user) != change.fingerprint:  # changed again while the page was open
        raise EmailLinkError(EmailLinkProblem.USED)
    old_email = user.email
    if find_user_by_email(change.new_email) is not None:
        raise EmailLinkError(EmailLinkProblem.TAKEN)
    user.email = change.new_email
    detail = {"old": old_email, "new": change.new_email}
    record_event(user, "auth.email_changed", "user", user.id, detail, ip_address)
    db.session.flush()
    _notify_old_address(user, old_email)
    return user


def _notify_old_address(user: User, old_email: str) -> None:
    if reaches_nobody(old_email):  # an LMS account's stand-in: the relay would bounce it
        return
    site = current_app.config["SITE_NAME"]
    body = (
        f"Hello {user.full_name},\n\n"
        f"The email address for your account on {site} was changed to {user.email}.\n\n"
        "If you made this change, there is nothing more to do. If you did not, please "
        "contact the course provider straight away.\n"
    )
    send_mail(old_email, f"Your email address on {site} was changed", body)
