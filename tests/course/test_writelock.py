"""The writers' file lock: the next writer starts when the last one ends, never stuck."""

from __future__ import annotations

import threading
import time

from sqlalchemy import text

from course.extensions import db
from course.writelock import WriterLock, lock_path_for


def test_a_second_writer_waits_for_the_first_and_starts_once_it_is_done(tmp_path):
    path = str(tmp_path / "db-writer.lock")
    first, second = WriterLock(path, timeout=5), WriterLock(path, timeout=5)
    first.acquire()
    got_it = []
    waiter = threading.Thread(target=lambda: (second.acquire(), got_it.append(time.monotonic())))
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


def test_a_writer_that_cannot_get_the_lock_in_time_goes_on_without_it(tmp_path):
    path = str(tmp_path / "db-writer.lock")
    holder, late = WriterLock(path, timeout=5), WriterLock(path, timeout=0.05)
    holder.acquire()
    outcome = []
    worker = threading.Thread(target=lambda: (late.acquire(), outcome.append(late.held)))
    worker.start()
    worker.join(2)
    assert outcome == [False]  # gave up after its timeout; SQLite's busy timeout decides
    holder.close()
    late.close()


def test_a_thread_never_waits_on_a_lock_it_already_holds_through_another_handle(tmp_path):
    path = str(tmp_path / "db-writer.lock")
    outer, inner = WriterLock(path, timeout=30), WriterLock(path, timeout=30)
    outer.acquire()
    started = time.monotonic()
    inner.acquire()
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
        other = WriterLock(lock_path_for(database), timeout=0.05)
        db.session.execute(text("CREATE TABLE IF NOT EXISTS note (body TEXT)"))
        db.session.execute(text("INSERT INTO note VALUES ('first')"))  # outside a request: a writer
        seen = []
        probe = threading.Thread(target=lambda: (other.acquire(), seen.append(other.held)))
        probe.start()
        probe.join(2)
        assert seen == [False]  # the session's write transaction holds it
        db.session.commit()
        other.acquire()
        assert other.held  # released once SQLite committed
        other.close()
        assert db.session.execute(text("SELECT body FROM note")).scalar() == "first"
