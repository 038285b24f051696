"""Time a few writes a learner makes: answer a knowledge check, delete an account.

CPU ms, wall ms (SQLite's write lock is held for most of it) and statements, on a database
made by build_db.py. It changes the database: use a copy.

Usage: python bench/scale/time_posts.py DB
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import time_pages  # noqa: E402
from build_db import SLUG  # noqa: E402


def timed(label: str, send) -> None:
    """Call ``send`` (a request), read the body, print its CPU ms, wall ms and statements."""
    time_pages.STATEMENTS.clear()
    cpu, wall = time.process_time(), time.perf_counter()
    response = send()
    response.get_data()
    cpu, wall = (time.process_time() - cpu) * 1000, (time.perf_counter() - wall) * 1000
    print(
        f"{label:45s} {response.status_code} {cpu:8.1f} ms CPU {wall:8.1f} ms wall "
        f"{len(time_pages.STATEMENTS):5d} stmts",
        flush=True,
    )


def main() -> None:
    """Time three check answers by the heavy learner, then one account deletion."""
    from sqlalchemy import select

    from course.extensions import db
    from course.models import Course, User
    from tests.course.factories import PASSWORD

    db_file = Path(sys.argv[1]).resolve()
    app, clients, facts = time_pages.setup(db_file)
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == SLUG))
        lesson = course.live_lessons[0]
        check = lesson.live_checks[0]
        victim = (
            db.session.scalar(
                select(User.email).where(User.email.like("learner%")).order_by(User.id.desc())
            )
            or "template-enrolled@example.org"
        )
        db.session.remove()
    heavy = clients["heavy"]
    path = f"/courses/{SLUG}/lessons/{lesson.slug}/checks/{check.key}"
    for n in range(3):
        timed(
            f"heavy learner: answer a check #{n + 1}",
            lambda n=n: heavy.post(
                path,
                data={"choice": "1", "submission_key": f"scale-{time.time()}-{n}"},
                headers={"Accept": "application/json"},
            ),
        )
    client = app.test_client()
    client.post("/auth/login", data={"email": victim, "password": PASSWORD})
    timed(
        "learner: delete account",
        lambda: client.post("/auth/delete", data={"password": PASSWORD, "understood": "y"}),
    )


if __name__ == "__main__":
    main()
