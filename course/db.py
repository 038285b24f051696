"""Database plumbing: SQLite pragmas and write locking, UTC timestamps."""

from __future__ import annotations

import logging
import math
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import wraps
from typing import Any

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import DateTime, event
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.types import TypeDecorator

from course.writelock import WriterLock, lock_path_for

_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_WRITER_LOCK = "course_writer_lock"
_CHECKPOINTS = "course_checkpoints"
log = logging.getLogger(__name__)


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


def _wants_write_lock() -> bool:
    # Requests that may write take SQLite's write lock up front: a deferred
    # transaction that upgrades later fails at once with SQLITE_BUSY instead of
    # waiting on the busy timeout.
    if not has_request_context():
        return True
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
def write_transaction(
    *, commit_on: type[BaseException] | tuple[type[BaseException], ...] = ()
) -> Iterator[None]:
    """End the current (read) transaction, run the block in a write transaction, commit.

    An exception rolls the block back, except those in ``commit_on``: refusals that
    still record something (a wrong password counts towards the throttle) commit first.
    """
    from course.extensions import db

    db.session.commit()
    previous = g.get("writes") if has_request_context() else None
    if has_request_context():
        g.writes = True
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
        if has_request_context():
            g.writes = previous


class CheckpointSchedule:
    """When this process copies SQLite's write-ahead log back into the database file.

    SQLite's automatic checkpoint (every 1,000 pages) runs inside COMMIT, while this app
    still holds the writers' lock: copying and flushing the pages took 10-30 ms here
    under load, once over 100 ms, and every other writer waited that long. Connections
    that take the lock turn it off; the writer whose commit makes a checkpoint due runs
    it after letting the next writer in.
    """

    def __init__(
        self,
        every_commits: int = 100,
        every_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._every_commits = every_commits
        self._every_seconds = every_seconds
        self._clock = clock
        self._commits = 0
        self._last = -math.inf  # a process's first write (say, a CLI import) is copied back

    def due(self) -> bool:
        """Count a commit; return True when it is time for a checkpoint."""
        # Threads of one process may race here; the worst case is one extra checkpoint.
        self._commits += 1
        now = self._clock()
        if self._commits < self._every_commits and now - self._last < self._every_seconds:
            return False
        self._commits, self._last = 0, now
        return True


def checkpoint(dbapi_conn: sqlite3.Connection) -> tuple[int, int, int]:
    """Copy what the log holds back into the database without waiting for anyone.

    Returns SQLite's (busy, pages in the log, pages copied); a failure is logged, not
    raised, because the commit before it already stands.
    """
    try:
        busy, in_log, copied = dbapi_conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        return busy, in_log, copied
    except sqlite3.Error as exc:
        log.warning("SQLite checkpoint failed (the next one copies what it left): %s", exc)
        return (1, -1, -1)


def configure_sqlite(app: Flask, engine: Engine) -> None:
    """Set WAL mode, a busy timeout and foreign keys, and control BEGIN ourselves."""
    timeout_ms = int(app.config["SQLITE_BUSY_TIMEOUT_MS"])

    lock_path = lock_path_for(engine.url.database)
    checkpoints = CheckpointSchedule()

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, record: Any) -> None:
        # pysqlite's own BEGIN handling is off so the "begin" event below owns it.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {timeout_ms}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        if lock_path:
            cursor.execute("PRAGMA wal_autocheckpoint = 0")  # see CheckpointSchedule
            record.info[_WRITER_LOCK] = WriterLock(lock_path, timeout_ms / 1000)
            record.info[_CHECKPOINTS] = checkpoints
        cursor.close()

    @event.listens_for(engine, "close")
    def _on_close(_dbapi_conn: Any, record: Any) -> None:
        lock = record.info.pop(_WRITER_LOCK, None)
        if lock is not None:
            lock.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        if not _wants_write_lock():
            conn.exec_driver_sql("BEGIN")
            return
        lock = conn.connection.info.get(_WRITER_LOCK)
        if lock is not None:
            lock.acquire()
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    @event.listens_for(engine, "commit")
    def _on_commit(conn: Any) -> None:
        _end_and_release(conn, commit=True)

    @event.listens_for(engine, "rollback")
    def _on_rollback(conn: Any) -> None:
        _end_and_release(conn, commit=False)


def _end_and_release(conn: Any, *, commit: bool) -> None:
    # These events fire before SQLAlchemy ends the transaction; the lock may only go
    # once SQLite's own has, so end it here (SQLAlchemy's own call then does nothing).
    lock = conn.connection.info.get(_WRITER_LOCK)
    if lock is None or not lock.held:
        return
    dbapi_conn = conn.connection.dbapi_connection
    try:
        if commit:
            dbapi_conn.commit()
        else:
            dbapi_conn.rollback()
    finally:
        lock.release()
    if commit and conn.connection.info[_CHECKPOINTS].due():
        checkpoint(dbapi_conn)
