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
from course.models import User
from course.names import NameRefused, clean_name
from course.users import create_user, normalise_email

ADDRESS_TAKEN = (
    "An account with this email address already exists. "
    "You can sign in, or reset your password if you have forgotten it."
)
NEEDS_PASSWORD_FOR_EMAIL = "To change your email address, please enter your current password."


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
    """Refuse a disallowed password; return its hash.

    Whether the address has an account is not checked here: sign-up answers alike
    either way (``course.auth.registration``). Nothing is written, so the caller runs
    this before its write transaction: on SQLite every other writer would otherwise wait
    for the hash.

    :raise AuthError: when the password is not allowed.
    """
    problem = registration_password_problem(details, password)
    if problem:
        raise AuthError(problem, "password")
    return hash_password(password)


def registration_password_problem(details: AccountDetails, password: str) -> str | None:
    """Return why a sign-up's password is refused, or None; hashes nothing.

    Sign-up shows this beside the other fields' problems, so a learner fixes all at once.
    """
    return password_problem(password, email=details.email or "", full_name=details.full_name or "")


def register(details: AccountDetails, password_hash: str) -> User:
    """Create a learner account from a confirmed sign-up and count it as signed in.

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
    except NameRefused as exc:
        raise AuthError(str(exc), "full_name") from exc
    except ValueError as exc:
        raise AuthError(ADDRESS_TAKEN, "email") from exc
    user.last_login_at = utcnow()
    db.session.flush()
    return user


def check_profile_change(
    user: User, details: AccountDetails, current_password: str | None, client: Client
) -> PasswordCheck | None:
    """Check the current password when the email address changes; None when it does not.

    An account opened from an agency's LMS has no password: the launch that made this
    session fresh confirmed it is them. Nothing is written.

    :raise AuthError: when a new address comes without the password.
    """
    if normalise_email(details.email) == user.email or not user.signs_in_with_password:
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
) -> str | None:
    """Save the profile; return the new email address to confirm by link, if one was given.

    The address itself changes only when its link is opened (``course.auth.emailchange``).

    :raise AuthError: for a name that could mislead, or a new address without the right
        current password.
    """
    try:
        full_name = clean_name(details.full_name)
    except NameRefused as exc:
        raise AuthError(str(exc), "full_name") from exc
    new_email = normalise_email(details.email)
    if new_email != user.email and user.signs_in_with_password:
        if password is None:
            raise AuthError(NEEDS_PASSWORD_FOR_EMAIL, "current_password")
        confirm_password(password, ip_address=ip_address)
    fields = {
        "full_name": full_name,
        "licence_number": _clean(details.licence_number),
        "licence_jurisdiction": _clean(details.licence_jurisdiction),
        "profession": _clean(details.profession),
    }
    changed = {name: [getattr(user, name), value] for name, value in fields.items()
               if getattr(user, name) != value}  # fmt: skip
    for name, value in fields.items():
        setattr(user, name, value)
    if changed:
        # Certificates print these: an accreditor may ask when a name or license changed.
        record_event(user, "user.details_updated", "user", user.id, {"changed": changed},
                     ip_address)  # fmt: skip
    db.session.flush()
    return new_email if new_email != user.email else None


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
