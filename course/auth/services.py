"""Account rules: sign-up, profile and password changes.

Each change that needs a password hashed has a slow half that writes nothing
(``check_registration``, ``check_profile_change``, ``check_password_change``,
``check_new_password``), run before the write transaction so that on SQLite no other
writer waits for argon2, and a quick half run inside it. The quick halves take and
return models, never the request; they flush, and the caller commits once. A wrong
current password counts towards sign-in throttling even though the change is refused,
so callers commit on ``AuthError`` too (``write_transaction(commit_on=AuthError)``).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from course.audit import record_event
from course.auth.browsers import end_other_browser_sessions
from course.auth.passwords import hash_password
from course.auth.policy import password_problem
from course.auth.signin import (
    AuthError,
    Client,
    PasswordCheck,
    check_password,
    confirm_password,
)
from course.db import utcnow
from course.extensions import db
from course.mail import send_mail
from course.models import User
from course.users import create_user, find_user_by_email, normalise_email

ADDRESS_TAKEN = (
    "An account with this e-mail address already exists. "
    "You can sign in, or reset your password if you have forgotten it."
)
NEEDS_PASSWORD_FOR_EMAIL = "To change your e-mail address, please enter your current password."


@dataclass(frozen=True)
class AccountDetails:
    """What a person tells us about themselves; the name is printed on certificates."""

    full_name: str
    email: str
    licence_number: str | None = None
    licence_jurisdiction: str | None = None
    profession: str | None = None


@dataclass(frozen=True)
class PasswordChange:
    """A checked password change: the current password's check and the new one's hash."""

    current: PasswordCheck
    new_hash: str | None = None
    problem: str | None = None


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


def check_profile_change(
    user: User, details: AccountDetails, current_password: str | None, client: Client
) -> PasswordCheck | None:
    """Check the current password when the e-mail address changes; None when it does not.

    Nothing is written. :raise AuthError: when a new address comes without the password.
    """
    if normalise_email(details.email) == user.email:
        return None
    if not current_password:
        raise AuthError(NEEDS_PASSWORD_FOR_EMAIL, "current_password")
    return check_password(user, current_password, client)


def update_profile(
    user: User,
    details: AccountDetails,
    password: PasswordCheck | None,
    *,
    ip_address: str | None = None,
) -> User:
    """Save the profile; a new e-mail address needs the checked current password.

    :raise AuthError: when the password is missing or wrong, or the address is taken.
    """
    new_email = normalise_email(details.email)
    old_email = user.email
    if new_email != old_email:
        if password is None:
            raise AuthError(NEEDS_PASSWORD_FOR_EMAIL, "current_password")
        confirm_password(password, ip_address=ip_address)
        if find_user_by_email(new_email) is not None:
            raise AuthError("Another account already uses that e-mail address.", "email")
        user.email = new_email
        detail = {"old": old_email, "new": new_email}
        record_event(user, "auth.email_changed", "user", user.id, detail, ip_address)
    user.full_name = details.full_name.strip()
    user.licence_number = _clean(details.licence_number)
    user.licence_jurisdiction = _clean(details.licence_jurisdiction)
    user.profession = _clean(details.profession)
    db.session.flush()
    if new_email != old_email:
        _notify_email_changed(user, old_email)
    return user


def check_password_change(
    user: User, current_password: str, new_password: str, client: Client
) -> PasswordChange:
    """Verify the current password and, when it fits, vet and hash the new one.

    Nothing is written; ``change_password`` records the result.
    """
    current = check_password(user, current_password, client)
    if not current.matched:
        return PasswordChange(current)
    problem = password_problem(new_password, email=user.email, full_name=user.full_name)
    if problem:
        return PasswordChange(current, problem=problem)
    return PasswordChange(current, new_hash=hash_password(new_password))


def change_password(user: User, change: PasswordChange, *, ip_address: str | None = None) -> User:
    """Store a checked new password; other browsers are signed out, this one stays.

    :raise AuthError: when the current password is wrong or the new one is not allowed.
    """
    confirm_password(change.current, ip_address=ip_address)
    if change.problem:
        raise AuthError(change.problem, "new_password")
    assert change.new_hash is not None  # a confirmed current password means it was hashed
    set_password_hash(user, change.new_hash)
    end_other_browser_sessions(user)
    record_event(user, "auth.password_changed", "user", user.id, ip_address=ip_address)
    db.session.flush()
    return user


def check_new_password(user: User, password: str) -> str:
    """Vet a new password against the policy and return its hash; nothing is written.

    :raise AuthError: when the password is not allowed.
    """
    problem = password_problem(password, email=user.email, full_name=user.full_name)
    if problem:
        raise AuthError(problem, "new_password")
    return hash_password(password)


def set_password_hash(user: User, password_hash: str) -> None:
    """Store a new password's hash; every browser's sign-in and every reset link ends."""
    user.password_hash = password_hash
    user.password_changed_at = utcnow()
    user.session_version += 1


# --- helpers ---------------------------------------------------------------------------


def _clean(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def _notify_email_changed(user: User, old_email: str) -> None:
    site = current_app.config["SITE_NAME"]
    body = (
        f"Hello {user.full_name},\n\n"
        f"The e-mail address for your account on {site} was changed to {user.email}.\n\n"
        "If you made this change, there is nothing more to do. If you did not, please "
        "contact the course provider straight away.\n"
    )
    send_mail(old_email, f"Your e-mail address on {site} was changed", body)
