"""Browser sessions kept on the server, so that signing out ends one browser's sign-in.

The session cookie carries ``user id:session version:token``. The token's hash names a
``BrowserSession`` row; sign-out ends that row only, a password change ends every row but
the current one, and a new session version (password reset, deactivation, deletion)
outdates them all at once.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, bindparam, delete, or_, select, update
from ua_parser import parse as parse_user_agent

from course.db import utcnow
from course.extensions import db
from course.models import BrowserSession, SecondFactor, SignedInUser, User
from course.models.users import DEVICE_LENGTH, signs_in_with_password

_BULK = {"synchronize_session": False}
_user, _browser = User.__table__, BrowserSession.__table__
_factor = SecondFactor.__table__
# Every signed-in request runs this: built once, as building costs more than running
# it, and in Core, as loading an ORM object cost about as much again.
_SIGNED_IN_USER = (
    select(
        _user.c.id,
        _user.c.email,
        _user.c.full_name,
        _user.c.role,
        _user.c.licence_number,
        _user.c.licence_jurisdiction,
        _user.c.profession,
        _user.c.active,
        _user.c.deleted_at,
        _user.c.session_version,
        _user.c.password_hash,
        _factor.c.user_id.label("second_factor"),
    )
    # The second factor by its primary key: whether the account must enroll (when staff
    # are required to have one) is known without a query of its own.
    .select_from(_user.join(_browser, _browser.c.user_id == _user.c.id)
                 .outerjoin(_factor, _factor.c.user_id == _user.c.id))
    .where(
        _user.c.id == bindparam("user_id"),
        _browser.c.token_hash == bindparam("token_hash"),
        _browser.c.ended_at.is_(None),
        _browser.c.expires_at > bindparam("now"),
    )
)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# Names people know their own devices by, where the parser's differ.
_SYSTEMS = {"Mac OS X": "macOS", "Chrome OS": "ChromeOS"}
_APPLE_DEVICES = ("iPhone", "iPad")
# Only these names are ever shown. The parser copies words out of unknown user agents
# ("CALL_555_TO_UNDO-Spider"), and the label is printed in emails about a sign-in, so a
# name the parser made up from the sender's own text must never reach a person.
_KNOWN_BROWSERS = frozenset({
    "Amazon Silk", "Brave", "Chrome", "Chrome Mobile", "Chrome Mobile iOS",
    "Chrome Mobile WebView", "Chromium", "DuckDuckGo Mobile", "Edge", "Edge Mobile",
    "Facebook", "Firefox", "Firefox iOS", "Firefox Mobile", "IE", "Instagram",
    "Mobile Safari", "Mobile Safari UI/WKWebView", "Opera", "Opera Mini", "Opera Mobile",
    "Safari", "Samsung Internet", "UC Browser", "Vivaldi", "Yandex Browser",
    # A script signing in is worth seeing as one.
    "curl", "Python Requests", "Python-urllib", "Wget",
})
_KNOWN_SYSTEMS = frozenset({
    "Android", "Chrome OS", "Debian", "Fedora", "FreeBSD", "iOS", "iPad", "iPhone",
    "Linux", "Mac OS X", "Ubuntu", "Windows", "Windows Phone",
})


def device_label(user_agent: str) -> str | None:
    """A coarse name for a browser, such as "Firefox on Windows" (None when unknown).

    Only the browser and system families are kept: enough for a person to tell their
    phone from an office computer, not a fingerprint. Names outside a fixed list are
    dropped, as the parser may build them from whatever the user agent says.
    """
    parsed = parse_user_agent(user_agent[:512])  # the parser's cost grows with the text
    browser = parsed.user_agent.family if parsed.user_agent else None
    if browser not in _KNOWN_BROWSERS:
        return None
    system = parsed.os.family if parsed.os else None
    device = parsed.device.family if parsed.device else None
    if device in _APPLE_DEVICES:
        system = device
    if system not in _KNOWN_SYSTEMS:
        return browser[:DEVICE_LENGTH]
    return f"{browser} on {_SYSTEMS.get(system, system)}"[:DEVICE_LENGTH]


#: A common phone browser's user agent, parsed once when a server starts.
_SAMPLE_AGENT = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)


def warm_up_device_labels() -> str | None:
    """Have the user-agent parser compile its patterns now; return the sample's label.

    The parser compiles about 1,300 patterns on first use, 0.15 s that would otherwise
    fall on the first sign-in each server process handles.
    """
    return device_label(_SAMPLE_AGENT)


def open_browser_session(
    user: User, *, remembered: bool, lifetime: timedelta, device: str | None = None
) -> str:
    """Record a new sign-in for this browser; return its token, also set on ``user``."""
    token, now = secrets.token_urlsafe(32), utcnow()
    db.session.add(
        BrowserSession(
            user_id=user.id,
            token_hash=_digest(token),
            session_version=user.session_version,
            remembered=remembered,
            device=device,
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    db.session.flush()
    user.browser_token = token
    return token


def load_signed_in_user(session_id: str) -> SignedInUser | None:
    """Return the user a session cookie names, or None once that sign-in has ended.

    Read from the database on every request (no cache), so a sign-out, a password change
    or a deactivation holds at once in every worker.
    """
    try:
        raw_id, raw_version, token = session_id.split(":", 2)
        user_id, version = int(raw_id), int(raw_version)
    except (ValueError, TypeError):
        return None
    if not token:
        return None
    params = {"user_id": user_id, "token_hash": _digest(token), "now": utcnow()}
    row = db.session.connection().execute(_SIGNED_IN_USER, params).first()
    if row is None or row.session_version != version:
        return None
    user = SignedInUser(
        id=row.id,
        email=row.email,
        full_name=row.full_name,
        role=row.role,
        licence_number=row.licence_number,
        licence_jurisdiction=row.licence_jurisdiction,
        profession=row.profession,
        active=row.active,
        deleted_at=row.deleted_at,
        session_version=row.session_version,
        signs_in_with_password=signs_in_with_password(row.password_hash),
        browser_token=token,
        second_factor_on=row.second_factor is not None,
    )
    return user if user.is_active else None


def _this_browser(user: User) -> tuple:
    token_hash = _digest(user.browser_token)
    return (BrowserSession.user_id == user.id, BrowserSession.token_hash == token_hash)


def _live(user: User, now: datetime) -> tuple:
    """Conditions for the account's sign-in records that can still sign someone in."""
    return (
        BrowserSession.user_id == user.id,
        BrowserSession.ended_at.is_(None),
        BrowserSession.session_version == user.session_version,
        BrowserSession.expires_at > now,
    )


