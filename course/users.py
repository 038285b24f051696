"""Account services shared by sign-up and the command line."""

from __future__ import annotations

from sqlalchemy import select

from course.auth.passwords import hash_password
from course.extensions import db
from course.models import Role, User
from course.names import clean_name


def normalise_email(email: str) -> str:
    """Return the email address as stored: trimmed and lower-cased."""
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    """Return the account with this email address, if any."""
    # Every write stores the address lower-cased: compared as stored, it is found through
    # the unique index (lower() on the column read every account at each sign-in).
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def create_user(
    *,
    email: str,
    password: str | None = None,
    password_hash: str | None = None,
    full_name: str,
    role: Role = Role.LEARNER,
    licence_number: str | None = None,
    licence_jurisdiction: str | None = None,
    profession: str | None = None,
) -> User:
    """Create an account; raise ValueError when the email address is taken.

    Give ``password``, or its ``password_hash`` made earlier outside the transaction.

    :raise NameRefused: (a ValueError) for a name that could mislead (``course.names``).
    """
    if (password is None) == (password_hash is None):
        raise TypeError("give exactly one of password and password_hash")
    full_name = clean_name(full_name)
    if find_user_by_email(email) is not None:
        raise ValueError("an account with this email address already exists")
    user = User(
        email=normalise_email(email),
        password_hash=password_hash or hash_password(password or ""),
        full_name=full_name,
        role=role,
        licence_number=licence_number or None,
        licence_jurisdiction=licence_jurisdiction or None,
        profession=profession or None,
    )
    db.session.add(user)
    db.session.flush()
    return user
