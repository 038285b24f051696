"""Database plumbing: UTC timestamps, which requests write, one write transaction, busy."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from functools import wraps
from typing import Any

from flask import current_app, g, has_request_context, request
from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import OperationalError
from sqlalchemy.types import TypeDecorator
from werkzeug.exceptions import ServiceUnavailable

_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Outside a request: whether a transaction about to begin may write (None: it may).
_job_writes: ContextVar[bool | None] = ContextVar("job_writes", default=None)
# SQLite's primary result codes for "someone else holds the lock" and a read-only file.
_SQLITE_BUSY_CODES = frozenset({5, 6, 8})  # SQLITE_BUSY, SQLITE_LOCKED, SQLITE_READONLY
# PostgreSQL: lock or statement time-outs, deadlocks and conflicts worth a retry, a server
# shutting down or starting; class 08 is a connection that failed.
_POSTGRES_BUSY_STATES = frozenset({"55P03", "57014", "40001", "40P01", "57P01", "57P02", "57P03"})


class DatabaseBusy(ServiceUnavailable):
    """The database cannot take this write now; the learner is asked to try again."""

    description = "The database is busy. Please try again in a moment."


def is_busy_error(exc: BaseException) -> bool:
    """Return True for a database error that a retry a moment later may well not meet."""
    orig = getattr(exc, "orig", exc)
    if isinstance(orig, sqlite3.Error):
        code = getattr(orig, "sqlite_errorcode", None)
        if code is not None:
            return code & 0xFF in _SQLITE_BUSY_CODES
        return "locked" in str(orig) or "readonly" in str(orig)
    state = getattr(orig, "sqlstate", None)
    if isinstance(state, str) and (state.startswith("08") or state in _POSTGRES_BUSY_STATES):
        return True
    # PostgreSQL's "operational" errors are the server's state, not the SQL: it is down,
    # starting, out of connections or disk.
    return isinstance(exc, OperationalError) or bool(getattr(exc, "connection_invalidated", 0))


def unusable_database(exc: BaseException) -> str | None:
    """Why the database cannot be used at all, for a one-line answer, else None.

    "not-migrated" (no tables: run the migrations), "misconfigured" (the server refused
    the role, its password or the database's name) or "unreachable" (nothing answered).
    """
    orig = getattr(exc, "orig", exc)
    state = getattr(orig, "sqlstate", None) or ""
    first = (str(orig).strip().splitlines() or [""])[0].lower()
    if state == "42P01" or "no such table" in first:
        return "not-migrated"
    # At connection time psycopg gives no SQLSTATE, only the server's FATAL message.
    refused = ("password authentication failed", "does not exist", "no pg_hba.conf entry")
    said_at_connect = not state and any(words in first for words in refused)
    if state.startswith("28") or state == "3D000" or said_at_connect:
        return "misconfigured"
    if not state and ("connect" in first or getattr(exc, "connection_invalidated", False)):
        return "unreachable"
    return None


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always stored and returned as aware UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use aware UTC datetimes")
        value = value.astimezone(UTC)
        # SQLite has no time zones: store the UTC wall time.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def wants_write_lock() -> bool:
    """Return True when the transaction about to begin may write (SQLite: lock up front)."""
    # Requests that may write take SQLite's write lock up front: a deferred
    # transaction that upgrades later fails at once with SQLITE_BUSY instead of
    # waiting on the busy timeout.
    if not has_request_context():
        return _job_writes.get() is not False
    if g.get("writes") is not None:  # set by write_transaction() and views that read first
        return bool(g.writes)
    # The request's first query (loading the signed-in user) runs before the view
    # itself, so the view's marks are read here: a GET marked @writes takes the lock
    # from that query on, a POST marked @reads_first does its lookups without it.
    view = current_app.view_functions.get(request.endpoint or "")
    if request.method not in _READ_METHODS:
        return not getattr(view, "reads_first", False)
    return bool(getattr(view, "writes_to_database", False))


def writes(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a GET view that may write (e.g. issuing a certificate on first view).

    Put it below ``login_required`` and the route decorator; their wrappers keep the mark.
    """
    view.writes_to_database = True  # type: ignore[attr-defined]
    return view


def reads_first(view: Callable[..., Any]) -> Callable[..., Any]:
    """Let a POST view do its lookups without SQLite's write lock.

    The view then writes inside ``write_transaction()``, so the lock is held only for
    the writes themselves and other learners' saves wait less.
    """

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        g.writes = False
        return view(*args, **kwargs)

    wrapper.reads_first = True  # type: ignore[attr-defined]
    return wrapper


@contextmanager
def reads_outside_writes() -> Iterator[None]:
    """Outside a request: transactions begun in the block but outside write_transaction()
    only read, so on SQLite they take no write lock.

    For jobs that wait on the network between writes (the outbox worker): a command's
    transactions otherwise take SQLite's write lock up front, and learners' saves would
    wait on it while a slow platform answered.
    """
    token = _job_writes.set(False)
    try:
        yield
    finally:
        _job_writes.reset(token)


@contextmanager
def write_transaction(
    *,
    commit_on: type[BaseException] | tuple[type[BaseException], ...] = (),
    brief_wait: bool = False,
) -> Iterator[None]:
    """Run the block in a write transaction and commit (on SQLite: a new transaction).

    An exception rolls the block back, except those in ``commit_on``: refusals that
    still record something (a wrong password counts towards the throttle) commit first.
    ``brief_wait`` is for a write the page can do without (recording reading time): it
    waits only briefly for SQLite's lock, then raises ``DatabaseBusy``.
    """
    from course.extensions import db

    if db.engine.dialect.name == "sqlite":
        # End the read transaction: the write one begins with SQLite's lock. PostgreSQL
        # goes on in the same transaction, on the same connection (one checkout).
        db.session.commit()
    previous = g.get("writes") if has_request_context() else None
    if has_request_context():
        g.writes = True
        g.brief_wait = brief_wait
    job_mode = _job_writes.set(True)
    try:
        yield
        db.session.commit()
    except commit_on:
        db.session.commit()
        raise
    except BaseException:
        db.session.rollback()
        raise
    finally:
        _job_writes.reset(job_mode)
        if has_request_context():
            g.writes = previous
            g.brief_wait = False
