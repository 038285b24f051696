"""Sign-up confirmed by email, answering alike whether or not the address has an account.

Registering never says whether an address is taken: a new address gets a link that
creates the account, an address with an account gets a note telling its owner how to
sign in or reset the password, and the page after both says "check your email". The
link carries the pending account itself, encrypted and authenticated (Fernet) with a key
derived from ``SECRET_KEY``, so nothing is stored until the person opens it.
"""

from __future__ import annotations

import enum
import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass

from cryptography.fernet import InvalidToken, MultiFernet
from flask import current_app

from course import secretkeys
from course.auth import throttle
from course.auth.services import AccountDetails, register
from course.auth.throttle import Scope
from course.db import utcnow
from course.mail import send_mail
from course.models import User
from course.users import find_user_by_email, normalise_email

logger = logging.getLogger(__name__)

#: Longest return path kept in a link; longer ones are dropped (the catalogue instead).
MAX_NEXT = 300


class LinkProblem(enum.StrEnum):
    """Why a sign-up link cannot be used."""

    EXPIRED = "expired"
    INVALID = "invalid"
    DONE = "done"


class RegistrationLinkError(Exception):
    """A sign-up link that expired, was damaged, or whose account exists already."""

    def __init__(self, problem: LinkProblem, pending: PendingAccount | None = None) -> None:
        super().__init__(problem.value)
        self.problem = problem
        #: the account a spent link carried, so its own browser can be sent on
        self.pending = pending


@dataclass(frozen=True)
class PendingAccount:
    """An account waiting for its owner to open the emailed link."""

    details: AccountDetails
    password_hash: str
    next: str | None = None


def _fernet() -> MultiFernet:
    # A key of its own for this purpose, derived from the app's secret keys.
    return secretkeys.fernet(b"course.auth.registration-link")


def make_link_token(pending: PendingAccount) -> str:
    """Return the token for a sign-up link: the pending account, encrypted."""
    payload = {
        "details": asdict(pending.details),
        "hash": pending.password_hash,
        "next": pending.next if pending.next and len(pending.next) <= MAX_NEXT else None,
    }
    return _fernet().encrypt(json.dumps(payload).encode()).decode()


def read_link_token(token: str) -> PendingAccount:
    """Return the pending account a sign-up link carries.

    :raise RegistrationLinkError: when the link expired, is damaged, or was used.
    """
    ttl = current_app.config["REGISTRATION_LINK_HOURS"] * 3600
    fernet = _fernet()
    try:
        payload = json.loads(fernet.decrypt(token.encode(), ttl=ttl))
    except InvalidToken as exc:
        try:
            fernet.decrypt(token.encode())  # genuine but too old?
        except InvalidToken:
            raise RegistrationLinkError(LinkProblem.INVALID) from exc
        raise RegistrationLinkError(LinkProblem.EXPIRED) from exc
    except (ValueError, UnicodeError) as exc:
        raise RegistrationLinkError(LinkProblem.INVALID) from exc
    pending = PendingAccount(AccountDetails(**payload["details"]), payload["hash"], payload["next"])
    if find_user_by_email(pending.details.email) is not None:
        raise RegistrationLinkError(LinkProblem.DONE, pending)
    return pending


def request_registration(
    pending: PendingAccount,
    *,
    link_for: Callable[[str], str],
    sign_in_url: str,
    reset_url: str,
) -> None:
    """Queue the sign-up link, or a note to the owner when the address has an account.

    Either way one email is queued and nothing else changes, so the answer and the
    time it takes are the same. An address gets at most five of them until a day passes
    without a request, as with password resets, so nobody can flood a mailbox from here.
    The caller commits.
    """
    config = current_app.config
    site = config["SITE_NAME"]
    email = normalise_email(pending.details.email)
    asked = throttle.record_failure(throttle.key(Scope.SIGN_UP, email), utcnow()).failures
    if asked > throttle.FREE_FAILURES[Scope.SIGN_UP]:
        logger.warning("Sign-up email not sent: %s asked for this address today", asked)
        return
    owner = find_user_by_email(email)
    if owner is not None:
        body = (
            f"Hello {owner.full_name},\n\n"
            f"Someone, probably you, tried to create an account on {site} with this "
            "email address. You already have an account with it, so no new one was made.\n\n"
            f"To sign in: {sign_in_url}\n"
            f"If you forgot your password, reset it here: {reset_url}\n\n"
            "If this was not you, you can ignore this email: nothing has changed.\n"
        )
        send_mail(email, f"You already have an account on {site}", body)
        return
    hours = config["REGISTRATION_LINK_HOURS"]
    # No greeting by name: whoever filled in the form chose it, and the first words of
    # a mail from the provider must not be theirs.
    body = (
        "Hello,\n\n"
        f"To finish creating your account on {site}, open this link within {hours} hours:\n\n"
        f"{link_for(make_link_token(pending))}\n\n"
        "If you did not ask for an account, you can ignore this email: without the link "
        "no account is made.\n"
    )
    send_mail(email, f"Finish creating your account on {site}", body)


def complete_registration(pending: PendingAccount) -> User:
    """Create the account a sign-up link carries; the caller signs it in and commits.

    :raise RegistrationLinkError: when the address got an account in the meantime.
    """
    from course.auth.signin import AuthError

    try:
        return register(pending.details, pending.password_hash)
    except AuthError as exc:
        raise RegistrationLinkError(LinkProblem.DONE, pending) from exc

