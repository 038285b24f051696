"""The writers' file lock: the next writer starts when the last one ends, never stuck."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

from sqlalchemy import text

from course import sqlite as course_sqlite
from course.extensions import db
from course.sqlite import CheckpointSchedule
from course.writelock import WriterLock, lock_path_for


def soon(seconds: float = 5) -> float:
    return time.monotonic() + seconds


def test_a_second_writer_waits_for_the_first_and_starts_once_it_is_done(tmp_path):
    path = str(tmp_path / "db-writer.lock")
    first, second = WriterLock(path), WriterLock(path)
    first.acquire(soon())
    got_it = []
    waiter = threading.Thread(
        target=lambda: (second.acquire(soon()), got_it.append(time.monotonic()))
    )
    waiter.start()
    time.sleep(0.05)
    assert not got_it  # still waiting while the first holds the lock
    released = time.monotonic()
    first.release()
    waiter.join(2)
    assert second.held and got_it
    assert got_it[0] - released < 0.02  # handed over at once, not after a backoff sleep
    second.close()
    first.close()


def test_a_writer_that_cannot_get_the_lock_in_time_gives_up(tmp_path):
    path = str(tmp_path / "db-writer.lock")
    holder, late = WriterLock(path), WriterLock(path)
    holder.acquire(soon())
    outcome = []
    worker = threading.Thread(target=lambda: outcome.append((late.acquire(soon(0.05)), late.held)))
    worker.start()
    worker.join(2)
    assert outcome == [(False, False)]  # gave up at its deadline: the write is refused as busy
    holder.close()
    late.close()


def test_a_thread_never_waits_on_a_lock_it_already_holds_through_another_handle(tmp_path):
    path = str(tmp_path / "db-writer.lock")
    outer, inner = WriterLock(path), WriterLock(path)
    outer.acquire(soon(30))
    started = time.monotonic()
    assert inner.acquire(soon(30))
    assert time.monotonic() - started < 1 and not inner.held
    inner.close()
    outer.close()


def test_memory_databases_have_no_lock_file():
    assert lock_path_for(":memory:") is None
    assert lock_path_for(None) is None
    assert lock_path_for("/srv/course.db") == "/srv/course.db-writer.lock"


def test_the_app_takes_the_lock_for_a_write_and_gives_it_back_at_commit(app, tmp_path):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            return
        database = db.engine.url.database
        other = WriterLock(lock_path_for(database))
        db.session.execute(text("CREATE TABLE IF NOT EXISTS note (body TEXT)"))
        db.session.execute(text("INSERT INTO note VALUES ('first')"))  # outside a request: a writer
        seen = []
        probe = threading.Thread(target=lambda: seen.append(other.acquire(soon(0.05))))
        probe.start()
        probe.join(2)
        assert seen == [False]  # the session's write transaction holds it
        db.session.commit()
        assert other.acquire(soon(0.05))
        assert other.held  # released once SQLite committed
        other.close()
        assert db.session.execute(text("SELECT body FROM note")).scalar() == "first"


def test_the_log_is_copied_back_after_the_writers_lock_is_let_go(app, monkeypatch):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            return
        other = WriterLock(lock_path_for(db.engine.url.database))
        seen = []

        def probe_then_checkpoint(dbapi_conn, mode="PASSIVE"):
            # Another writer can take the lock while the pages are copied back.
            prober = threading.Thread(target=lambda: seen.append(other.acquire(soon(0.05))))
            prober.start()
            prober.join(2)
            other.release()
            result = real_checkpoint(dbapi_conn, mode)
            seen.append(result)
            return result

        # SQLite's own checkpoint would run inside COMMIT, under the lock: it is off.
        assert db.session.execute(text("PRAGMA wal_autocheckpoint")).scalar() == 0
        real_checkpoint = course_sqlite.checkpoint
        monkeypatch.setattr(course_sqlite, "checkpoint", probe_then_checkpoint)
        monkeypatch.setattr(CheckpointSchedule, "due", lambda self: "PASSIVE")  # timing: test below
        db.session.execute(text("CREATE TABLE IF NOT EXISTS note (body TEXT)"))
        db.session.execute(text("INSERT INTO note VALUES ('copied back')"))
        db.session.commit()
        other.close()
        assert len(seen) == 2 and seen[0] is True
        busy, in_log, copied = seen[1]
        assert busy == 0 and in_log > 0 and copied == in_log


def test_checkpoints_come_every_hundred_commits_or_five_seconds():
    now = [1000.0]
    schedule = CheckpointSchedule(every_commits=100, every_seconds=5.0, clock=lambda: now[0])
    assert schedule.due()  # the first write of a process
    assert [schedule.due() for _ in range(100)].count("PASSIVE") == 1  # the hundredth commit
    now[0] += 4.9
    assert not schedule.due()
    now[0] += 0.2
    assert schedule.due() == "PASSIVE"  # five seconds on, even after few commits
    schedule.saw((0, 1024, 1000))  # the log has grown past the limit: the next one empties it
    now[0] += 5
    assert schedule.due() == "TRUNCATE"
    schedule.saw((0, 0, 0))
    now[0] += 5
    assert schedule.due() == "PASSIVE"


NO_FCNTL = """
import sys
sys.modules["fcntl"] = None  # as on Windows: importing it fails
from sqlalchemy import text
from course import create_app
from course.extensions import db
from course.writelock import lock_path_for
app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite:///" + sys.argv[1]})
with app.app_context():
    db.session.execute(text("CREATE TABLE note (body TEXT)"))
    db.session.execute(text("INSERT INTO note VALUES ('saved')"))
    db.session.commit()
    print(lock_path_for(sys.argv[1]), db.session.execute(text("SELECT body FROM note")).scalar())
"""


def test_the_app_imports_and_writes_on_a_platform_without_fcntl(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", NO_FCNTL, str(tmp_path / "plain.db")],
        cwd=Path(__file__).resolve().parents[2], capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["None", "saved"]  # no lock file: SQLite's lock alone
    assert not (tmp_path / "plain.db-writer.lock").exists()
