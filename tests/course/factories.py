"""Builders for test data (accounts, imported courses, signed-in clients) and row counts."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from contextlib import nullcontext
from datetime import timedelta
from pathlib import Path

from flask import Flask, has_app_context
from flask.testing import FlaskClient
from sqlalchemy import Executable, create_engine, func, select
from sqlalchemy.pool import NullPool

import lessons
from course.auth.browsers import open_browser_session
from course.db import utcnow
from course.extensions import db
from course.mail_sender import sender_for
from course.models import Course, Role, User
from course.packages import import_package
from course.users import create_user

_serial = itertools.count(1)
PASSWORD = "correct horse battery staple"
# Flask-WTF's hidden field (attributes in either order) or the page's meta tag.
_CSRF_TOKEN = re.compile(
    r'name="csrf_token"(?: type="hidden")? value="([^"]+)"|name="csrf-token" content="([^"]+)"'
)


class Clock:
    """A module's idea of now (its ``utcnow``), moved on by the test in minutes."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self):
        return self.now

    def advance(self, minutes: float) -> None:
        self.now += timedelta(minutes=minutes)


def make_user(role: Role = Role.LEARNER, **fields: str) -> User:
    """Create and commit an account; it comes back loaded and detached, usable anywhere."""
    n = next(_serial)
    user = create_user(
        email=fields.pop("email", f"learner{n}@example.org"),
        password=fields.pop("password", PASSWORD),
        full_name=fields.pop("full_name", f"Learner Number{n}"),
        role=role,
        **fields,
    )
    db.session.commit()
    db.session.refresh(user)
    db.session.expunge(user)
    return user


def let_mail_leave(app: Flask) -> None:
    """Wait (10 s at most) until the app's mail thread has sent what the test queued.

    The thread writes as it sends, and takes SQLite's write lock to do so: a request sent
    meanwhile waits for it, and on a loaded machine waited out its two seconds and was
    answered "busy" (503). Not inside an app context, whose open transaction may hold
    that lock itself: the thread would wait for it, and this for the thread.
    """
    if not has_app_context():
        sender_for(app).wait_until_idle(10)


def join_team(slug: str, user: User, role: str = "author") -> User:
    """Put an author on a course's team as "author" or "reviewer", and commit."""
    from course.teams.services import add_member

    add_member(slug, db.session.merge(user), role, by=None)
    db.session.commit()
    return user


_PARSED: dict[tuple, lessons.CoursePackage] = {}


def parsed_package(path: Path) -> lessons.CoursePackage:
    """``lessons.load_package(path)``, parsed once per test process for the same files.

    Most tests import an unchanged copy of the same package, and parsing its Markdown
    was about a fifth of such a test's time. A package is a pure function of its files
    and its folder's name; the loader's own tests in ``tests/lessons`` parse every time.
    """
    key = (path.resolve().name, tuple(
        (file.relative_to(path).as_posix(), file.read_bytes())
        for file in sorted(path.rglob("*"))
        if file.is_file()
    ))
    if key not in _PARSED:
        package = lessons.load_package(path)  # raises, as ever, for a bad package
        if len(_PARSED) >= 16:
            _PARSED.clear()
        _PARSED[key] = package
    return _PARSED[key]


def import_course(path: Path) -> Course:
    """Import the package at path and commit; return the course."""
    result = import_package(parsed_package(path))
    db.session.commit()
    return result.course


def sign_in(client: FlaskClient, user: User) -> FlaskClient:
    """Sign the client in as user without going through the sign-in form."""
    # Use the test's own app context when it has one: a second one would wait for the
    # first one's SQLite write lock.
    context = nullcontext() if has_app_context() else client.application.app_context()
    with context:
        open_browser_session(user, remembered=False, lifetime=timedelta(hours=12))
        db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
    return client


def write_elsewhere_without_waiting(statement: Executable) -> None:
    """Run a write through a second connection that refuses to wait for any lock.

    On SQLite it asks for the one write lock at once, so it fails with "database is
    locked" while the app holds that lock; on PostgreSQL it gives up on a row lock.
    """
    if db.engine.dialect.name == "sqlite":
        other = create_engine(db.engine.url, connect_args={"timeout": 0}, poolclass=NullPool)
        try:
            with other.begin() as connection:
                connection.execute(statement)
        finally:
            other.dispose()
        return
    with db.engine.begin() as connection:
        connection.exec_driver_sql("SET LOCAL lock_timeout = '100ms'")
        connection.execute(statement)


def csrf_token_in(page: str) -> str:
    """Return the first CSRF token a page carries, as a browser would send it back."""
    found = _CSRF_TOKEN.search(page)
    assert found, "the page carries no CSRF token"
    return found.group(1) or found.group(2)


#: A refused attempt may be written to the audit log: that is a record, not a change.
NOT_COUNTED = {"audit_event"}


def row_counts() -> dict[str, int]:
    """Rows per table: the whole database's footprint."""
    return {
        table.name: db.session.scalar(select(func.count()).select_from(table))
        for table in db.metadata.sorted_tables
        if table.name not in NOT_COUNTED
    }


def snapshot_row_counts(app: Flask) -> Callable[[], None]:
    """Snapshot the row counts now; calling the result asserts they did not change."""
    with app.app_context():
        before = row_counts()

    def check() -> None:
        with app.app_context():
            db.session.remove()
            assert row_counts() == before

    return check


def sign_in_failures(email: str, scope: str = "pair", ip: str = "127.0.0.1") -> int:
    """The failed password checks counted for an email address (from ``ip`` for a pair)."""
    from course.auth import throttle
    from course.models import SignInThrottle

    parts = (email, ip) if scope == "pair" else (email,)
    wanted = throttle.key(throttle.Scope(scope), *parts)
    row = db.session.scalar(
        select(SignInThrottle).where(
            SignInThrottle.scope == wanted[0].value, SignInThrottle.key == wanted[1]
        )
    )
    return row.failures if row else 0


def all_sign_in_failures() -> int:
    """Every failed password check still counted, whatever its counter."""
    from course.models import SignInThrottle

    return db.session.scalar(select(func.coalesce(func.sum(SignInThrottle.failures), 0)))


def register_by_mail(client: FlaskClient, inbox, data: dict[str, str]):
    """Sign up as a person would: the form, then the emailed link and its button.

    Returns the answer to the button (a redirect into the site, signed in).
    """
    from tests.smtp_sink import link_path

    before = len(inbox.messages)
    response = client.post("/auth/register", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert response.location.endswith("/auth/register/sent")
    message = inbox.next_to(data["email"].strip(), after=before,
                            subject="Finish creating your account")  # fmt: skip
    path = link_path(message, "/auth/register/confirm/")
    page = client.get(path).get_data(as_text=True)
    found = _CSRF_TOKEN.search(page)
    data = {"password": data["password"]}
    if found:
        data["csrf_token"] = found.group(1) or found.group(2)
    return client.post(path, data=data)
