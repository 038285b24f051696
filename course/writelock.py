"""A file lock that hands SQLite's write lock from one writer to the next without delay.

SQLite lets one writer in at a time. A writer that finds the lock taken waits in
SQLite's busy handler, which sleeps 1, 2, 5, 10, 15, 20, 25 ms and so on between tries:
under load a save that needs the lock for a millisecond waits several, with the CPU
idle, and requests queue behind it. Writers of this app first take an advisory lock on
a file beside the database, trying again every millisecond at most, so the next writer
starts as soon as the last one commits. SQLite's own lock still guards the data: when
this lock cannot be had in time (or the same thread already holds one through another
connection, which would never be released while it waits) the writer goes on, and the
busy timeout decides as before.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time

_FIRST_PAUSE = 0.0002
_LONGEST_PAUSE = 0.001
_held_here = threading.local()


def lock_path_for(database: str | None) -> str | None:
    """Return the lock file's path for an SQLite database file (None for a memory database)."""
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        return None
    return database + "-writer.lock"


class WriterLock:
    """One connection's handle on the writers' lock file."""

    def __init__(self, path: str, timeout: float) -> None:
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        self._timeout = timeout
        self.held = False

    def acquire(self) -> None:
        """Take the lock, waiting at most the timeout; give up quietly after that."""
        if getattr(_held_here, "count", 0):
            return
        deadline = time.monotonic() + self._timeout
        pause = _FIRST_PAUSE
        while True:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return
                time.sleep(pause)
                pause = min(pause * 2, _LONGEST_PAUSE)
                continue
            self.held = True
            _held_here.count = getattr(_held_here, "count", 0) + 1
            return

    def release(self) -> None:
        """Let the next writer in (nothing happens when this handle does not hold it)."""
        if not self.held:
            return
        self.held = False
        _held_here.count = max(0, getattr(_held_here, "count", 1) - 1)
        fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        """Release the lock and close the file."""
        self.release()
        os.close(self._fd)
