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

#: How long a truncating checkpoint waits for readers still reading the old log.
TRUNCATE_WAIT_MS = 50
#: How long a command (import, purge, backup) waits for a writer ahead of it.
COMMAND_BUSY_TIMEOUT_MS = 60_000
#: How long a request's write waits while this process has just found the database busy,
#: and a write the page can do without (``write_transaction(brief_wait=True)``) at any time.
BUSY_RETRY_MS = 100
_WRITER_LOCK = "course_writer_lock"
_CHECKPOINTS = "course_checkpoints"
_TIMEOUT_MS = "course_busy_timeout_ms"
_WRITING = "course_writing"


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
    under load, once over 100 ms, and every other writer waited that long. It is off;
    the writer whose commit makes a checkpoint due runs a passive one after letting the
    next writer in. A passive checkpoint never waits for readers, and with pages always
    being read the log never starts again from its beginning: it grew to 48 MB in a
    7,000-learner run. So when the last checkpoint saw the log over ``truncate_pages``,
    the next one (still in the writer's turn) waits briefly for the readers of the old
    log and truncates it to zero bytes.
    """

    def __init__(
        self,
        every_commits: int = 100,
        every_seconds: float = 5.0,
        truncate_pages: int = 1024,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._every_commits = every_commits
        self._every_seconds = every_seconds
        self._truncate_pages = truncate_pages
        self._clock = clock
        self._commits = 0
        self._last = -math.inf  # a process's first write (say, a CLI import) is copied back
        self._log_pages = 0

    def due(self) -> str | None:
        """Count a commit; return the checkpoint to run now ("PASSIVE", "TRUNCATE") or None."""
        # Threads of one process may race here; the worst case is one extra checkpoint.
        self._commits += 1
        now = self._clock()
        if self._commits < self._every_commits and now - self._last < self._every_seconds:
            return None
        self._commits, self._last = 0, now
        return "TRUNCATE" if self._log_pages >= self._truncate_pages else "PASSIVE"

    def saw(self, result: tuple[int, int, int]) -> None:
        """Note a checkpoint's (busy, pages in the log, pages copied)."""
        self._log_pages = result[1]


def checkpoint(dbapi_conn: sqlite3.Connection, mode: str = "PASSIVE") -> tuple[int, int, int]:
    """Copy what the log holds back into the database; TRUNCATE also empties the log file.

    PASSIVE waits for no one. TRUNCATE waits up to ``TRUNCATE_WAIT_MS`` for readers of the
    old log (the caller holds the writers' turn, so no writer is in the way) and gives up
    (busy = 1) after that, the pages it could copy copied. Returns SQLite's (busy, pages in
    the log, pages copied); a failure is logged, not raised: the commit before it stands.
    """
    try:
        if mode == "TRUNCATE":
            (timeout,) = dbapi_conn.execute("PRAGMA busy_timeout").fetchone()
            dbapi_conn.execute(f"PRAGMA busy_timeout = {TRUNCATE_WAIT_MS}")
            try:
                row = dbapi_conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            finally:
                dbapi_conn.execute(f"PRAGMA busy_timeout = {int(timeout)}")
        else:
            row = dbapi_conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        busy, in_log, copied = row
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
    database = engine.url.database
    on_file = bool(database) and database != ":memory:" and "mode=memory" not in database
    lock_path = lock_path_for(database)
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
        if on_file:
            cursor.execute("PRAGMA wal_autocheckpoint = 0")  # see CheckpointSchedule
            record.info[_CHECKPOINTS] = checkpoints
        if lock_path:
            record.info[_WRITER_LOCK] = WriterLock(lock_path)
        cursor.close()

    @event.listens_for(engine, "close")
    def _on_close(_dbapi_conn: Any, record: Any) -> None:
        lock = record.info.pop(_WRITER_LOCK, None)
        if lock is not None:
            lock.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        if conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
            return  # asked for no transaction (a migration's PRAGMA foreign_keys, say)
        if not wants_write_lock():
            # A deferred BEGIN takes no lock and cannot find the database busy, so it goes
            # straight to the driver, as the PRAGMAs do: every reading request sends one.
            conn.connection.dbapi_connection.execute("BEGIN")
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
        conn.connection.info[_WRITING] = True
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
    info = conn.connection.info
    if not info.pop(_WRITING, False):
        return
    dbapi_conn = conn.connection.dbapi_connection
    lock = info.get(_WRITER_LOCK)
    schedule = info.get(_CHECKPOINTS)
    mode = None
    try:
        if commit:
            dbapi_conn.commit()
            mode = schedule.due() if schedule is not None else None
            if mode == "TRUNCATE":  # in the writer's turn: no writer of ours in its way
                schedule.saw(checkpoint(dbapi_conn, "TRUNCATE"))
        else:
            dbapi_conn.rollback()
    finally:
        if lock is not None:
            lock.release()
    if mode == "PASSIVE":  # after the turn: the next writer need not wait for the copy
        schedule.saw(checkpoint(dbapi_conn))
