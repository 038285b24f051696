"""Accounts, roles and the browsers signed in to them."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import BigInteger, Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, validates

from course.db import UTCDateTime, utcnow
from course.extensions import db
from course.names import search_key

#: Characters kept of a browser's name in its sign-in record.
DEVICE_LENGTH = 80


class Role(enum.StrEnum):
    """What a person may do: learners take courses, authors edit them, admins run the site."""

    LEARNER = "learner"
    AUTHOR = "author"
    ADMIN = "admin"


def signs_in_with_password(password_hash: str) -> bool:
    """False for an account opened from an agency's LMS (or deleted): it has no password."""
    return not password_hash.startswith("!")


class AccountMixin(UserMixin):
    """What an account and the signed-in user loaded for a request share: Flask-Login's
    id (user, session version, browser token), whether it is active, and its roles.

    It reads ``id``, ``role``, ``active``, ``deleted_at``, ``session_version`` and
    ``browser_token``; it declares none of them, so that the ORM model maps its own.
    """

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.active and self.deleted_at is None

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}:{self.browser_token}"

    def has_role(self, *roles: Role) -> bool:
        """Return True when the user holds one of the roles (admins hold every role)."""
        return self.role == Role.ADMIN or self.role in roles


@dataclass(frozen=True, eq=False)
class SignedInUser(AccountMixin):
    """The signed-in user as a request reads it: what pages show and checks need, never
    edited (a view that edits the account loads the ``User``: ``sessions.signed_in_account``).
    """

    id: int
    email: str
    full_name: str
    role: Role
    licence_number: str | None
    licence_jurisdiction: str | None
    profession: str | None
    active: bool
    deleted_at: datetime | None
    session_version: int
    signs_in_with_password: bool
    browser_token: str = ""
    #: True when a second factor (an authenticator app's codes) guards the sign-in.
    second_factor_on: bool = False

    def __repr__(self) -> str:
        return f"<SignedInUser {self.id} {self.role.value}>"


class User(AccountMixin, db.Model):
    """A person with an account: learner, author or admin."""

    __tablename__ = "user_account"
    # The admin's learners list pages through people by name: read in order from here,
    # not sorted whole for every page.
    __table_args__ = (Index(None, "full_name", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stored lower-cased (``normalise_email``), so a case-insensitive sign-in is one
    #: lookup in the unique index.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    #: The name as it must appear on a certificate.
    full_name: Mapped[str] = mapped_column(String(200))
    #: ``full_name`` as the admin searches compare it (``search_key``), kept with it.
    name_key: Mapped[str] = mapped_column(String(200), default="", server_default="")
    licence_number: Mapped[str | None] = mapped_column(String(64))
    licence_jurisdiction: Mapped[str | None] = mapped_column(String(64))
    profession: Mapped[str | None] = mapped_column(String(100))
    role: Mapped[Role] = mapped_column(
        Enum(Role, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e]),
        default=Role.LEARNER,
    )
    active: Mapped[bool] = mapped_column(default=True)
    #: Bumped on a password change or reset, deactivation or deletion: every browser
    #: session made before then fails to load.
    session_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Set when the account was deleted and its kept credit records pseudonymised.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    #: The token of the browser session this object was loaded for; never stored here.
    browser_token = ""

    @property
    def signs_in_with_password(self) -> bool:
        """False for an account opened from an agency's LMS (or deleted): it has no password."""
        return signs_in_with_password(self.password_hash)

    @validates("full_name")
    def _keep_name_key(self, _key: str, name: str) -> str:
        self.name_key = search_key(name or "")
        return name

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role.value}>"


class BrowserSession(db.Model):
    """One browser signed in to an account: signing out there ends this row only."""

    __tablename__ = "browser_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    #: SHA-256 of the random token in the session cookie; the token itself is never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: The account's session version the row belongs to; rows of an older one are dead.
    session_version: Mapped[int]
    remembered: Mapped[bool] = mapped_column(default=False)
    #: A coarse name for the browser, such as "Firefox on Windows", for its owner's list.
    device: Mapped[str | None] = mapped_column(String(DEVICE_LENGTH))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SignInThrottle(db.Model):
    """Failed password checks counted for one key: an address and email pair, an
    email address tried from unknown browsers, or one trusted browser.

    ``key`` is an HMAC of what it counts, so the table names no address or email.
    """

    __tablename__ = "sign_in_throttle"
    __table_args__ = (UniqueConstraint("scope", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(64))
    failures: Mapped[int] = mapped_column(default=0)
    last_failed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class SecondFactor(db.Model):
    """An account's authenticator app (TOTP, RFC 6238): its secret, encrypted, and the
    last time step a code was accepted for, so that no code works twice."""

    __tablename__ = "second_factor"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), primary_key=True)
    #: The shared secret, Fernet-encrypted under a key derived from ``SECRET_KEY``.
    secret: Mapped[str] = mapped_column(Text)
    #: The TOTP time step (30-second count) of the last code accepted.
    last_step: Mapped[int] = mapped_column(BigInteger, default=0)
    enabled_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class RecoveryCode(db.Model):
    """A one-time code for signing in without the authenticator app, kept only hashed."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    #: argon2id, as passwords are hashed, after a short keyed tag that finds it
    #: (course.auth.twofactor); codes made before the tag have none.
    code_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
