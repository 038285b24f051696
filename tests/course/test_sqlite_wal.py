"""SQLite's write-ahead log stays small while pages are read all the time."""

from __future__ import annotations

import os
import sqlite3
import threading
import time

import pytest
from sqlalchemy import text

from course import sqlite as course_sqlite
from course.extensions import db
from course.sqlite import CheckpointSchedule

ROW = "x" * 3000  # most of a page: every commit adds a page or two to the log


def keep_reading(path: str, stop: threading.Event) -> None:
    """Two readers taking turns, so that some read transaction is always open."""

    def reader(offset: float) -> None:
        conn = sqlite3.connect(path, isolation_level=None)
        time.sleep(offset)
        while not stop.is_set():
            conn.execute("BEGIN")
            conn.execute("SELECT count(*) FROM note").fetchone()
            time.sleep(0.004)
            conn.execute("COMMIT")
        conn.close()

    for offset in (0.0, 0.002):
        threading.Thread(target=reader, args=(offset,), daemon=True).start()


def test_the_log_is_truncated_regularly_under_steady_reading(make_app, monkeypatch) -> None:
    truncate_pages = 64
    original = CheckpointSchedule.__init__

    def often(self, *args, **kwargs):  # checkpoints every 20 commits, a 256 KiB limit
        original(self, every_commits=20, every_seconds=60, truncate_pages=truncate_pages)

    monkeypatch.setattr(CheckpointSchedule, "__init__", often)
    app = make_app()
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite's write-ahead log")
        path = db.engine.url.database
        db.session.execute(text("CREATE TABLE note (body TEXT)"))
        db.session.commit()
        stop = threading.Event()
        keep_reading(path, stop)
        sizes, truncations = [], 0
        real = course_sqlite.checkpoint

        def counting(dbapi_conn, mode="PASSIVE"):
            nonlocal truncations
            result = real(dbapi_conn, mode)
            truncations += mode == "TRUNCATE" and result[0] == 0
            return result

        monkeypatch.setattr(course_sqlite, "checkpoint", counting)
        try:
            for _ in range(1500):
                db.session.execute(text("INSERT INTO note VALUES (:body)"), {"body": ROW})
                db.session.commit()
                sizes.append(os.path.getsize(path + "-wal"))
        finally:
            stop.set()
    limit = truncate_pages * 4096
    # Passive checkpoints alone let the log grow with every commit (to about 18 MB here,
    # 48 MB in a 7,000-learner run); now it is emptied soon after it passes the limit,
    # once the readers of the old log have finished (a try they outlast waits for the next).
    assert truncations >= 5
    assert max(sizes) < 10 * limit < sizes[0] * len(sizes) / 5, max(sizes)
    assert min(sizes[-len(sizes) // 4 :]) < limit
