"""Does a download hold SQLite's write lock while it is built?

A learner's knowledge-check answer is sent 50 ms into an admin download running in another
thread; the answer's wall time shows any wait for the lock.

Usage: python bench/scale/lock_hold.py DB [LABEL_SUBSTRING ...]   (changes DB: use a copy)
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import time_pages  # noqa: E402
from build_db import SLUG  # noqa: E402


def download(client, path: str, done: dict) -> None:
    """GET ``path`` and read the body whole; put the wall ms in ``done["ms"]``."""
    start = time.perf_counter()
    client.get(path).get_data()
    done["ms"] = (time.perf_counter() - start) * 1000


def main() -> None:
    """Send an answer alone, then during each chosen download; print the wall times."""
    from sqlalchemy import select

    from course.extensions import db
    from course.models import Course

    app, clients, facts = time_pages.setup(Path(sys.argv[1]).resolve())
    labels = sys.argv[2:] or ["admin: audit pack", "admin: roster.csv", "admin: course report"]
    with app.app_context():
        lesson = db.session.scalar(select(Course).where(Course.slug == SLUG)).live_lessons[0]
        path = f"/courses/{SLUG}/lessons/{lesson.slug}/checks/{lesson.live_checks[0].key}"
        db.session.remove()
    learner = clients["heavy"]

    def answer():
        """POST an answer as the heavy learner; return its status and wall ms."""
        start = time.perf_counter()
        r = learner.post(
            path,
            data={"choice": "1", "submission_key": f"lock-{time.time()}"},
            headers={"Accept": "application/json"},
        )
        return r.status_code, (time.perf_counter() - start) * 1000

    status, ms = answer()
    print(f"answer alone: {status} after {ms:.0f} ms")
    for label, who, page in time_pages.pages(facts):
        if not any(want in label for want in labels):
            continue
        done = {}
        thread = threading.Thread(target=download, args=(clients[who], page, done))
        thread.start()
        time.sleep(0.05)
        status, ms = answer()
        thread.join()
        print(
            f"{label}: download {done['ms']:.0f} ms; an answer sent 50 ms in: {status} "
            f"after {ms:.0f} ms"
        )


if __name__ == "__main__":
    main()
