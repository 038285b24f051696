"""SQLite: WAL mode, writers that take turns and fail fast, and checkpoints outside the turn.

A write transaction starts with ``BEGIN IMMEDIATE`` (see ``course.db.wants_write_lock``)
and waits for SQLite's lock at most ``SQLITE_BUSY_TIMEOUT_MS`` in a web request: a lock
held longer (another process's long transaction, a restore, an operator's shell) makes
the request fail with ``DatabaseBusy`` (a 503 page that keeps the learner's input), so a
worker is not tied up for long and pages that only read go on being served. Once a
write has found the database busy, the process's next writes wait only briefly until
one gets through. Command-line work waits longer (``COMMAND_BUSY_TIMEOUT_MS``).
"""

from __future__ import annotations

import logging
import math
import sqlite3
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, g, has_request_context
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from course.db import DatabaseBusy, is_busy_error, wants_write_lock
from course.writelock import WriterLock, lock_path_for

log = logging.getLogger(__name__)

#: How long a command (import, purge, backup) waits for a writer ahead of it.
COMMAND_BUSY_TIMEOUT_MS = 60_000
#: How long a request's write waits while this process has just found the database busy,
#: and a write the page can do without (``write_transaction(brief_wait=True)``) at any time.
BUSY_RETRY_MS = 100
_WRITER_LOCK = "course_writer_lock"
_CHECKPOINTS = "course_checkpoints"
_TIMEOUT_MS = "course_busy_timeout_ms"


class BusyBackoff:
    """Remembers that the database was busy, so the next writes do not wait in vain."""

    def __init__(self, seconds: float = 5.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._seconds = seconds
        self._clock = clock
        self._until = -math.inf

    def wait_ms(self, full_ms: int) -> int:
        """Return how long the next write may wait for the lock."""
        return min(full_ms, BUSY_RETRY_MS) if self._clock() < self._until else full_ms

    def found_busy(self) -> None:
        """A write gave up waiting: wait briefly for the next few seconds."""
        self._until = self._clock() + self._seconds

    def found_free(self) -> None:
        """A write got the lock: back to the full wait."""
        self._until = -math.inf


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


def _nobody() -> None:
    pass


def _set_busy_timeout(conn: Any, milliseconds: int) -> None:
    info = conn.connection.info
    if info.get(_TIMEOUT_MS) != milliseconds:
        conn.connection.dbapi_connection.execute(f"PRAGMA busy_timeout = {int(milliseconds)}")
        info[_TIMEOUT_MS] = milliseconds


def configure_sqlite(app: Flask, engine: Engine) -> None:
    """Set WAL mode, a busy timeout and foreign keys, and control BEGIN ourselves."""
    request_ms = int(app.config["SQLITE_BUSY_TIMEOUT_MS"])
    command_ms = max(request_ms, COMMAND_BUSY_TIMEOUT_MS)
    lock_path = lock_path_for(engine.url.database)
    checkpoints = CheckpointSchedule()
    backoff = BusyBackoff()

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, record: Any) -> None:
        # pysqlite's own BEGIN handling is off so the "begin" event below owns it.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {request_ms}")
        record.info[_TIMEOUT_MS] = request_ms
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        if lock_path:
            cursor.execute("PRAGMA wal_autocheckpoint = 0")  # see CheckpointSchedule
            record.info[_WRITER_LOCK] = WriterLock(lock_path)
            record.info[_CHECKPOINTS] = checkpoints
        cursor.close()

    @event.listens_for(engine, "close")
    def _on_close(_dbapi_conn: Any, record: Any) -> None:
        lock = record.info.pop(_WRITER_LOCK, None)
        if lock is not None:
            lock.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        if not wants_write_lock():
            conn.exec_driver_sql("BEGIN")
            return
        in_request = has_request_context()
        wait_ms = backoff.wait_ms(request_ms) if in_request else command_ms
        # Only a write that waited its full share says the database is busy; a brief
        # one may just have met the ordinary queue of writers.
        brief = in_request and bool(g.get("brief_wait"))
        if brief:
            wait_ms = min(wait_ms, BUSY_RETRY_MS)
        tell = backoff.found_busy if in_request and not brief else _nobody
        deadline = time.monotonic() + wait_ms / 1000
        lock = conn.connection.info.get(_WRITER_LOCK)
        if lock is not None and not lock.acquire(deadline):
            tell()
            raise DatabaseBusy("another writer of this app held the lock too long")
        # Waiting for the file lock and for SQLite's lock share one deadline; the
        # timeout is set again only when the first wait took a noticeable share of it.
        left_ms = math.ceil((deadline - time.monotonic()) * 1000)
        _set_busy_timeout(conn, wait_ms if left_ms > wait_ms * 0.9 else max(1, left_ms))
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except DBAPIError as exc:
            if lock is not None:
                lock.release()
            if not is_busy_error(exc):
                raise
            tell()
            raise DatabaseBusy("SQLite's write lock was held too long") from exc
        if in_request:
            backoff.found_free()

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
