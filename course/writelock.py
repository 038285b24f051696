"""A file lock that hands SQLite's write lock from one writer to the next without delay.

SQLite lets one writer in at a time. A writer that finds the lock taken waits in
SQLite's busy handler, which sleeps 1, 2, 5, 10, 15, 20, 25 ms and so on between tries:
under load a save that needs the lock for a millisecond waits several, with the CPU
idle, and requests queue behind it. Writers of this app first take an advisory lock on
a file beside the database, trying again every millisecond at most, so the next writer
starts as soon as the last one commits. SQLite's own lock still guards the data: when
this lock cannot be had in time the write fails as busy; when the same thread already
holds it through another connection (which would never be released while it waits) the
writer goes on, and SQLite's busy timeout decides.

On a platform without ``fcntl`` (Windows) there is no lock file: writers wait in SQLite's
busy handler alone, which is correct, only slower to hand over under load.
"""

from __future__ import annotations

import os
import threading
import time

try:
    import fcntl
except ImportError:  # not a POSIX system
    fcntl = None  # type: ignore[assignment]

_FIRST_PAUSE = 0.0002
_LONGEST_PAUSE = 0.001
_held_here = threading.local()


def lock_path_for(database: str | None) -> str | None:
    """Return the lock file's path for an SQLite database file.

    None for a memory database, or where the platform has no ``fcntl``.
    """
    if fcntl is None or not database or database == ":memory:":
        return None
    if database.startswith("file::memory:"):
        return None
    return database + "-writer.lock"


class WriterLock:
    """One connection's handle on the writers' lock file."""

    def __init__(self, path: str) -> None:
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        self.held = False

    def acquire(self, deadline: float) -> bool:
        """Take the lock, waiting until ``deadline`` (``time.monotonic``) at most.

        Returns False when the time ran out; True when this handle holds the lock, or
        when this thread already holds it through another handle.
        """
        if getattr(_held_here, "count", 0):
            return True
        pause = _FIRST_PAUSE
        while True:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return False
                time.sleep(pause)
                pause = min(pause * 2, _LONGEST_PAUSE)
                continue
            self.held = True
            _held_here.count = getattr(_held_here, "count", 0) + 1
            return True

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