def end_browser_session(user: User) -> None:
    """Sign out the browser ``user`` was loaded for; other browsers stay signed in."""
    db.session.execute(
        update(BrowserSession)
        .where(*_this_browser(user), BrowserSession.ended_at.is_(None))
        .values(ended_at=utcnow()),
        execution_options=_BULK,
    )


def end_other_browser_sessions(user: User) -> int:
    """Sign out every other browser; this one moves to the account's session version.

    Returns how many browsers were signed out.
    """
    now = utcnow()
    others = db.session.execute(
        update(BrowserSession)
        .where(*_live(user, now), BrowserSession.token_hash != _digest(user.browser_token))
        .values(ended_at=now),
        execution_options=_BULK,
    ).rowcount
    db.session.execute(
        update(BrowserSession)
        .where(*_this_browser(user))
        .values(session_version=user.session_version),
        execution_options=_BULK,
    )
    return others


@dataclass(frozen=True)
class SignedInBrowser:
    """A browser still signed in to the account, as its owner sees it."""

    signed_in_at: datetime
    remembered: bool
    expires_at: datetime
    is_this_browser: bool
    device: str | None


def signed_in_browsers(user: User) -> list[SignedInBrowser]:
    """Return the browsers still signed in to the account, newest sign-in first."""
    this_one = _digest(user.browser_token)
    rows = db.session.scalars(
        select(BrowserSession)
        .where(*_live(user, utcnow()))
        .order_by(BrowserSession.created_at.desc(), BrowserSession.id.desc())
    )
    return [
        SignedInBrowser(
            row.created_at, row.remembered, row.expires_at, row.token_hash == this_one, row.device
        )
        for row in rows
    ]


def forget_browser_sessions(user: User) -> None:
    """Delete every sign-in record of the account (its deletion keeps none)."""
    db.session.execute(
        delete(BrowserSession).where(BrowserSession.user_id == user.id), execution_options=_BULK
    )


def finished_browser_sessions(now: datetime) -> ColumnElement[bool]:
    """The condition for sign-in records that can never load anyone again."""
    current_version = (
        select(User.session_version).where(User.id == BrowserSession.user_id).scalar_subquery()
    )
    return or_(
        BrowserSession.ended_at.is_not(None),
        BrowserSession.expires_at <= now,
        BrowserSession.session_version != current_version,
    )
